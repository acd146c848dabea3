package engine

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/slotdb/slotdb/rdb"
)

// Access stamps: what Redis keeps in robj->lru for eviction and OBJECT IDLETIME/FREQ (evict.c).
// One 24-bit value per key, read by the policy in force when it is read, exactly like Redis's
// field: under an LRU (or no-eviction) policy the LRU clock in seconds at the last access;
// under an LFU policy the minutes of the last decrement in the top 16 bits and a logarithmic
// access counter in the low 8. Switching policy at run time reinterprets the stored bits, as
// in Redis ("LRU and LFU data will take some time to adjust").
//
// Stamps live in memory only (design.md: the cache is never the source of truth): in the
// cached Meta while the key's record is cached, in the cache's bounded side table (cache.go)
// when the record is evicted or too big to cache, and nowhere once both forgot the key. A key
// with no stamp in memory (never touched since the node started, or forgotten) reads as
// accessed when the engine opened, with LFU_INIT_VAL accesses: what Redis reports of a key
// loaded at startup and not read since. Touching costs a load and, at most once per second
// under LRU, a compare-and-swap: no lock, no Pebble write.

const (
	lruClockMax        = 1<<24 - 1 // LRU_CLOCK_MAX
	lruClockResolution = 1000      // LRU_CLOCK_RESOLUTION, ms
	// LFUInitVal is LFU_INIT_VAL, the counter of a new key.
	LFUInitVal = 5
)

// accessStamp is one key's robj->lru. Metas of successive versions of a key share it.
type accessStamp struct{ v atomic.Uint32 }

// accessPolicy is the live maxmemory-policy family and LFU tuning.
type accessPolicy struct {
	lfu       atomic.Bool
	logFactor atomic.Int32 // lfu-log-factor
	decayTime atomic.Int32 // lfu-decay-time, minutes
	start     int64        // unix ms when the engine opened
}

func (p *accessPolicy) init(now int64) {
	p.logFactor.Store(10)
	p.decayTime.Store(1)
	p.start = now
}

// SetAccessPolicy selects how access stamps are kept and read: lfu for allkeys-lfu and
// volatile-lfu, false for every other maxmemory-policy (the LRU clock).
func (e *Engine) SetAccessPolicy(lfu bool) { e.access.lfu.Store(lfu) }

// SetLFULogFactor sets lfu-log-factor.
func (e *Engine) SetLFULogFactor(n int) { e.access.logFactor.Store(int32(min(max(n, 0), 1<<31-1))) }

// SetLFUDecayTime sets lfu-decay-time (minutes).
func (e *Engine) SetLFUDecayTime(n int) { e.access.decayTime.Store(int32(min(max(n, 0), 1<<31-1))) }

// lruClock is getLRUClock at now (unix ms).
func lruClock(now int64) uint32 { return uint32(now/lruClockResolution) & lruClockMax }

// lfuMinutes is LFUGetTimeInMinutes.
func lfuMinutes(now int64) uint32 { return uint32(now/1000/60) & 65535 }

// lruIdleMs is estimateObjectIdleTime: the LRU clock wraps every 194 days.
func lruIdleMs(lru uint32, now int64) int64 {
	c := lruClock(now)
	if c >= lru {
		return int64(c-lru) * lruClockResolution
	}
	return int64(c+(lruClockMax-lru)) * lruClockResolution
}

// lfuTimeElapsed is LFUTimeElapsed: minutes since ldt, on a 16-bit clock.
func lfuTimeElapsed(ldt uint32, now int64) uint32 {
	n := lfuMinutes(now)
	if n >= ldt {
		return n - ldt
	}
	return 65535 - ldt + n
}

// lfuDecr is LFUDecrAndReturn: the counter less one per decay period elapsed.
func lfuDecr(v uint32, decayTime int32, now int64) uint32 {
	counter := v & 255
	if decayTime <= 0 {
		return counter
	}
	periods := lfuTimeElapsed(v>>8, now) / uint32(decayTime)
	if periods > counter {
		return 0
	}
	return counter - periods
}

// lfuLogIncr is LFULogIncr with r drawn uniformly from [0,1): the counter grows with
// probability 1/((counter-LFU_INIT_VAL)*logFactor+1), saturating at 255.
func lfuLogIncr(counter uint32, logFactor int32, r float64) uint32 {
	if counter == 255 {
		return 255
	}
	base := max(float64(counter)-LFUInitVal, 0)
	if r < 1/(base*float64(logFactor)+1) {
		counter++
	}
	return counter
}

// freshStamp is the stamp of a key created at now (createObject).
func (e *Engine) freshStamp(now int64) uint32 {
	if e.access.lfu.Load() {
		return lfuMinutes(now)<<8 | LFUInitVal
	}
	return lruClock(now)
}

func (e *Engine) newStamp(now int64) *accessStamp {
	s := &accessStamp{}
	s.v.Store(e.freshStamp(now))
	return s
}

// touch is lookupKey's update of the access data (updateLFU, or the LRU clock). A lost race
// with another touch of the same key drops one of the two updates, which the counter's
// approximation absorbs.
func (e *Engine) touch(m *Meta, now int64) {
	a := m.acc
	if a == nil {
		return
	}
	old := a.v.Load()
	var v uint32
	if e.access.lfu.Load() {
		c := lfuDecr(old, e.access.decayTime.Load(), now)
		if c < 255 {
			c = lfuLogIncr(c, e.access.logFactor.Load(), rand.Float64())
		}
		v = lfuMinutes(now)<<8 | c
	} else {
		v = lruClock(now)
	}
	if v != old {
		a.v.CompareAndSwap(old, v)
	}
}

// stampValue is a's value, or the default of a key with no stamp in memory.
func (e *Engine) stampValue(a *accessStamp) uint32 {
	if a != nil {
		return a.v.Load()
	}
	return e.freshStamp(e.access.start)
}

func (m *Meta) stamp() *accessStamp {
	if m == nil {
		return nil
	}
	return m.acc
}

// IdleTime is OBJECT IDLETIME of m (a Meta the engine handed out): seconds since its last
// access by the LRU clock, read as Redis does whatever the policy.
func (e *Engine) IdleTime(m *Meta) int64 {
	return lruIdleMs(e.stampValue(m.stamp()), e.opts.Now()) / 1000
}

// Freq is OBJECT FREQ of m: its LFU counter after decay (LFUDecrAndReturn).
func (e *Engine) Freq(m *Meta) int {
	return int(lfuDecr(e.stampValue(m.stamp()), e.access.decayTime.Load(), e.opts.Now()))
}

// AccessLRU is m's raw 24-bit access field, DEBUG OBJECT's "lru".
func (e *Engine) AccessLRU(m *Meta) uint32 { return e.stampValue(m.stamp()) }

// LFU reports whether an LFU policy is selected.
func (e *Engine) LFU() bool { return e.access.lfu.Load() }

// restoredStamp is objectSetLRUOrLFU: the stamp a key restored or loaded with an IDLE time
// (seconds) or FREQ counter gets; negative means not given. ok is false when the policy in
// force ignores what was given.
func (e *Engine) restoredStamp(idle int64, freq int, now int64) (uint32, bool) {
	if e.access.lfu.Load() {
		if freq < 0 {
			return 0, false
		}
		return lfuMinutes(now)<<8 | uint32(min(freq, 255)), true
	}
	if idle < 0 {
		return 0, false
	}
	clk := int64(lruClock(now))
	abs := clk - idle // idle * 1000 / LRU_CLOCK_RESOLUTION
	if abs < 0 {
		// Underflow of the wrapping clock: half-way round it, so the idle time stays high.
		abs = (clk + lruClockMax/2) % lruClockMax
	}
	return uint32(abs), true
}

// RestoredAccess gives key, just stored by this transaction, the access data of a restored
// key: what RESTORE's IDLETIME (seconds) or FREQ asked for (negative = not given) when the
// policy in force keeps it, else a new key's (the old value, if any, was deleted first).
func (tx *Tx) RestoredAccess(key []byte, idle int64, freq int) {
	m := tx.pending[string(key)]
	if m == nil || m == absent {
		return
	}
	v, ok := tx.e.restoredStamp(idle, freq, tx.now)
	if !ok {
		v = tx.e.freshStamp(tx.now)
	}
	tx.replaceStamp(key, m, v)
}

// FreshAccess gives key, just stored by this transaction, the access data of a new key: COPY
// makes a new object, where RENAME and MOVE (CopyFrom alone) keep the source's.
func (tx *Tx) FreshAccess(key []byte) {
	m := tx.pending[string(key)]
	if m == nil || m == absent {
		return
	}
	tx.replaceStamp(key, m, tx.e.freshStamp(tx.now))
}

// replaceStamp swaps in a shallow copy with its own stamp: the pending Meta may share its
// stamp (and, handed in unchanged, itself) with a version readers still see.
func (tx *Tx) replaceStamp(key []byte, m *Meta, v uint32) {
	n := *m
	n.acc = &accessStamp{}
	n.acc.v.Store(v)
	tx.pending[string(key)] = &n
}

// inheritStamp gives m, about to be stored over old (nil when the key is new), its stamp: a
// new key's own, else old's (dbSetValue keeps the LFU data of the key it overwrites). Writing
// a key is an access (setKey's lookupKeyWrite), counted once per transaction with its reads.
func (tx *Tx) inheritStamp(key []byte, m, old *Meta) {
	if m.acc == nil {
		if old == nil || old.acc == nil {
			m.acc = tx.e.newStamp(tx.now)
			return
		}
		m.acc = old.acc
	}
	// A stamp carried from another key (RENAME, MOVE) was counted by that key's lookup.
	if old != nil && old.acc == m.acc {
		tx.touchOnce(key, m)
	}
}

// touchRead is a read's access: every lookup counts, as in Redis (SINTER k k counts twice).
func (tx *Tx) touchRead(key []byte, m *Meta) {
	if tx.noTouch || m.acc == nil {
		return
	}
	if tx.batch != nil { // only a write transaction asks (touchOnce)
		tx.touched.add(key)
	}
	tx.e.touch(m, tx.now)
}

// touchSet is the keys a transaction touched: a short list, a map past a few keys (MSET of
// thousands of keys would otherwise scan the list once per key).
type touchSet struct {
	keys [][]byte
	set  map[string]struct{}
}

func (s *touchSet) has(key []byte) bool {
	if s.set != nil {
		_, ok := s.set[string(key)]
		return ok
	}
	for _, k := range s.keys {
		if string(k) == string(key) {
			return true
		}
	}
	return false
}

func (s *touchSet) add(key []byte) {
	switch {
	case s.set != nil:
		s.set[string(key)] = struct{}{}
	case s.has(key):
	case len(s.keys) < 16:
		s.keys = append(s.keys, key)
	default:
		s.set = make(map[string]struct{}, 2*len(s.keys))
		for _, k := range s.keys {
			s.set[string(k)] = struct{}{}
		}
		s.set[string(key)] = struct{}{}
		s.keys = nil
	}
}

// touchOnce is a write's access (setKey's lookupKeyWrite): skipped when the transaction has
// read the key already, since Redis's write commands look their key up once.
func (tx *Tx) touchOnce(key []byte, m *Meta) {
	if tx.noTouch || m.acc == nil || tx.touched.has(key) {
		return
	}
	tx.touched.add(key)
	tx.e.touch(m, tx.now)
}

// Touch counts one more access of key, as a command that looks its key up twice does in Redis
// (GETSET, SET ... GET); a no-op when the key is missing.
func (tx *Tx) Touch(key []byte) {
	if m, err := tx.current(key); err == nil && m != nil {
		tx.e.touch(m, tx.now)
	}
}

// loadedAccess records the IDLE or FREQ an RDB gives its keys while it is bulk-loaded, until
// the side table is full: a key past that reads as accessed at startup, which is what the
// table would have forgotten anyway.
type loadedAccess struct {
	e      *Engine
	now    int64
	budget int64 // bytes the side table can still take
}

// newLoadedAccess starts the stamps of a bulk load; the store is empty, so are its stamps.
func (e *Engine) newLoadedAccess(now int64) *loadedAccess {
	e.cache.clearStamps()
	return &loadedAccess{e: e, now: now, budget: int64(e.cache.stamps.GetMaximum())}
}

// add records en's IDLE or FREQ (negative = none), as objectSetLRUOrLFU keeps them.
func (la *loadedAccess) add(en *rdb.Entry) {
	if (en.Idle < 0 && en.Freq < 0) || la.budget <= 0 {
		return
	}
	if v, ok := la.e.restoredStamp(en.Idle, en.Freq, la.now); ok {
		s := &accessStamp{}
		s.v.Store(v)
		la.e.cache.putStamp(la.e.phys(en.DB), en.Key, s)
		la.budget -= int64(len(en.Key) + stampOverhead)
	}
}

// Access is what an RDB writer records of key (LRU idle seconds, LFU counter), read from the
// stamps in memory now; the snapshot itself holds none.
func (s *Snapshot) Access(db int, key []byte) (idle int64, freq int) {
	e := s.e
	v, now := e.stampValue(e.cache.stampOf(s.dbmap[db], key)), e.opts.Now()
	return lruIdleMs(v, now) / 1000, int(lfuDecr(v, e.access.decayTime.Load(), now))
}

// defaultStamp is the stamp of a key with none in memory: as if accessed (or loaded) when
// the engine opened.
func (e *Engine) defaultStamp() *accessStamp { return e.newStamp(e.access.start) }

// SkipTouch makes the transaction's reads leave the keys' access data alone: for a command
// whose Lookup already counted its one access (Redis looks a key up once per command).
func (tx *Tx) SkipTouch() { tx.noTouch = true }
