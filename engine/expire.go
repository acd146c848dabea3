package engine

import (
	"encoding/binary"
	"errors"
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
	expireBatchMax = 512
)

// SetActiveExpire turns the active expiry cycle on or off; lazy expiry always works.
func (e *Engine) SetActiveExpire(on bool) { e.noActiveExpire.Store(!on) }

func (e *Engine) activeExpireCycle() {
	if e.noActiveExpire.Load() || e.expiryHolds() {
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

// expireDB removes due keys of one logical db, resuming at the slot where the previous call
// stopped; it reports whether it stopped with work left.
func (e *Engine) expireDB(db int, now int64, deadline time.Time) bool {
	e.global.RLock()
	pdb := e.phys(db)
	c := e.counts[pdb]
	if c.totalExp.Load() == 0 {
		e.global.RUnlock()
		return false
	}
	var due [][]byte
	slot := e.expireCursor[db]
	for n := 0; n < keyslot.Slots && len(due) < expireBatchMax; n, slot = n+1, (slot+1)%keyslot.Slots {
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
				next = at // the first entry not taken: due later, or left for the next batch
				break
			}
			due = append(due, append([]byte(nil), k[12:]...))
		}
		it.Close()
		// A concurrent write that lowered the bound meanwhile wins the CAS.
		c.nextDue[slot].CompareAndSwap(due0, next)
		if len(due) == expireBatchMax || time.Now().After(deadline) {
			break
		}
	}
	e.expireCursor[db] = slot
	e.global.RUnlock()
	// One transaction for the batch: each key is re-checked under its lock and deleted if it
	// is still expired.
	if len(due) > 0 {
		err := e.Update(db, due, func(tx *Tx) error {
			for _, key := range due {
				if _, err := tx.Get(key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			e.log.Warn("active expiry failed", "err", err)
		}
	}
	return len(due) == expireBatchMax
}
