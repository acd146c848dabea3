package engine

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A group of transactions commits as one batch and behaves like the same Updates one by one:
// later transactions see earlier writes, a failed one writes nothing, counters, cache, the
// write hook and propagation follow execution order, and nothing is visible before Commit.
func TestGroupCommitsLikeSequentialUpdates(t *testing.T) {
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
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("old")}
	g, err := e.NewGroup(0, keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Update(keys[:1], set("a", "1")); err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := g.Update(keys[:1], func(tx *Tx) error {
		m, err := tx.Get([]byte("a"))
		if m != nil {
			seen = string(m.Value)
		}
		if err != nil {
			return err
		}
		return set("a", "2")(tx)
	}); err != nil {
		t.Fatal(err)
	}
	if seen != "1" {
		t.Fatalf("second transaction saw a=%q, want the first one's write", seen)
	}
	boom := errors.New("boom")
	if err := g.Update(keys[1:2], func(tx *Tx) error {
		if err := set("b", "lost")(tx); err != nil {
			return err
		}
		return boom
	}); err != boom {
		t.Fatalf("failed transaction: %v", err)
	}
	if err := g.Update(keys[2:], func(tx *Tx) error {
		tx.Propagate([]byte("DEL"), []byte("old"))
		_, err := tx.Delete([]byte("old"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := g.Update([][]byte{[]byte("elsewhere")}, set("elsewhere", "1")); err == nil && !e.locks.setHas(0, keys, "elsewhere") {
		t.Fatal("a key outside the group's stripes was accepted")
	}
	// Others see nothing before the commit: a reader of "a" waits for the stripe.
	read := make(chan string, 1)
	go func() {
		var v string
		e.View(0, keys[:1], func(tx *Tx) error {
			if m, _ := tx.Get([]byte("a")); m != nil {
				v = string(m.Value)
			}
			return nil
		})
		read <- v
	}()
	select {
	case v := <-read:
		t.Fatalf("a reader got a=%q before the group committed", v)
	case <-time.After(50 * time.Millisecond):
	}
	if g.Len() != 3 {
		t.Fatalf("group holds %d transactions, want 3", g.Len())
	}
	if err := g.Commit(); err != nil {
		t.Fatal(err)
	}
	if v := <-read; v != "2" {
		t.Fatalf("reader after the commit: a=%q", v)
	}
	if err := g.Commit(); err == nil {
		t.Fatal("second Commit accepted")
	}
	for key, want := range map[string]string{"a": "2", "b": "", "old": ""} {
		m, err := e.Lookup(0, []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		if got := ""; m != nil {
			got = string(m.Value)
			if got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		} else if want != "" {
			t.Errorf("%s missing, want %q", key, want)
		}
	}
	if n := e.DBSize(0); n != 1 {
		t.Errorf("DBSIZE %d, want 1", n)
	}
	mu.Lock()
	if got := fmt.Sprint(propagated); got != "[SET a SET a DEL old]" {
		t.Errorf("propagated %s", got)
	}
	if got := fmt.Sprint(hooked); got != "[a a old]" {
		t.Errorf("write hook saw %s", got)
	}
	mu.Unlock()
	// The counters were committed with the data.
	e.Close()
	e2 := openTest(t, dir, nil)
	if n := e2.DBSize(0); n != 1 {
		t.Errorf("DBSIZE after reopen %d, want 1", n)
	}
}

// setHas reports whether key falls on one of keys' stripes (the test's "elsewhere" may).
func (s *stripes) setHas(db byte, keys [][]byte, key string) bool {
	return s.set(db, keys).has(s.index(db, []byte(key)))
}
