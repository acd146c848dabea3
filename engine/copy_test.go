package engine

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// copyTestEngine opens an engine on a temp dir with a settable clock.
func copyTestEngine(t *testing.T, dir string, now *atomic.Int64) *Engine {
	t.Helper()
	if now.Load() == 0 {
		now.Store(1_000_000)
	}
	e, err := Open(Options{Dir: dir, Databases: 16, Now: now.Load})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// putCollection writes a collection's metadata and element records directly, as a type's
// command would: elems go under tag 'e', scores under tag 'z'.
func putCollection(t *testing.T, e *Engine, db int, key []byte, typ Type, expireAt int64, elems, scores map[string]string) *Meta {
	t.Helper()
	var m *Meta
	err := e.Update(db, [][]byte{key}, func(tx *Tx) error {
		m = &Meta{Type: typ, ExpireAt: expireAt, Version: tx.NewVersion(), Count: int64(len(elems)), Extra: []byte("hdr")}
		if err := tx.Put(key, m); err != nil {
			return err
		}
		slot := Slot(key)
		for tag, recs := range map[byte]map[string]string{tagElem: elems, tagScore: scores} {
			p := elemPrefix(tx.db, slot, tag, key, m.Version)
			for sfx, v := range recs {
				if err := tx.batch.Set(append(append([]byte(nil), p...), sfx...), []byte(v), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// records returns the suffix -> value map of one collection version's records under tag.
func records(t *testing.T, e *Engine, db int, key []byte, tag byte, version uint64) map[string]string {
	t.Helper()
	p := elemPrefix(e.phys(db), Slot(key), tag, key, version)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		out[string(it.Key()[len(p):])] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustLookup(t *testing.T, e *Engine, db int, key string) *Meta {
	t.Helper()
	m, err := e.Lookup(db, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

var (
	testElems  = map[string]string{"f1": "v1", "f2": "v2", "\x00bin\xff": "x"}
	testScores = map[string]string{"\x80\x00\x00\x00\x00\x00\x00\x01f1": "", "\x80\x00\x00\x00\x00\x00\x00\x02f2": ""}
)

func TestCopyFromStringKeepsValueAndTTL(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	src, dst := []byte("src"), []byte("dst")
	err := e.Update(0, [][]byte{src}, func(tx *Tx) error {
		return tx.Put(src, &Meta{Type: TypeString, Value: []byte("hello"), ExpireAt: 2_000_000, Flags: FlagRaw})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Update(0, [][]byte{src, dst}, func(tx *Tx) error {
		m, err := tx.Get(src)
		if err != nil {
			return err
		}
		return tx.CopyFrom(tx, src, m, dst)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := mustLookup(t, e, 0, "dst")
	if got == nil || string(got.Value) != "hello" || got.ExpireAt != 2_000_000 || got.Flags != FlagRaw {
		t.Fatalf("dst = %+v", got)
	}
	if n, v := e.DBSize(0), e.Volatile(0); n != 2 || v != 2 {
		t.Fatalf("dbsize %d volatile %d, want 2 2", n, v)
	}
}

// RENAME of a collection: the elements move to the new key under a new version, the source's
// records are gone, the key count is unchanged.
func TestCopyFromCollectionRename(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	src, dst := []byte("{a}src"), []byte("other-slot")
	old := putCollection(t, e, 0, src, TypeHash, 5_000_000, testElems, testScores)
	err := e.Update(0, [][]byte{src, dst}, func(tx *Tx) error {
		m, err := tx.Get(src)
		if err != nil {
			return err
		}
		if err := tx.CopyFrom(tx, src, m, dst); err != nil {
			return err
		}
		_, err = tx.Delete(src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := mustLookup(t, e, 0, string(src)); m != nil {
		t.Fatalf("source still there: %+v", m)
	}
	m := mustLookup(t, e, 0, string(dst))
	if m == nil || m.Type != TypeHash || m.Count != 3 || m.ExpireAt != 5_000_000 || string(m.Extra) != "hdr" {
		t.Fatalf("dst meta = %+v", m)
	}
	if m.Version == old.Version {
		t.Fatal("copy shares the source's version")
	}
	if got := records(t, e, 0, dst, tagElem, m.Version); !sameMap(got, testElems) {
		t.Fatalf("dst elements = %q", got)
	}
	if got := records(t, e, 0, dst, tagScore, m.Version); !sameMap(got, testScores) {
		t.Fatalf("dst scores = %q", got)
	}
	for _, tag := range []byte{tagElem, tagScore} {
		if got := records(t, e, 0, src, tag, old.Version); len(got) != 0 {
			t.Fatalf("source records under %c survive: %q", tag, got)
		}
	}
	if n, v := e.DBSize(0), e.Volatile(0); n != 1 || v != 1 {
		t.Fatalf("dbsize %d volatile %d, want 1 1", n, v)
	}
}

// COPY ... REPLACE over an existing collection drops the old destination's records.
func TestCopyFromReplacesCollection(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	src, dst := []byte("s"), []byte("d")
	putCollection(t, e, 0, src, TypeSet, 0, testElems, nil)
	oldDst := putCollection(t, e, 0, dst, TypeZSet, 0, map[string]string{"old": "1"}, map[string]string{"old": ""})
	err := e.Update(0, [][]byte{src, dst}, func(tx *Tx) error {
		m, err := tx.Get(src)
		if err != nil {
			return err
		}
		return tx.CopyFrom(tx, src, m, dst)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []byte{tagElem, tagScore} {
		if got := records(t, e, 0, dst, tag, oldDst.Version); len(got) != 0 {
			t.Fatalf("replaced destination's records under %c survive: %q", tag, got)
		}
	}
	sm, dm := mustLookup(t, e, 0, "s"), mustLookup(t, e, 0, "d")
	if dm.Type != TypeSet || dm.Version == sm.Version {
		t.Fatalf("dst = %+v, src = %+v", dm, sm)
	}
	if !sameMap(records(t, e, 0, dst, tagElem, dm.Version), testElems) ||
		!sameMap(records(t, e, 0, src, tagElem, sm.Version), testElems) {
		t.Fatal("source or copy lost elements")
	}
	if n := e.DBSize(0); n != 2 {
		t.Fatalf("dbsize %d, want 2", n)
	}
}

// MOVE across databases is one atomic batch; counters of both databases follow and survive a
// reopen.
func TestUpdatePairMoveAcrossDatabases(t *testing.T) {
	var now atomic.Int64
	dir := t.TempDir()
	e := copyTestEngine(t, dir, &now)
	key := []byte("k")
	old := putCollection(t, e, 3, key, TypeList, 9_000_000, testElems, nil)
	err := e.UpdatePair(3, [][]byte{key}, 7, [][]byte{key}, func(src, dst *Tx) error {
		if src == dst {
			return errors.New("different databases share a Tx")
		}
		m, err := src.Get(key)
		if err != nil {
			return err
		}
		if err := dst.CopyFrom(src, key, m, key); err != nil {
			return err
		}
		_, err = src.Delete(key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(e *Engine) {
		t.Helper()
		if m := mustLookup(t, e, 3, "k"); m != nil {
			t.Fatalf("source db still has the key: %+v", m)
		}
		m := mustLookup(t, e, 7, "k")
		if m == nil || m.Type != TypeList || m.ExpireAt != 9_000_000 {
			t.Fatalf("db 7 meta = %+v", m)
		}
		if !sameMap(records(t, e, 7, key, tagElem, m.Version), testElems) {
			t.Fatal("db 7 lost the elements")
		}
		if len(records(t, e, 3, key, tagElem, old.Version)) != 0 {
			t.Fatal("db 3 kept the elements")
		}
		if a, b, va, vb := e.DBSize(3), e.DBSize(7), e.Volatile(3), e.Volatile(7); a != 0 || b != 1 || va != 0 || vb != 1 {
			t.Fatalf("counters: db3 %d/%d db7 %d/%d", a, va, b, vb)
		}
	}
	check(e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = copyTestEngine(t, dir, &now)
	defer e.Close()
	check(e)
}

func TestUpdatePairAbortWritesNothing(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	key := []byte("k")
	putCollection(t, e, 0, key, TypeHash, 0, testElems, nil)
	boom := errors.New("boom")
	err := e.UpdatePair(0, [][]byte{key}, 1, [][]byte{key}, func(src, dst *Tx) error {
		m, err := src.Get(key)
		if err != nil {
			return err
		}
		if err := dst.CopyFrom(src, key, m, key); err != nil {
			return err
		}
		if _, err := src.Delete(key); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if mustLookup(t, e, 0, "k") == nil || mustLookup(t, e, 1, "k") != nil {
		t.Fatal("aborted pair left changes")
	}
	if e.DBSize(0) != 1 || e.DBSize(1) != 0 {
		t.Fatalf("counters changed: %d %d", e.DBSize(0), e.DBSize(1))
	}
}

func TestUpdatePairSameDatabaseSharesTx(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	err := e.UpdatePair(2, [][]byte{[]byte("a")}, 2, [][]byte{[]byte("b")}, func(a, b *Tx) error {
		if a != b {
			return errors.New("same database, two Tx")
		}
		if err := a.Put([]byte("a"), &Meta{Type: TypeString, Value: []byte("1")}); err != nil {
			return err
		}
		m, err := b.Get([]byte("a")) // sees a's pending write
		if err != nil || m == nil {
			return fmt.Errorf("pending write not visible: %v", err)
		}
		return b.CopyFrom(a, []byte("a"), m, []byte("b"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := mustLookup(t, e, 2, "b"); m == nil || string(m.Value) != "1" {
		t.Fatalf("b = %+v", m)
	}
}

// Opposite-direction pairs over the same keys must not deadlock (run with -race).
func TestUpdatePairNoDeadlock(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := [][]byte{[]byte(fmt.Sprint("k", i%7))}
				a, b := 0, 1
				if (w+i)%2 == 0 {
					a, b = 1, 0
				}
				err := e.UpdatePair(a, k, b, k, func(ta, tb *Tx) error {
					return tb.Put(k[0], &Meta{Type: TypeString, Value: []byte("v")})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e.DBSize(0) != 7 || e.DBSize(1) != 7 {
		t.Fatalf("dbsize %d %d, want 7 7", e.DBSize(0), e.DBSize(1))
	}
}

func TestPeekAndWalkSeeExpiredKeys(t *testing.T) {
	var now atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &now)
	defer e.Close()
	e.SetActiveExpire(false)
	for i, k := range []string{"live", "dying", "other"} {
		exp := int64(0)
		if k == "dying" {
			exp = now.Load() + 10
		}
		err := e.Update(0, [][]byte{[]byte(k)}, func(tx *Tx) error {
			return tx.Put([]byte(k), &Meta{Type: TypeString, Value: []byte{byte('0' + i)}, ExpireAt: exp})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	now.Add(100)
	m, err := e.Peek(0, []byte("dying"))
	if err != nil || m == nil || string(m.Value) != "1" {
		t.Fatalf("Peek = %+v, %v", m, err)
	}
	var seen []string
	err = e.Walk(0, func(k []byte, m *Meta) error {
		seen = append(seen, string(k)+"="+string(m.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("Walk saw %q, want all three keys", seen)
	}
	if e.DBSize(0) != 3 {
		t.Fatal("Peek or Walk deleted an expired key")
	}
	stop := errors.New("stop")
	n := 0
	if err := e.Walk(0, func([]byte, *Meta) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("Walk did not stop at the first error: %v after %d", err, n)
	}
	if m, _ := e.Peek(0, []byte("none")); m != nil {
		t.Fatalf("Peek of a missing key = %+v", m)
	}
	if !bytes.Equal(mustLookupValue(t, e, "dying"), nil) {
		t.Fatal("Lookup returned an expired key")
	}
}

func mustLookupValue(t *testing.T, e *Engine, key string) []byte {
	if m := mustLookup(t, e, 0, key); m != nil {
		return m.Value
	}
	return nil
}
