package engine

import (
	"math/rand/v2"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// DBSize is the number of keys in a logical database, expired ones not yet removed included
// (as Redis counts them). It reads counters, never the keyspace.
func (e *Engine) DBSize(db int) int64 { return e.counts[e.phys(db)].totalKeys.Load() }

// Volatile is the number of keys with an expiry in db.
func (e *Engine) Volatile(db int) int64 { return e.counts[e.phys(db)].totalExp.Load() }

// CountKeysInSlot is the number of keys of db 0 in slot.
func (e *Engine) CountKeysInSlot(slot uint16) int64 {
	return e.counts[e.phys(0)].keys[slot].Load()
}

// FlushDB deletes every key of logical db with range tombstones.
func (e *Engine) FlushDB(db int) error {
	e.global.Lock()
	defer e.global.Unlock()
	return e.flushPhys(e.phys(db))
}

// FlushAll deletes every key of every database.
func (e *Engine) FlushAll() error {
	e.global.Lock()
	defer e.global.Unlock()
	for db := range e.opts.Databases {
		if err := e.flushPhys(e.phys(db)); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) flushPhys(pdb byte) error {
	b := e.db.NewBatch()
	defer b.Close()
	b.DeleteRange([]byte{pdb}, []byte{pdb + 1}, nil)
	b.DeleteRange([]byte{localPrefix, localCounter, pdb}, []byte{localPrefix, localCounter, pdb + 1}, nil)
	if err := b.Commit(e.writeOpts()); err != nil {
		return err
	}
	e.counts[pdb].reset()
	e.cache.clear()
	return nil
}

// SwapDB exchanges two logical databases by swapping their physical prefixes: O(1).
func (e *Engine) SwapDB(a, b int) error {
	e.global.Lock()
	defer e.global.Unlock()
	m := append([]byte(nil), *e.dbmap.Load()...)
	m[a], m[b] = m[b], m[a]
	if err := e.db.Set([]byte{localPrefix, localDBMap}, m, e.writeOpts()); err != nil {
		return err
	}
	e.dbmap.Store(&m)
	return nil
}

// KeyInfo is a key found by a keyspace walk.
type KeyInfo struct {
	Key  []byte
	Type Type
}

// walkSlot calls fn for each live key of physical db in slot, in key order, starting after
// `after` (nil: from the start; the empty key is a non-nil empty slice). fn returns false to stop.
func (e *Engine) walkSlot(pdb byte, slot uint16, after []byte, now int64, fn func(key []byte, m *Meta) bool) error {
	lower := slotPrefix(pdb, slot, tagMeta)
	upper := prefixEnd(lower)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	var ok bool
	if after != nil {
		start := append(append([]byte(nil), lower...), after...)
		ok = it.SeekGE(start)
		if ok && string(it.Key()[4:]) == string(after) {
			ok = it.Next()
		}
	} else {
		ok = it.First()
	}
	for ; ok; ok = it.Next() {
		m, err := decodeMeta(it.Value())
		if err != nil {
			return err
		}
		if m.Expired(now) {
			continue
		}
		if !fn(append([]byte{}, it.Key()[4:]...), m) { // non-nil even for the empty key
			break
		}
	}
	return it.Error()
}

// Keys returns every live key of db accepted by match (nil: all), skipping empty slots by
// their counters.
func (e *Engine) Keys(db int, match func([]byte) bool) ([][]byte, error) {
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	now := e.opts.Now()
	var out [][]byte
	for slot := range keyslot.Slots {
		if e.counts[pdb].keys[slot].Load() == 0 {
			continue
		}
		err := e.walkSlot(pdb, uint16(slot), nil, now, func(k []byte, _ *Meta) bool {
			if match == nil || match(k) {
				out = append(out, k)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetKeysInSlot returns up to count keys of db 0 in slot: a scan of that slot only.
func (e *Engine) GetKeysInSlot(slot uint16, count int) ([][]byte, error) {
	e.global.RLock()
	defer e.global.RUnlock()
	var out [][]byte
	if count <= 0 {
		return out, nil
	}
	err := e.walkSlot(e.phys(0), slot, nil, 0, func(k []byte, _ *Meta) bool {
		out = append(out, k)
		return len(out) < count
	})
	return out, err
}

// RandomKey returns a random live key of db, or nil when it is empty.
func (e *Engine) RandomKey(db int) ([]byte, error) {
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	c := e.counts[pdb]
	now := e.opts.Now()
	for attempt := 0; attempt < 100; attempt++ {
		total := c.totalKeys.Load()
		if total <= 0 {
			return nil, nil
		}
		// Pick a key index uniformly, find its slot by the counters, then walk to it.
		n := rand.Int64N(total)
		slot := 0
		for ; slot < keyslot.Slots; slot++ {
			k := c.keys[slot].Load()
			if n < k {
				break
			}
			n -= k
		}
		if slot == keyslot.Slots {
			continue
		}
		var found []byte
		err := e.walkSlot(pdb, uint16(slot), nil, now, func(k []byte, _ *Meta) bool {
			if n == 0 {
				found = k
				return false
			}
			n--
			return true
		})
		if err != nil {
			return nil, err
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, nil
}

// scanCursors remembers where SCAN cursors stopped inside a slot, so that a cursor resumes
// after the last key returned even when keys were added or removed meanwhile. A cursor is
// token<<14 | slot; an unknown token restarts its slot (duplicates are allowed by SCAN's
// contract, misses are not).
type scanCursors struct {
	mu    sync.Mutex
	next  uint64
	last  map[uint64][]byte
	order []uint64
}

const maxScanCursors = 1 << 16

func newScanCursors() *scanCursors { return &scanCursors{last: make(map[uint64][]byte)} }

func (s *scanCursors) save(key []byte) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	if s.next >= 1<<49 {
		s.next = 1
	}
	t := s.next
	s.last[t] = key
	s.order = append(s.order, t)
	if len(s.order) > maxScanCursors {
		delete(s.last, s.order[0])
		s.order = s.order[1:]
	}
	return t
}

func (s *scanCursors) load(t uint64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[t]
}

// Scan returns about count keys of db from cursor on, and the next cursor (0 at the end).
// filter, if set, selects which keys are returned (they still count towards the work done).
func (e *Engine) Scan(db int, cursor uint64, count int, filter func(key []byte, t Type) bool) (uint64, [][]byte, error) {
	e.global.RLock()
	defer e.global.RUnlock()
	pdb := e.phys(db)
	now := e.opts.Now()
	slot := int(cursor & (keyslot.Slots - 1))
	var after []byte
	if t := cursor >> 14; t != 0 {
		after = e.scans.load(t)
	}
	count = max(count, 1)
	var out [][]byte
	visited := 0
	for ; slot < keyslot.Slots; slot, after = slot+1, nil {
		if e.counts[pdb].keys[slot].Load() == 0 {
			continue
		}
		var last []byte
		full := false
		err := e.walkSlot(pdb, uint16(slot), after, now, func(k []byte, m *Meta) bool {
			visited++
			last = k
			if filter == nil || filter(k, m.Type) {
				out = append(out, k)
			}
			if visited >= count {
				full = true
				return false
			}
			return true
		})
		if err != nil {
			return 0, nil, err
		}
		if full {
			return e.scans.save(last)<<14 | uint64(slot), out, nil
		}
	}
	return 0, out, nil
}

// DeleteSlot drops every key of db 0 in slot (a slot this node no longer serves): one
// range tombstone over db0|slot and the slot's counters.
func (e *Engine) DeleteSlot(slot uint16) error {
	e.global.Lock()
	defer e.global.Unlock()
	pdb := e.phys(0)
	lower := []byte{pdb, byte(slot >> 8), byte(slot)}
	b := e.db.NewBatch()
	defer b.Close()
	b.DeleteRange(lower, prefixEnd(lower), nil)
	b.Delete(counterKey(pdb, slot), nil)
	if err := b.Commit(e.writeOpts()); err != nil {
		return err
	}
	c := e.counts[pdb]
	c.add(slot, -c.keys[slot].Load(), -c.expires[slot].Load())
	c.nextDue[slot].Store(0)
	e.cache.clear()
	return nil
}
