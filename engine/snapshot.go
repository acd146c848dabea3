package engine

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/rdb"
)

// Snapshot is a point-in-time view of the whole store: SAVE, BGSAVE, BGREWRITEAOF and the full
// sync read every key from one while writers go on (no pause, no fork). Close it when done:
// it pins the versions it sees.
type Snapshot struct {
	e     *Engine
	snap  *pebble.Snapshot
	dbmap []byte
	sizes []int64 // DBSize per logical db when taken
	now   int64
}

// Snapshot takes a snapshot. The global lock is held for the instant it takes, so no whole-db
// operation (FLUSHALL, SWAPDB) is half-seen.
func (e *Engine) Snapshot() (*Snapshot, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.global.Lock()
	defer e.global.Unlock()
	s := &Snapshot{e: e, snap: e.db.NewSnapshot(), now: e.opts.Now()}
	s.dbmap = append([]byte(nil), (*e.dbmap.Load())...)
	s.sizes = make([]int64, e.opts.Databases)
	for db := range s.sizes {
		s.sizes[db] = e.counts[s.dbmap[db]].totalKeys.Load()
	}
	return s, nil
}

// Close releases the snapshot.
func (s *Snapshot) Close() error { return s.snap.Close() }

// Now is the engine's clock when the snapshot was taken (unix ms).
func (s *Snapshot) Now() int64 { return s.now }

// Databases is the number of logical databases.
func (s *Snapshot) Databases() int { return len(s.sizes) }

// DBSize is the number of keys db had when the snapshot was taken (expired ones included).
func (s *Snapshot) DBSize(db int) int64 { return s.sizes[db] }

// Each calls fn for every key of logical db in slot order (keys with an expiry in the past
// included: the caller decides), stopping at fn's first error. key and m are fn's to keep.
func (s *Snapshot) Each(db int, fn func(key []byte, m *Meta) error) error {
	pdb := s.dbmap[db]
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: []byte{pdb}, UpperBound: []byte{pdb + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for slot := 0; slot < keyslot.Slots; slot++ {
		p := slotPrefix(pdb, uint16(slot), tagMeta)
		for ok := it.SeekGE(p); ok && bytes.HasPrefix(it.Key(), p); ok = it.Next() {
			v, err := it.ValueAndErr()
			if err != nil {
				return err
			}
			m, err := decodeMeta(v)
			if err != nil {
				return err
			}
			if err := fn(append([]byte(nil), it.Key()[len(p):]...), m); err != nil {
				return err
			}
		}
		if err := it.Error(); err != nil {
			return err
		}
	}
	return nil
}

// Object reads key's whole value as of the snapshot (m from Each).
func (s *Snapshot) Object(db int, key []byte, m *Meta) (*rdb.Object, error) {
	tx := &Tx{e: s.e, db: s.dbmap[db], ldb: db, now: s.now, snap: s.snap}
	return tx.ReadObject(key, m)
}
