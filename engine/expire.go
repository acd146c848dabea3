package engine

import (
	"encoding/binary"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// Active expiry: every 100 ms, walk the expiry index of the slots that have volatile keys and
// delete what is due, within a time budget (Redis's ACTIVE_EXPIRE_CYCLE_SLOW takes 25% of a
// tick). The index is ordered by time within a slot, so each slot costs one seek plus the keys
// actually due.
const (
	expireBudget   = 25 * time.Millisecond
	expireBatchMax = 128
)

// SetActiveExpire turns the active expiry cycle on or off; lazy expiry always works.
func (e *Engine) SetActiveExpire(on bool) { e.noActiveExpire.Store(!on) }

func (e *Engine) activeExpireCycle() {
	if e.noActiveExpire.Load() {
		return
	}
	start := time.Now()
	deadline := start.Add(expireBudget)
	now := e.opts.Now()
	for db := range e.opts.Databases {
		for e.expireDB(db, now, deadline) {
			if time.Now().After(deadline) {
				break
			}
		}
		if time.Now().After(deadline) {
			break
		}
	}
	e.stats.ExpireCycleTime.Add(time.Since(start).Milliseconds())
}

// expireDB removes due keys of one logical db; it reports whether it stopped with work left.
func (e *Engine) expireDB(db int, now int64, deadline time.Time) bool {
	e.global.RLock()
	pdb := e.phys(db)
	c := e.counts[pdb]
	if c.totalExp.Load() == 0 {
		e.global.RUnlock()
		return false
	}
	var due [][]byte
	for slot := 0; slot < keyslot.Slots && len(due) < expireBatchMax; slot++ {
		due0 := c.nextDue[slot].Load()
		if c.expires[slot].Load() == 0 || due0 > now {
			continue
		}
		lower := slotPrefix(pdb, uint16(slot), tagExpire)
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
		if err != nil {
			break
		}
		next := int64(1<<63 - 1) // nothing left in the slot
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			at := int64(binary.BigEndian.Uint64(k[4:12]))
			if at > now || len(due) == expireBatchMax {
				next = at
				break
			}
			due = append(due, append([]byte(nil), k[12:]...))
		}
		it.Close()
		// Keys deleted below are due now; a concurrent write that lowered the bound wins.
		if len(due) > 0 {
			next = min(next, now)
		}
		c.nextDue[slot].CompareAndSwap(due0, next)
		if time.Now().After(deadline) {
			break
		}
	}
	e.global.RUnlock()
	for _, key := range due {
		e.expireNow(db, key)
	}
	return len(due) == expireBatchMax
}
