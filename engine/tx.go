package engine

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// Tx is one atomic change to a set of keys, made under their stripe locks. Reads see the
// transaction's own writes. Nothing is visible to others until the batch commits, and the cache
// and counters change only after that.
type Tx struct {
	e       *Engine
	db      byte // physical
	ldb     int  // logical, for the write hook
	now     int64
	batch   *pebble.Batch
	pending map[string]*Meta // key -> its metadata after this tx (absent = deleted)
	deltas  []counterDelta
	// Expired lists keys that this transaction found expired and deleted, so the caller can
	// propagate and notify as Redis does on lazy expiry.
	Expired [][]byte
	// snap, when set, is where a read-only transaction reads (snapshot.go).
	snap *pebble.Snapshot
	// prop is what the transaction propagates, expiredOps the batch operations that lazy
	// expiry made (propagate.go).
	prop       [][][]byte
	expiredOps uint32
	// noTouch: reads leave the keys' access data alone (access.go SkipTouch); touched lists
	// the keys this transaction touched, so that a write touches a key it did not read.
	noTouch bool
	touched touchSet
	// group, when set, holds the writes of the earlier transactions of a Group (group.go).
	group *Group
}

// Update runs fn atomically over keys in logical database db. fn must touch only these keys.
// If fn returns an error nothing is written.
func (e *Engine) Update(db int, keys [][]byte, fn func(tx *Tx) error) error {
	if e.closed.Load() {
		return ErrClosed
	}
	e.global.RLock()
	defer e.global.RUnlock()
	return e.updatePhys(db, keys, fn)
}

func (e *Engine) updatePhys(db int, keys [][]byte, fn func(tx *Tx) error) error {
	pdb := e.phys(db)
	ls := e.locks.set(pdb, keys)
	e.locks.lock(ls)
	defer e.locks.unlock(ls)
	// Indexed, so that reads inside the transaction see its own element writes.
	tx := &Tx{e: e, db: pdb, ldb: db, now: e.opts.Now(), batch: e.db.NewIndexedBatch()}
	defer tx.batch.Close()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.commit()
}

func (tx *Tx) commit() error { return commitTxs(tx) }

// commitTxs commits transactions that share one batch (UpdatePair), then applies each one's
// counters and cache entries.
func commitTxs(txs ...*Tx) error {
	batch := txs[0].batch
	if batch.Empty() {
		return nil
	}
	for _, tx := range txs {
		for _, d := range tx.deltas {
			if d.keys != 0 || d.expires != 0 {
				if err := batch.Merge(counterKey(d.db, d.slot), encodeCounter(d.keys, d.expires), nil); err != nil {
					return err
				}
			}
		}
	}
	if err := batch.Commit(txs[0].e.writeOpts()); err != nil {
		// The batch did not apply: drop cached entries for these keys rather than guess.
		for _, tx := range txs {
			for k := range tx.pending {
				tx.e.cache.c.Invalidate(cacheKey{tx.db, k})
			}
		}
		return err
	}
	for _, tx := range txs {
		tx.applyCommitted()
	}
	return nil
}

func (tx *Tx) applyCommitted() {
	// Count expirations before the key counters drop, so whoever sees DBSIZE fall sees
	// expired_keys too.
	tx.e.stats.ExpiredKeys.Add(int64(len(tx.Expired)))
	c := tx.e.counts[tx.db]
	for _, d := range tx.deltas {
		c.add(d.slot, d.keys, d.expires)
	}
	for k, m := range tx.pending {
		tx.e.cache.put(tx.db, []byte(k), m)
		if m.ExpireAt != 0 {
			c.lowerDue(Slot([]byte(k)), m.ExpireAt)
		}
	}
	tx.e.stats.Changes.Add(int64(len(tx.pending)))
	if hook := tx.e.writeHook.Load(); hook != nil {
		for k := range tx.pending {
			(*hook)(tx.ldb, []byte(k))
		}
	}
	tx.propagate()
}

// SetWriteHook installs fn, called after every commit once per key the commit changed
// (written, deleted, expired), with the key's lock still held: WATCH, blocked clients and
// keyspace notifications hang off it. fn must be quick and must not call the engine.
func (e *Engine) SetWriteHook(fn func(db int, key []byte)) { e.writeHook.Store(&fn) }

// Now is the transaction's clock (unix ms), fixed when it began, as Redis fixes it per command.
func (tx *Tx) Now() int64 { return tx.now }

// current returns the stored metadata of key, expired or not, or nil.
func (tx *Tx) current(key []byte) (*Meta, error) {
	if m, ok := tx.pending[string(key)]; ok {
		if m == absent {
			return nil, nil
		}
		return m, nil
	}
	if tx.group != nil {
		if m, ok := tx.group.pending[string(key)]; ok {
			if m == absent {
				return nil, nil
			}
			return m, nil
		}
	}
	return tx.e.loadMeta(tx.db, key)
}

// Get returns the live metadata of key, or nil. A key found expired is deleted by this
// transaction (lazy expiry) and reported in tx.Expired.
func (tx *Tx) Get(key []byte) (*Meta, error) {
	m, err := tx.current(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Expired(tx.now) {
		if tx.batch != nil { // a view leaves the deletion to View's caller
			before := tx.batch.Count()
			if _, err := tx.Delete(key); err != nil {
				return nil, err
			}
			tx.expiredOps += tx.batch.Count() - before
		}
		tx.Expired = append(tx.Expired, key)
		return nil, nil
	}
	tx.touchRead(key, m) // lookupKeyRead/Write: access.go
	return m, nil
}

// View runs fn over keys in logical db with the keys' stripes held shared: a consistent read
// of several records (a collection's elements, several keys) that writers of those keys wait
// for. fn must not write. Keys found expired are deleted afterwards (lazy expiry).
func (e *Engine) View(db int, keys [][]byte, fn func(tx *Tx) error) error {
	if e.closed.Load() {
		return ErrClosed
	}
	tx, err := e.view(db, keys, fn)
	for _, k := range tx.Expired {
		e.expireNow(db, k)
	}
	return err
}

// view holds the locks with defers, so a panic or a test's FailNow inside fn cannot leave a
// stripe locked for good.
func (e *Engine) view(db int, keys [][]byte, fn func(tx *Tx) error) (*Tx, error) {
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	ls := e.locks.set(pdb, keys)
	for _, i := range ls {
		e.locks.mu[i].RLock()
	}
	defer func() {
		for j := len(ls) - 1; j >= 0; j-- {
			e.locks.mu[ls[j]].RUnlock()
		}
	}()
	tx := &Tx{e: e, db: pdb, ldb: db, now: e.opts.Now()}
	return tx, fn(tx)
}

// Put stores m as key's metadata, replacing any previous value (a collection of another
// version loses its elements). m must not be changed afterwards.
func (tx *Tx) Put(key []byte, m *Meta) error {
	old, err := tx.current(key)
	if err != nil {
		return err
	}
	tx.inheritStamp(key, m, old) // access.go
	slot := Slot(key)
	var dk, de int64
	if old == nil {
		dk = 1
	} else {
		if old.ExpireAt != 0 {
			if old.ExpireAt != m.ExpireAt {
				tx.batch.Delete(expireKey(tx.db, slot, old.ExpireAt, key), nil)
			}
			de--
		}
		if old.Type != TypeString && (old.Type != m.Type || old.Version != m.Version) {
			tx.dropElements(slot, key, old.Version)
		}
	}
	if m.ExpireAt != 0 {
		if old == nil || old.ExpireAt != m.ExpireAt {
			tx.batch.Set(expireKey(tx.db, slot, m.ExpireAt, key), nil, nil)
		}
		de++
	}
	if err := tx.batch.Set(metaKey(tx.db, slot, key), m.encode(), nil); err != nil {
		return err
	}
	tx.delta(slot, dk, de)
	tx.setPending(key, m)
	return nil
}

// Delete removes key and all its records. It reports whether the key existed (expired or not).
func (tx *Tx) Delete(key []byte) (bool, error) {
	old, err := tx.current(key)
	if err != nil || old == nil {
		return false, err
	}
	slot := Slot(key)
	var de int64
	if old.ExpireAt != 0 {
		tx.batch.Delete(expireKey(tx.db, slot, old.ExpireAt, key), nil)
		de = -1
	}
	if old.Type != TypeString {
		tx.dropElements(slot, key, old.Version)
	}
	tx.batch.Delete(metaKey(tx.db, slot, key), nil)
	tx.delta(slot, -1, de)
	tx.setPending(key, absent)
	return true, nil
}

// dropElements removes a collection version's records with range tombstones: O(1) however
// large the collection was.
func (tx *Tx) dropElements(slot uint16, key []byte, version uint64) {
	for _, tag := range []byte{tagElem, tagScore} {
		p := elemPrefix(tx.db, slot, tag, key, version)
		tx.batch.DeleteRange(p, prefixEnd(p), nil)
	}
}

// NewVersion returns a fresh collection version for a key being (re)created.
func (tx *Tx) NewVersion() uint64 { return tx.e.nextVersion() }

func (tx *Tx) setPending(key []byte, m *Meta) {
	if tx.pending == nil {
		tx.pending = make(map[string]*Meta, 1)
	}
	tx.pending[string(key)] = m
}

func (tx *Tx) delta(slot uint16, keys, expires int64) {
	if keys == 0 && expires == 0 {
		return
	}
	for i := range tx.deltas {
		if tx.deltas[i].slot == slot {
			tx.deltas[i].keys += keys
			tx.deltas[i].expires += expires
			return
		}
	}
	tx.deltas = append(tx.deltas, counterDelta{db: tx.db, slot: slot, keys: keys, expires: expires})
}

// loadMeta reads key's metadata through the cache. Callers hold the key's stripe lock (shared
// or exclusive) so that a fill cannot race with a write.
func (e *Engine) loadMeta(pdb byte, key []byte) (*Meta, error) {
	if m, ok := e.cache.get(pdb, key); ok {
		if m == absent {
			return nil, nil
		}
		return m, nil
	}
	v, closer, err := e.db.Get(metaKey(pdb, Slot(key), key))
	if errors.Is(err, pebble.ErrNotFound) {
		e.cache.put(pdb, key, nil)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeMeta(v)
	closer.Close()
	if err != nil {
		return nil, err
	}
	e.cache.attachStamp(pdb, key, m, e.defaultStamp)
	e.cache.put(pdb, key, m)
	return m, nil
}

// Lookup returns the live metadata of key without taking write locks: the read path of GET
// and friends. A key found expired is deleted (lazy expiry) before Lookup returns nil. A hit
// counts as an access of the key (access.go).
func (e *Engine) Lookup(db int, key []byte) (*Meta, error) { return e.lookup(db, key, true) }

// LookupNoTouch is Lookup without the access: LOOKUP_NOTOUCH (TYPE, EXISTS, TTL, OBJECT).
func (e *Engine) LookupNoTouch(db int, key []byte) (*Meta, error) { return e.lookup(db, key, false) }

func (e *Engine) lookup(db int, key []byte, touch bool) (*Meta, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	pdb := e.phys(db)
	m, ok := e.cache.get(pdb, key)
	if !ok {
		e.global.RLock()
		pdb = e.phys(db)
		i := e.locks.index(pdb, key)
		e.locks.mu[i].RLock()
		var err error
		m, err = e.loadMeta(pdb, key)
		e.locks.mu[i].RUnlock()
		e.global.RUnlock()
		if err != nil {
			return nil, err
		}
	}
	if m == nil || m == absent {
		e.stats.KeyspaceMisses.Add(1)
		return nil, nil
	}
	now := e.opts.Now()
	if m.Expired(now) {
		e.expireNow(db, key)
		e.stats.KeyspaceMisses.Add(1)
		return nil, nil
	}
	if touch {
		e.touch(m, now)
	}
	e.stats.KeyspaceHits.Add(1)
	return m, nil
}

// expireNow deletes key if it is (still) expired.
func (e *Engine) expireNow(db int, key []byte) {
	if e.expiryHolds() {
		return // the key reads as absent but stays (expire_hold.go)
	}
	err := e.Update(db, [][]byte{key}, func(tx *Tx) error {
		_, err := tx.Get(key)
		return err
	})
	if err != nil && !errors.Is(err, ErrClosed) {
		e.log.Warn("lazy expiry failed", "err", err)
	}
}
