package engine

import (
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// UpdatePair runs fn atomically over keysA in logical database a and keysB in logical database
// b (COPY ... DB, MOVE): one batch, every key's stripe locked, both sides committed together or
// not at all. When a and b are the same database ta and tb are the same Tx. fn must touch only
// these keys; if it returns an error nothing is written.
func (e *Engine) UpdatePair(a int, keysA [][]byte, b int, keysB [][]byte, fn func(ta, tb *Tx) error) error {
	if e.closed.Load() {
		return ErrClosed
	}
	e.global.RLock()
	defer e.global.RUnlock()
	pa, pb := e.phys(a), e.phys(b)
	if pa == pb {
		keys := append(append(make([][]byte, 0, len(keysA)+len(keysB)), keysA...), keysB...)
		return e.updatePhys(a, keys, func(tx *Tx) error { return fn(tx, tx) })
	}
	// One sorted stripe set across both databases keeps the lock order global.
	ls := append(e.locks.set(pa, keysA), e.locks.set(pb, keysB)...)
	slices.Sort(ls)
	ls = slices.Compact(ls)
	e.locks.lock(ls)
	defer e.locks.unlock(ls)
	batch := e.db.NewIndexedBatch()
	defer batch.Close()
	now := e.opts.Now()
	ta := &Tx{e: e, db: pa, ldb: a, now: now, batch: batch}
	tb := &Tx{e: e, db: pb, ldb: b, now: now, batch: batch}
	if err := fn(ta, tb); err != nil {
		return err
	}
	return commitTxs(ta, tb)
}

// CopyFrom stores under key, in tx's database, an independent copy of m, the value src holds at
// srcKey, expiry included (RENAME, COPY, MOVE). A collection gets a fresh version and its
// element and score records are copied under it in tx's batch, so the copy and the source never
// share records. Any value at key is replaced. The elements are read as committed: src must not
// have changed srcKey's elements earlier in the same transaction. src and tx may be the same Tx
// or the two sides of UpdatePair; the caller holds both keys' locks.
func (tx *Tx) CopyFrom(src *Tx, srcKey []byte, m *Meta, key []byte) error {
	n := *m
	if m.Type == TypeString {
		return tx.Put(key, &n)
	}
	n.Version = tx.NewVersion()
	if err := tx.Put(key, &n); err != nil {
		return err
	}
	sslot, dslot := Slot(srcKey), Slot(key)
	for _, tag := range []byte{tagElem, tagScore} {
		from := elemPrefix(src.db, sslot, tag, srcKey, m.Version)
		to := elemPrefix(tx.db, dslot, tag, key, n.Version)
		if err := tx.copyRecords(from, to); err != nil {
			return err
		}
	}
	return nil
}

// copyRecords sets, for every committed record under prefix from, the same suffix under to.
func (tx *Tx) copyRecords(from, to []byte) error {
	it, err := tx.e.db.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: prefixEnd(from)})
	if err != nil {
		return err
	}
	defer it.Close()
	k := append([]byte(nil), to...)
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		k = append(k[:len(to)], it.Key()[len(from):]...)
		if err := tx.batch.Set(k, v, nil); err != nil { // the batch copies k and v
			return err
		}
	}
	return it.Error()
}

// Peek returns key's stored metadata even when it is logically expired, and deletes nothing:
// DEBUG DIGEST-VALUE and MEMORY USAGE look at the keyspace as it is, like Redis's dictFind.
func (e *Engine) Peek(db int, key []byte) (*Meta, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	i := e.locks.index(pdb, key)
	e.locks.mu[i].RLock()
	defer e.locks.mu[i].RUnlock()
	return e.loadMeta(pdb, key)
}

// Walk calls fn for every key of db, logically expired ones included (DEBUG DIGEST hashes the
// keyspace as it is), slot by slot; it stops at fn's first error and returns it. The slot's
// keys are read first and fn runs with no engine lock held, so fn may use the engine; a key
// changed meanwhile is seen as it was read.
func (e *Engine) Walk(db int, fn func(key []byte, m *Meta) error) error {
	if e.closed.Load() {
		return ErrClosed
	}
	type entry struct {
		key []byte
		m   *Meta
	}
	var batch []entry
	for slot := range keyslot.Slots {
		batch = batch[:0]
		e.global.RLock()
		pdb := e.phys(db)
		var err error
		if e.counts[pdb].keys[slot].Load() != 0 {
			// now = 0: walkSlot then treats nothing as expired.
			err = e.walkSlot(pdb, uint16(slot), nil, 0, func(k []byte, m *Meta) bool {
				batch = append(batch, entry{k, m})
				return true
			})
		}
		e.global.RUnlock()
		if err != nil {
			return err
		}
		for _, en := range batch {
			if err := fn(en.key, en.m); err != nil {
				return err
			}
		}
	}
	return nil
}
