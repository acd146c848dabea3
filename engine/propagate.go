package engine

// Propagation: every committed change reaches replicas (and the native slot migration) in
// Redis's propagated form, in an order consistent with the data. A transaction records the
// commands that reproduce it (Propagate); after its batch commits, with the keys' stripe locks
// still held, the engine hands them to the propagate hook. Two writes of one key therefore
// reach the hook in commit order. Keys the transaction found expired go first, as DEL, the way
// Redis propagates a lazy or active expiry.

// Propagate records argv (a command and its arguments) as part of what this transaction
// propagates. The slices must not change afterwards.
func (tx *Tx) Propagate(argv ...[]byte) { tx.prop = append(tx.prop, argv) }

// Propagating reports whether the transaction recorded a command to propagate.
func (tx *Tx) Propagating() bool { return len(tx.prop) > 0 }

// Changed reports whether the transaction wrote anything besides deleting expired keys.
func (tx *Tx) Changed() bool { return tx.batch != nil && tx.batch.Count() > tx.expiredOps }

// SetPropagateHook installs fn, called after every commit that changed something, with the
// keys' locks held, with the commands that reproduce the change in logical db. fn must be
// quick, must not call the engine and must not keep cmds' outer slice.
func (e *Engine) SetPropagateHook(fn func(db int, cmds [][][]byte)) { e.propHook.Store(&fn) }

var delName = []byte("DEL")

// propagate runs the hook for a committed transaction.
func (tx *Tx) propagate() {
	hook := tx.e.propHook.Load()
	if hook == nil || len(tx.Expired)+len(tx.prop) == 0 {
		return
	}
	cmds := make([][][]byte, 0, len(tx.Expired)+len(tx.prop))
	for _, k := range tx.Expired {
		cmds = append(cmds, [][]byte{delName, k})
	}
	cmds = append(cmds, tx.prop...)
	(*hook)(tx.ldb, cmds)
}
