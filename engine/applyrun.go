package engine

import (
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// ApplyRun applies a run of transactions with one Pebble commit: a replica applying the
// commands its master streamed, many at a time, pays for one commit (and one WAL write)
// instead of one per command. Unlike Group, it declares no keys up front and holds no lock
// between calls, so the commands of the run can be any mix and other clients run meanwhile.
//
// Each transaction runs as Update runs it (its keys' stripes held while fn runs, its own
// indexed batch, so a failing fn writes nothing); its batch is then appended to the run's.
// Commit writes them all at once and publishes them (counters, cache, write and propagate
// hooks) in order, with every stripe they used held, so a concurrent reader never caches a
// value older than the commit.
//
// A transaction reads committed data only: one that touches a key an earlier transaction of
// the run wrote commits the run first. Between a transaction and Commit its keys are not
// locked, so the caller must be the only writer of the keys it runs (a read-only replica
// whose own expiry is held: its master's stream is its only writer). An ApplyRun is used by
// one goroutine.
type ApplyRun struct {
	e       *Engine
	batch   *pebble.Batch
	txs     []*Tx
	stripes []int
	written map[runKey]struct{}
}

type runKey struct {
	db  byte
	key string
}

// NewApplyRun returns an empty run.
func (e *Engine) NewApplyRun() *ApplyRun {
	return &ApplyRun{e: e, written: map[runKey]struct{}{}}
}

// Len is the number of transactions waiting for Commit.
func (r *ApplyRun) Len() int { return len(r.txs) }

// Update runs fn atomically over keys in logical database db, as Engine.Update does, and
// leaves its writes to Commit.
func (r *ApplyRun) Update(db int, keys [][]byte, fn func(tx *Tx) error) error {
	e := r.e
	if e.closed.Load() {
		return ErrClosed
	}
	if r.conflicts(db, keys) {
		if err := r.Commit(); err != nil {
			return err
		}
	}
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	ls := e.locks.set(pdb, keys)
	e.locks.lock(ls)
	defer e.locks.unlock(ls)
	tx := &Tx{e: e, db: pdb, ldb: db, now: e.opts.Now(), batch: e.db.NewIndexedBatch()}
	defer tx.batch.Close()
	if err := fn(tx); err != nil {
		return err
	}
	if tx.batch.Empty() {
		return nil // nothing written, nothing to publish (as commitTxs)
	}
	if r.batch == nil {
		r.batch = e.db.NewBatch()
	}
	if err := r.batch.Apply(tx.batch, nil); err != nil {
		return err
	}
	for k := range tx.pending {
		r.written[runKey{pdb, k}] = struct{}{}
	}
	r.stripes = append(r.stripes, ls...)
	r.txs = append(r.txs, tx)
	return nil
}

// conflicts reports whether a key of db was written by a transaction of the run.
func (r *ApplyRun) conflicts(db int, keys [][]byte) bool {
	if len(r.written) == 0 {
		return false
	}
	r.e.global.RLock()
	pdb := r.e.phys(db)
	r.e.global.RUnlock()
	for _, k := range keys {
		if _, ok := r.written[runKey{pdb, string(k)}]; ok {
			return true
		}
	}
	return false
}

// Commit writes the run's transactions in one batch and publishes them in order. The run is
// empty afterwards, also after an error (then nothing was written and the cached entries of
// the keys are dropped, as a failed Update does).
func (r *ApplyRun) Commit() error {
	if len(r.txs) == 0 {
		return nil
	}
	e := r.e
	txs, batch := r.txs, r.batch
	slices.Sort(r.stripes)
	ls := lockSet(slices.Clone(slices.Compact(r.stripes)))
	r.txs, r.batch, r.stripes = nil, nil, r.stripes[:0]
	clear(r.written)
	defer batch.Close()
	e.global.RLock()
	defer e.global.RUnlock()
	e.locks.lock(ls)
	defer e.locks.unlock(ls)
	for _, tx := range txs {
		for _, d := range tx.deltas {
			if d.keys != 0 || d.expires != 0 {
				if err := batch.Merge(counterKey(d.db, d.slot), encodeCounter(d.keys, d.expires), nil); err != nil {
					return err
				}
			}
		}
	}
	if err := batch.Commit(e.writeOpts()); err != nil {
		for _, tx := range txs {
			for k := range tx.pending {
				e.cache.c.Invalidate(cacheKey{tx.db, k})
			}
		}
		return err
	}
	for _, tx := range txs {
		tx.applyCommitted()
	}
	return nil
}

// Prefetch reads key's metadata into the cache, so that a transaction of a run that needs
// it later finds it there: a replica reads the keys of the commands it has buffered on a
// second goroutine while it applies them on the first. It is only a read (under the key's
// stripe, as any read), so it may race with the run's own writes: the commit publishes
// them under the stripes afterwards.
func (e *Engine) Prefetch(db int, key []byte) {
	if e.closed.Load() {
		return
	}
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	if _, ok := e.cache.get(pdb, key); ok {
		return
	}
	i := e.locks.index(pdb, key)
	e.locks.mu[i].RLock()
	e.loadMeta(pdb, key)
	e.locks.mu[i].RUnlock()
}
