package engine

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A run applies like the same Updates one by one, with one commit: a transaction on a key an
// earlier one wrote commits the run first (so it reads the write), a failed one writes
// nothing, others see nothing before Commit, and counters, cache, the write hook and
// propagation follow execution order.
func TestApplyRunLikeSequentialUpdates(t *testing.T) {
	dir := t.TempDir()
	e := openTest(t, dir, nil)
	put(t, e, 0, "old", "x", 0)
	var mu sync.Mutex
	var hooked, propagated []string
	e.SetWriteHook(func(db int, key []byte) { mu.Lock(); hooked = append(hooked, string(key)); mu.Unlock() })
	e.SetPropagateHook(func(db int, cmds [][][]byte) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cmds {
			propagated = append(propagated, fmt.Sprintf("%s %s", c[0], c[1]))
		}
	})
	set := func(key, val string) func(tx *Tx) error {
		return func(tx *Tx) error {
			tx.Propagate([]byte("SET"), []byte(key), []byte(val))
			return tx.Put([]byte(key), &Meta{Type: TypeString, Value: []byte(val)})
		}
	}
	k := func(s string) [][]byte { return [][]byte{[]byte(s)} }
	r := e.NewApplyRun()
	if err := r.Update(0, k("a"), set("a", "1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Update(0, k("b"), set("b", "1")); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Fatalf("run holds %d transactions, want 2", r.Len())
	}
	// Nothing is visible before the commit, and no stripe is held between transactions.
	if m, err := e.Lookup(0, []byte("a")); err != nil || m != nil {
		t.Fatalf("a visible before the commit: %v %v", m, err)
	}
	// A transaction on a key of the run commits the run first and reads its write.
	var seen string
	if err := r.Update(0, k("a"), func(tx *Tx) error {
		if m, _ := tx.Get([]byte("a")); m != nil {
			seen = string(m.Value)
		}
		return set("a", "2")(tx)
	}); err != nil {
		t.Fatal(err)
	}
	if seen != "1" {
		t.Fatalf("a later transaction saw a=%q, want the run's write", seen)
	}
	if r.Len() != 1 {
		t.Fatalf("the conflicting key did not commit the run first: %d pending", r.Len())
	}
	boom := errors.New("boom")
	if err := r.Update(0, k("c"), func(tx *Tx) error {
		if err := set("c", "lost")(tx); err != nil {
			return err
		}
		return boom
	}); err != boom {
		t.Fatalf("failed transaction: %v", err)
	}
	if err := r.Update(0, k("old"), func(tx *Tx) error {
		tx.Propagate([]byte("DEL"), []byte("old"))
		_, err := tx.Delete([]byte("old"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A reader on another goroutine is not blocked by the pending run.
	done := make(chan struct{})
	go func() {
		e.View(0, k("old"), func(tx *Tx) error { return nil })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a reader waited for the pending run")
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatal("the run is not empty after Commit")
	}
	if err := r.Commit(); err != nil {
		t.Fatalf("Commit of an empty run: %v", err)
	}
	for key, want := range map[string]string{"a": "2", "b": "1", "c": "", "old": ""} {
		m, err := e.Lookup(0, []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m == nil && want != "":
			t.Errorf("%s missing, want %q", key, want)
		case m != nil && string(m.Value) != want:
			t.Errorf("%s = %q, want %q", key, m.Value, want)
		}
	}
	if n := e.DBSize(0); n != 2 {
		t.Errorf("DBSIZE %d, want 2", n)
	}
	mu.Lock()
	if got := fmt.Sprint(propagated); got != "[SET a SET b SET a DEL old]" {
		t.Errorf("propagated %s", got)
	}
	if got := fmt.Sprint(hooked); got != "[a b a old]" {
		t.Errorf("write hook saw %s", got)
	}
	mu.Unlock()
	// The counters were committed with the data.
	e.Close()
	e2 := openTest(t, dir, nil)
	if n := e2.DBSize(0); n != 2 {
		t.Errorf("DBSIZE after reopen %d, want 2", n)
	}
}

// Prefetch fills the cache with what a transaction reads, present or absent.
func TestPrefetch(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	put(t, e, 0, "here", "v", 0)
	e.cache.c.InvalidateAll()
	e.Prefetch(0, []byte("here"))
	e.Prefetch(0, []byte("gone"))
	pdb := e.phys(0)
	if m, ok := e.cache.get(pdb, []byte("here")); !ok || m == nil || string(m.Value) != "v" {
		t.Fatalf("cached here: %v %v", m, ok)
	}
	if m, ok := e.cache.get(pdb, []byte("gone")); !ok || m != absent {
		t.Fatalf("cached gone: %v %v", m, ok)
	}
}
