package engine

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string, now func() int64) *Engine {
	t.Helper()
	e, err := Open(Options{Dir: dir, Databases: 16, Fsync: FsyncNo, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func put(t *testing.T, e *Engine, db int, key, val string, exp int64) {
	t.Helper()
	err := e.Update(db, [][]byte{[]byte(key)}, func(tx *Tx) error {
		return tx.Put([]byte(key), &Meta{Type: TypeString, Value: []byte(val), ExpireAt: exp})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScoreEncodingOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -3.5, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, 2.5, 1e300, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		a, b := EncodeScore(vals[i-1]), EncodeScore(vals[i])
		if bytes.Compare(a[:], b[:]) >= 0 {
			t.Errorf("EncodeScore(%v) >= EncodeScore(%v)", vals[i-1], vals[i])
		}
		if got := DecodeScore(b[:]); got != vals[i] {
			t.Errorf("DecodeScore round trip %v -> %v", vals[i], got)
		}
	}
}

func TestKeyLayoutGroupsSlots(t *testing.T) {
	// Every record of a slot sorts inside that slot's range, whatever the tag.
	k := []byte("user:1")
	s := Slot(k)
	lo, hi := []byte{3, byte(s >> 8), byte(s)}, prefixEnd([]byte{3, byte(s >> 8), byte(s)})
	for _, rec := range [][]byte{metaKey(3, s, k), expireKey(3, s, 42, k), elemPrefix(3, s, tagElem, k, 7)} {
		if bytes.Compare(rec, lo) < 0 || bytes.Compare(rec, hi) >= 0 {
			t.Errorf("record %x outside slot range [%x,%x)", rec, lo, hi)
		}
	}
	if got := prefixEnd([]byte{1, 0xFF}); !bytes.Equal(got, []byte{2}) {
		t.Errorf("prefixEnd = %x", got)
	}
}

func TestMetaRoundTrip(t *testing.T) {
	for _, m := range []*Meta{
		{Type: TypeString, Value: []byte("hello"), ExpireAt: 123},
		{Type: TypeString, Flags: FlagRaw},
		{Type: TypeHash, Version: 9, Count: 1 << 40, Extra: []byte{1, 2}},
	} {
		got, err := decodeMeta(m.encode())
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(m) && !(len(got.Value) == 0 && len(m.Value) == 0) {
			t.Errorf("round trip %+v -> %+v", m, got)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {9, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {byte(TypeHash), 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := decodeMeta(bad); err == nil {
			t.Errorf("decodeMeta(%x) accepted corrupt record", bad)
		}
	}
}

func TestCountersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	now := func() int64 { return 1000 }
	e, err := Open(Options{Dir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		put(t, e, 0, fmt.Sprintf("key%d", i), "v", 0)
	}
	put(t, e, 0, "key5", "again", 5000) // overwrite: no new key, one volatile
	put(t, e, 2, "other", "v", 0)
	if err := e.Update(0, [][]byte{[]byte("key7")}, func(tx *Tx) error {
		_, err := tx.Delete([]byte("key7"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	check := func(e *Engine) {
		t.Helper()
		if n := e.DBSize(0); n != 99 {
			t.Errorf("DBSize(0) = %d, want 99", n)
		}
		if n := e.Volatile(0); n != 1 {
			t.Errorf("Volatile(0) = %d, want 1", n)
		}
		if n := e.DBSize(2); n != 1 {
			t.Errorf("DBSize(2) = %d, want 1", n)
		}
		// key97 is in slot 12180 (CLUSTER KEYSLOT on Redis).
		if n := e.CountKeysInSlot(12180); n != 1 {
			t.Errorf("CountKeysInSlot(12180) = %d, want 1", n)
		}
	}
	check(e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := openTest(t, dir, now)
	check(e2)
	m, err := e2.Lookup(0, []byte("key5"))
	if err != nil || m == nil || string(m.Value) != "again" || m.ExpireAt != 5000 {
		t.Fatalf("key5 after restart = %+v, %v", m, err)
	}
}

func TestLazyAndActiveExpiry(t *testing.T) {
	var clock atomic.Int64
	clock.Store(1000)
	e := openTest(t, t.TempDir(), clock.Load)
	put(t, e, 0, "short", "v", 1500)
	put(t, e, 0, "long", "v", 1_000_000)
	for i := range 50 {
		put(t, e, 1, fmt.Sprintf("k%d", i), "v", 1200)
	}
	if m, _ := e.Lookup(0, []byte("short")); m == nil {
		t.Fatal("key gone before its time")
	}
	clock.Store(2000)
	// Lazy: a read of an expired key deletes it.
	if m, _ := e.Lookup(0, []byte("short")); m != nil {
		t.Fatal("expired key still readable")
	}
	if n := e.DBSize(0); n != 1 {
		t.Errorf("DBSize(0) after lazy expiry = %d, want 1", n)
	}
	// Active: keys nobody touches disappear.
	deadline := time.Now().Add(5 * time.Second)
	for e.DBSize(1) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.DBSize(1); n != 0 {
		t.Fatalf("active expiry left %d keys", n)
	}
	if n := e.Volatile(1); n != 0 {
		t.Errorf("Volatile(1) = %d after expiry", n)
	}
	if got := e.Stats().ExpiredKeys.Load(); got != 51 {
		t.Errorf("expired_keys = %d, want 51", got)
	}
}

func TestFlushAndSwap(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	put(t, e, 0, "a", "0", 0)
	put(t, e, 1, "b", "1", 0)
	if err := e.SwapDB(0, 1); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.Lookup(0, []byte("b")); m == nil || string(m.Value) != "1" {
		t.Fatal("db0 does not hold db1's key after SWAPDB")
	}
	if e.DBSize(0) != 1 || e.DBSize(1) != 1 {
		t.Fatal("counters not swapped")
	}
	e.Close()
	e = openTest(t, dir, nil)
	if m, _ := e.Lookup(1, []byte("a")); m == nil {
		t.Fatal("SWAPDB not durable")
	}
	if err := e.FlushDB(1); err != nil {
		t.Fatal(err)
	}
	if m, _ := e.Lookup(1, []byte("a")); m != nil || e.DBSize(1) != 0 {
		t.Fatal("FLUSHDB left data")
	}
	if e.DBSize(0) != 1 {
		t.Fatal("FLUSHDB touched another db")
	}
	if err := e.FlushAll(); err != nil {
		t.Fatal(err)
	}
	if e.DBSize(0) != 0 {
		t.Fatal("FLUSHALL left data")
	}
}

func TestCollectionDeleteDropsElements(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("h")
	var ver uint64
	err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		ver = tx.NewVersion()
		for i := range 10 {
			k := append(elemPrefix(tx.db, Slot(key), tagElem, key, ver), byte(i))
			tx.batch.Set(k, []byte("x"), nil)
		}
		return tx.Put(key, &Meta{Type: TypeHash, Version: ver, Count: 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		p := elemPrefix(e.phys(0), Slot(key), tagElem, key, ver)
		it, _ := e.db.NewIter(nil)
		defer it.Close()
		n := 0
		for ok := it.SeekGE(p); ok && bytes.HasPrefix(it.Key(), p); ok = it.Next() {
			n++
		}
		return n
	}
	if count() != 10 {
		t.Fatal("elements not written")
	}
	// Overwriting with a string drops the hash's elements in the same batch.
	put(t, e, 0, "h", "now a string", 0)
	if n := count(); n != 0 {
		t.Fatalf("%d elements survived the overwrite", n)
	}
}

func TestConcurrentIncrementsAreAtomic(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("n")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
					m, err := tx.Get(key)
					if err != nil {
						return err
					}
					n := 0
					if m != nil {
						fmt.Sscan(string(m.Value), &n)
					}
					return tx.Put(key, &Meta{Type: TypeString, Value: []byte(fmt.Sprint(n + 1))})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	m, _ := e.Lookup(0, key)
	if m == nil || string(m.Value) != "1600" {
		t.Fatalf("counter = %v, want 1600", m)
	}
}

func TestScanSurvivesConcurrentWrites(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	want := map[string]bool{}
	for i := range 500 {
		k := fmt.Sprintf("stable:%d", i)
		put(t, e, 0, k, "v", 0)
		want[k] = true
	}
	seen := map[string]bool{}
	var cursor uint64
	round := 0
	for {
		next, keys, err := e.Scan(0, cursor, 37, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[string(k)] = true
		}
		// Churn between calls: add and delete other keys.
		for j := range 20 {
			put(t, e, 0, fmt.Sprintf("churn:%d:%d", round, j), "v", 0)
		}
		round++
		if next == 0 {
			break
		}
		cursor = next
	}
	var missing []string
	for k := range want {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("SCAN missed %d keys that existed throughout, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
}

func TestStripesOrderAndDedupe(t *testing.T) {
	s := newStripes()
	ls := s.set(0, [][]byte{[]byte("a"), []byte("b"), []byte("a")})
	if len(ls) > 2 || (len(ls) == 2 && ls[0] >= ls[1]) {
		t.Fatalf("lock set %v not sorted/deduplicated", ls)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newMetaCache(1 << 20)
	val := bytes.Repeat([]byte("x"), 1000)
	for i := range 10000 {
		c.put(0, []byte(fmt.Sprint(i)), &Meta{Type: TypeString, Value: val})
	}
	c.c.CleanUp()
	if w := c.c.WeightedSize(); w > 1<<20 {
		t.Fatalf("cache holds %d bytes over its 1 MiB budget", w)
	}
	// A value over the per-entry limit is never cached.
	c.put(0, []byte("big"), &Meta{Type: TypeString, Value: make([]byte, 100<<10)})
	if _, ok := c.get(0, []byte("big")); ok {
		t.Fatal("oversized value cached")
	}
}
