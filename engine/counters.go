package engine

import (
	"encoding/binary"
	"io"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// Per-slot key counters are kept as merge operands (keys delta, volatile-keys delta) written in
// the same batch as the change they count, so they are exact after a crash without any scan.
// In memory they are plain atomics, loaded once at open.

// counterMerger sums (keys, expires) pairs. Its name is stored by Pebble: never change it.
var counterMerger = &pebble.Merger{
	Name: "slotdb.counters.v1",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		m := &sumMerger{}
		return m, m.add(value)
	},
}

type sumMerger struct{ keys, expires int64 }

func (m *sumMerger) add(v []byte) error {
	if len(v) == 16 {
		m.keys += int64(binary.LittleEndian.Uint64(v))
		m.expires += int64(binary.LittleEndian.Uint64(v[8:]))
	}
	return nil
}
func (m *sumMerger) MergeNewer(v []byte) error { return m.add(v) }
func (m *sumMerger) MergeOlder(v []byte) error { return m.add(v) }
func (m *sumMerger) Finish(bool) ([]byte, io.Closer, error) {
	return encodeCounter(m.keys, m.expires), nil, nil
}

func encodeCounter(keys, expires int64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(keys))
	binary.LittleEndian.PutUint64(b[8:], uint64(expires))
	return b
}

// slotCounters are the in-memory counters of one physical database.
type slotCounters struct {
	keys, expires       [keyslot.Slots]atomic.Int64
	totalKeys, totalExp atomic.Int64
	// nextDue is a lower bound of the earliest expiry in each slot (0: unknown), so the
	// active expiry cycle skips slots with nothing due.
	nextDue [keyslot.Slots]atomic.Int64
}

// lowerDue records that slot holds a key expiring at `at`.
func (c *slotCounters) lowerDue(slot uint16, at int64) {
	for {
		cur := c.nextDue[slot].Load()
		if cur != 0 && cur <= at || c.nextDue[slot].CompareAndSwap(cur, at) {
			return
		}
	}
}

func (c *slotCounters) add(slot uint16, keys, expires int64) {
	if keys != 0 {
		c.keys[slot].Add(keys)
		c.totalKeys.Add(keys)
	}
	if expires != 0 {
		c.expires[slot].Add(expires)
		c.totalExp.Add(expires)
	}
}

func (c *slotCounters) reset() {
	for i := range c.keys {
		c.keys[i].Store(0)
		c.expires[i].Store(0)
		c.nextDue[i].Store(0)
	}
	c.totalKeys.Store(0)
	c.totalExp.Store(0)
}

// counterDelta accumulates a transaction's counter changes per (db, slot).
type counterDelta struct {
	db      byte
	slot    uint16
	keys    int64
	expires int64
}
