package engine

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/slotdb/slotdb/rdb"
)

// The LRU clock: seconds, 24 bits, and estimateObjectIdleTime across the wrap.
func TestLRUIdleAcrossWrap(t *testing.T) {
	now := int64(1_700_000_000_000)
	if got := lruIdleMs(lruClock(now-5000), now); got != 5000 {
		t.Errorf("idle of a stamp 5 s old = %d ms", got)
	}
	// A stamp just before the wrap, read just after it: Redis's (clock + (MAX - lru)).
	wrap := int64(lruClockMax+1) * 1000 * 3
	stamp := lruClock(wrap - 2000) // MAX-1
	if stamp != lruClockMax-1 {
		t.Fatalf("clock 2 s before the wrap = %d", stamp)
	}
	if got := lruIdleMs(stamp, wrap+1000); got != (1+(lruClockMax-int64(stamp)))*1000 {
		t.Errorf("idle across the wrap = %d ms", got)
	}
}

// objectSetLRUOrLFU: IDLETIME counts back on the LRU clock; an underflow lands half-way round.
func TestRestoredStamp(t *testing.T) {
	e := &Engine{}
	e.access.init(0)
	now := int64(1_700_000_000_000)
	v, ok := e.restoredStamp(1000, -1, now)
	if !ok || lruIdleMs(v, now) != 1000_000 {
		t.Errorf("IDLETIME 1000: stamp %d ok %v idle %d ms", v, ok, lruIdleMs(v, now))
	}
	if _, ok := e.restoredStamp(-1, 7, now); ok {
		t.Error("FREQ used under LRU")
	}
	huge := int64(lruClock(now)) + 10
	v, _ = e.restoredStamp(huge, -1, now)
	if want := uint32((int64(lruClock(now)) + lruClockMax/2) % lruClockMax); v != want {
		t.Errorf("underflowing IDLETIME: stamp %d, want %d", v, want)
	}
	e.SetAccessPolicy(true)
	v, ok = e.restoredStamp(-1, 7, now)
	if !ok || v&255 != 7 || v>>8 != lfuMinutes(now) {
		t.Errorf("FREQ 7 under LFU: stamp %#x ok %v", v, ok)
	}
	if _, ok := e.restoredStamp(100, -1, now); ok {
		t.Error("IDLETIME used under LFU")
	}
}

// LFUDecrAndReturn: one point per lfu-decay-time minutes, never below 0, on a 16-bit clock.
func TestLFUDecay(t *testing.T) {
	now := int64(1_700_000_000_000)
	min := lfuMinutes(now)
	for _, c := range []struct {
		ago, decay int32
		counter    uint32
		want       uint32
	}{
		{0, 1, 20, 20},
		{3, 1, 20, 17},
		{3, 2, 20, 19},
		{30, 1, 20, 0},
		{30, 0, 20, 20}, // decay off
		{5, 5, 0, 0},
	} {
		v := (min-uint32(c.ago))&65535<<8 | c.counter
		if got := lfuDecr(v, c.decay, now); got != c.want {
			t.Errorf("counter %d, %d min ago, decay %d: %d, want %d", c.counter, c.ago, c.decay, got, c.want)
		}
	}
	// The minutes clock wraps at 65536 (LFUTimeElapsed's 65535-ldt+now).
	wrapNow := int64(65536+2) * 60_000
	if got := lfuTimeElapsed(65534, wrapNow); got != 3 {
		t.Errorf("elapsed across the wrap = %d, want 3", got)
	}
}

// LFULogIncr: certain up to LFU_INIT_VAL, then with probability 1/((c-5)*factor+1).
func TestLFULogIncrProbability(t *testing.T) {
	for _, c := range []uint32{0, 4, 5} {
		if got := lfuLogIncr(c, 10, 0.999999); got != c+1 {
			t.Errorf("counter %d: %d, want certain increment", c, got)
		}
	}
	if got := lfuLogIncr(255, 10, 0); got != 255 {
		t.Errorf("255 grew to %d", got)
	}
	// Counter 15, factor 10: p = 1/101. Exactly at the threshold it does not grow (r < p).
	p := 1.0 / 101
	if lfuLogIncr(15, 10, p-1e-9) != 16 || lfuLogIncr(15, 10, p) != 15 {
		t.Error("threshold of counter 15, factor 10 is not 1/101")
	}
	if lfuLogIncr(15, 0, 0.99) != 16 {
		t.Error("factor 0 must always increment")
	}
	// Empirically: 200k draws at counter 7, factor 10 (p = 1/21).
	r := rand.New(rand.NewPCG(1, 2))
	hits := 0
	const n = 200_000
	for range n {
		if lfuLogIncr(7, 10, r.Float64()) == 8 {
			hits++
		}
	}
	if got, want := float64(hits)/n, 1.0/21; math.Abs(got-want) > 0.003 {
		t.Errorf("increment rate at 7 = %.4f, want %.4f", got, want)
	}
}

// Counts after N accesses match Redis's table (redis.conf, factor 10: 100 hits ~ 10,
// 1K ~ 18, 100K ~ 142, 1M ~ 255) within the spread of the process.
func TestLFUCounterGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	run := func(hits int) uint32 {
		c := uint32(LFUInitVal)
		for range hits {
			c = lfuLogIncr(c, 10, r.Float64())
		}
		return c
	}
	median := func(hits int) uint32 {
		var v []int
		for range 21 {
			v = append(v, int(run(hits)))
		}
		sort.Ints(v)
		return uint32(v[10])
	}
	for _, c := range []struct {
		hits   int
		lo, hi uint32
	}{{100, 8, 13}, {1000, 15, 22}, {100_000, 130, 155}, {1_000_000, 250, 255}} {
		if got := median(c.hits); got < c.lo || got > c.hi {
			t.Errorf("%d hits: median counter %d, want %d..%d", c.hits, got, c.lo, c.hi)
		}
	}
}

func openAccessEngine(t *testing.T, now *atomic.Int64) *Engine {
	t.Helper()
	e, err := Open(Options{Dir: t.TempDir(), CacheBytes: 8 << 20, Now: now.Load})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func putString(t *testing.T, e *Engine, key, val string) {
	t.Helper()
	if err := e.Update(0, [][]byte{[]byte(key)}, func(tx *Tx) error {
		return tx.Put([]byte(key), &Meta{Type: TypeString, Value: []byte(val)})
	}); err != nil {
		t.Fatal(err)
	}
}

// Through the engine: Lookup touches, LookupNoTouch does not, an overwrite keeps the LFU
// counter, and a record too big for the cache keeps its stamp in the side table.
func TestAccessThroughEngine(t *testing.T) {
	var now atomic.Int64
	now.Store(1_700_000_000_000)
	e := openAccessEngine(t, &now)
	putString(t, e, "k", "v")
	putString(t, e, "big", string(make([]byte, 100<<10)))
	now.Add(7000)
	m, _ := e.LookupNoTouch(0, []byte("k"))
	if got := e.IdleTime(m); got != 7 {
		t.Errorf("idle after 7 s = %d", got)
	}
	m, _ = e.LookupNoTouch(0, []byte("big"))
	if got := e.IdleTime(m); got != 7 {
		t.Errorf("idle of an uncached big value after 7 s = %d", got)
	}
	e.Lookup(0, []byte("k"))
	e.Lookup(0, []byte("big"))
	m, _ = e.LookupNoTouch(0, []byte("k"))
	if got := e.IdleTime(m); got != 0 {
		t.Errorf("idle after a lookup = %d", got)
	}
	if m, _ = e.LookupNoTouch(0, []byte("big")); e.IdleTime(m) != 0 {
		t.Errorf("idle of the big value after a lookup = %d", e.IdleTime(m))
	}

	e.SetAccessPolicy(true)
	e.SetLFULogFactor(0) // every access counts
	e.SetLFUDecayTime(0)
	putString(t, e, "f", "v")
	for range 3 {
		e.Lookup(0, []byte("f"))
	}
	m, _ = e.LookupNoTouch(0, []byte("f"))
	if got := e.Freq(m); got != LFUInitVal+3 {
		t.Errorf("freq after 3 lookups = %d", got)
	}
	putString(t, e, "f", "w") // an overwrite: one access, counter kept
	m, _ = e.LookupNoTouch(0, []byte("f"))
	if got := e.Freq(m); got != LFUInitVal+4 {
		t.Errorf("freq after an overwrite = %d", got)
	}
	if err := e.Update(0, [][]byte{[]byte("f")}, func(tx *Tx) error {
		_, err := tx.Delete([]byte("f"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	putString(t, e, "f", "x")
	m, _ = e.LookupNoTouch(0, []byte("f"))
	if got := e.Freq(m); got != LFUInitVal {
		t.Errorf("freq of a re-created key = %d", got)
	}
}

// A record evicted from the cache takes its stamp to the side table.
func TestAccessSurvivesEviction(t *testing.T) {
	var now atomic.Int64
	now.Store(1_700_000_000_000)
	e := openAccessEngine(t, &now)
	e.SetAccessPolicy(true)
	e.SetLFULogFactor(0)
	e.SetLFUDecayTime(0)
	putString(t, e, "hot", "v")
	m, _ := e.LookupNoTouch(0, []byte("hot"))
	m.acc.v.Store(lfuMinutes(now.Load())<<8 | 25)
	// Push it out with keys the cache sees more often (it holds 4 MiB; these are 12 MiB).
	val := string(make([]byte, 32<<10))
	for i := range 400 {
		k := []byte(fmt.Sprintf("filler%d", i))
		putString(t, e, string(k), val)
		for range 3 {
			e.LookupNoTouch(0, k)
		}
	}
	e.cache.c.CleanUp()
	t.Logf("cache: %d entries, weight %d", e.cache.c.EstimatedSize(), e.cache.c.WeightedSize())
	if _, ok := e.cache.get(0, []byte("hot")); ok {
		t.Skip("the record was not evicted; nothing to check")
	}
	m, _ = e.LookupNoTouch(0, []byte("hot"))
	if got := e.Freq(m); got != 25 {
		t.Errorf("freq after eviction = %d, want 25", got)
	}
}

// RDB_OPCODE_IDLE / RDB_OPCODE_FREQ before a key set its access data when the RDB is loaded,
// the one the policy in force uses (objectSetLRUOrLFU).
func TestAccessFromLoadedRDB(t *testing.T) {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.DefaultVersion)
	for _, en := range []rdb.Entry{
		{Key: []byte("idle"), Idle: 100, Freq: -1, Object: rdb.Object{Kind: rdb.KindString, Str: []byte("v")}},
		{Key: []byte("freq"), Idle: -1, Freq: 50, Object: rdb.Object{Kind: rdb.KindString, Str: []byte("v")}},
		{Key: []byte("none"), Idle: -1, Freq: -1, Object: rdb.Object{Kind: rdb.KindString, Str: []byte("v")}},
	} {
		if err := w.WriteEntry(&en); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, lfu := range []bool{false, true} {
		var now atomic.Int64
		now.Store(1_700_000_000_000)
		e := openAccessEngine(t, &now)
		e.SetAccessPolicy(lfu)
		if _, err := e.LoadRDB(bytes.NewReader(buf.Bytes()), LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		get := func(k string) *Meta {
			m, err := e.LookupNoTouch(0, []byte(k))
			if err != nil || m == nil {
				t.Fatalf("%s: %v %v", k, m, err)
			}
			return m
		}
		if !lfu {
			if got := e.IdleTime(get("idle")); got != 100 {
				t.Errorf("IDLE 100: idle %d", got)
			}
			if got := e.IdleTime(get("freq")); got != 0 {
				t.Errorf("FREQ under LRU: idle %d, want the load's 0", got)
			}
			continue
		}
		if got := e.Freq(get("freq")); got != 50 {
			t.Errorf("FREQ 50: freq %d", got)
		}
		if got := e.Freq(get("idle")); got != LFUInitVal {
			t.Errorf("IDLE under LFU: freq %d, want %d", got, LFUInitVal)
		}
		if got := e.Freq(get("none")); got != LFUInitVal {
			t.Errorf("no opcode: freq %d", got)
		}
	}
}

func TestTouchSet(t *testing.T) {
	var s touchSet
	for i := range 40 {
		k := []byte(fmt.Sprint("k", i))
		if s.has(k) {
			t.Fatalf("%s present before add", k)
		}
		s.add(k)
		s.add(k)
		if !s.has(k) {
			t.Fatalf("%s missing after add", k)
		}
	}
	for i := range 40 {
		if !s.has([]byte(fmt.Sprint("k", i))) {
			t.Fatalf("k%d lost when the set grew", i)
		}
	}
	if s.has([]byte("other")) {
		t.Fatal("a key never added is present")
	}
}
