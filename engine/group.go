package engine

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// Group commits the transactions of several consecutive commands of one client (a pipeline)
// as one Pebble batch: one WAL record and one trip through the commit pipeline instead of one
// per command. It takes the stripes of all the commands' keys up front, in index order like
// any multi-key command, and holds them until Commit, so nobody sees or writes those keys in
// between. Each transaction still runs on its own batch, appended to the group's when its
// function succeeds, so a failed command writes nothing; a later transaction sees the earlier
// ones' writes (Tx.current reads g.pending). After the commit each transaction is applied in
// order exactly as a lone Update's is (counters, cache, write hook, propagation), with the
// locks still held.
//
// The transactions' batches are not indexed: they may read metadata only (no element
// records), which is what string commands do.
type Group struct {
	e       *Engine
	db      int  // logical
	pdb     byte // physical
	ls      lockSet
	batch   *pebble.Batch
	txs     []*Tx
	pending map[string]*Meta // key -> its metadata after the group's transactions so far
	done    bool
}

// ErrGroupDone is returned by a Group used after its Commit.
var ErrGroupDone = errors.New("engine: group already committed")

// errOutsideGroup is a key the group does not hold.
var errOutsideGroup = errors.New("engine: key outside the group's stripes")

// NewGroup starts a group over keys of logical db db: it takes the global lock shared and the
// keys' stripes exclusively, as Update does. The caller must call Commit.
func (e *Engine) NewGroup(db int, keys [][]byte) (*Group, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.global.RLock()
	pdb := e.phys(db)
	g := &Group{e: e, db: db, pdb: pdb, ls: e.locks.set(pdb, keys), batch: e.db.NewBatch()}
	e.locks.lock(g.ls)
	return g, nil
}

// Len is the number of transactions of the group that wrote something.
func (g *Group) Len() int { return len(g.txs) }

// Update runs fn as one transaction of the group. keys must be among the group's.
func (g *Group) Update(keys [][]byte, fn func(tx *Tx) error) error {
	if g.done {
		return ErrGroupDone
	}
	for _, k := range keys {
		if !g.ls.has(g.e.locks.index(g.pdb, k)) {
			return errOutsideGroup
		}
	}
	e := g.e
	tx := &Tx{e: e, db: g.pdb, ldb: g.db, now: e.opts.Now(), batch: e.db.NewBatch(), group: g}
	defer func() {
		tx.batch.Close()
		tx.batch = nil // nothing reads it after fn
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if tx.batch.Empty() {
		return nil
	}
	if err := g.batch.Apply(tx.batch, nil); err != nil {
		return err
	}
	g.txs = append(g.txs, tx)
	if g.pending == nil {
		g.pending = make(map[string]*Meta, 16)
	}
	for k, m := range tx.pending {
		g.pending[k] = m
	}
	return nil
}

// Commit writes the group's transactions in one batch, applies them in order and releases
// the locks. After an error nothing of the group was written.
func (g *Group) Commit() error {
	if g.done {
		return ErrGroupDone
	}
	g.done = true
	e := g.e
	defer func() {
		g.batch.Close()
		e.locks.unlock(g.ls)
		e.global.RUnlock()
	}()
	if len(g.txs) == 0 {
		return nil
	}
	// One counter merge per slot for the whole group.
	var deltas []counterDelta
	for _, tx := range g.txs {
	next:
		for _, d := range tx.deltas {
			for i := range deltas {
				if deltas[i].slot == d.slot {
					deltas[i].keys += d.keys
					deltas[i].expires += d.expires
					continue next
				}
			}
			deltas = append(deltas, d)
		}
	}
	for _, d := range deltas {
		if d.keys != 0 || d.expires != 0 {
			if err := g.batch.Merge(counterKey(d.db, d.slot), encodeCounter(d.keys, d.expires), nil); err != nil {
				return err
			}
		}
	}
	if err := g.batch.Commit(e.writeOpts()); err != nil {
		for k := range g.pending {
			e.cache.c.Invalidate(cacheKey{g.pdb, k})
		}
		return err
	}
	for _, tx := range g.txs {
		tx.applyCommitted()
	}
	return nil
}

// has reports whether stripe i is in the set (sorted).
func (ls lockSet) has(i int) bool {
	lo, hi := 0, len(ls)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case ls[m] == i:
			return true
		case ls[m] < i:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}
