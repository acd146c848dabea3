package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// hashOp runs fn on key's hash in one transaction and saves it.
func hashOp(t *testing.T, e *Engine, key string, lim HashLimits, fn func(h *Hash)) {
	t.Helper()
	keyUpdate(t, e, key, func(tx *Tx, k []byte, m *Meta) error {
		h := tx.OpenHash(k, m, lim)
		fn(h)
		return h.Save()
	})
}

func hashView(t *testing.T, e *Engine, key string, fn func(h *Hash)) {
	t.Helper()
	keyView(t, e, key, func(tx *Tx, k []byte, m *Meta) error {
		fn(tx.OpenHash(k, m, DefaultHashLimits))
		return nil
	})
}

func hashPairs(t *testing.T, e *Engine, key string) string {
	var out []string
	hashView(t, e, key, func(h *Hash) {
		if err := h.Each(func(f, v []byte) bool {
			out = append(out, string(f)+"="+string(v))
			return true
		}); err != nil {
			t.Fatal(err)
		}
	})
	return strings.Join(out, " ")
}

func mustSet(t *testing.T, h *Hash, f, v string) bool {
	t.Helper()
	added, err := h.Set([]byte(f), []byte(v))
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func TestHashListpackKeepsInsertionOrder(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	hashOp(t, e, "h", DefaultHashLimits, func(h *Hash) {
		for _, f := range []string{"z", "a", "m"} {
			if !mustSet(t, h, f, "1") {
				t.Errorf("Set %s: not new", f)
			}
		}
	})
	hashOp(t, e, "h", DefaultHashLimits, func(h *Hash) {
		if mustSet(t, h, "a", "2") { // update in place: keeps its position
			t.Error("update reported new")
		}
		mustSet(t, h, "b", "3")
		if ok, _ := h.Del([]byte("z")); !ok {
			t.Error("Del z")
		}
		mustSet(t, h, "z", "4") // re-added: goes last
	})
	if got, want := hashPairs(t, e, "h"), "a=2 m=1 b=3 z=4"; got != want {
		t.Errorf("order = %q, want %q", got, want)
	}
	hashView(t, e, "h", func(h *Hash) {
		if !h.Listpack() || h.Len() != 4 {
			t.Errorf("listpack=%v len=%d", h.Listpack(), h.Len())
		}
		if v, ok, _ := h.Get([]byte("m")); !ok || string(v) != "1" {
			t.Errorf("Get m = %q %v", v, ok)
		}
	})
}

func TestHashConversion(t *testing.T) {
	lim := HashLimits{MaxEntries: 4, MaxValue: 8}
	cases := []struct {
		name     string
		fields   []string // field=value
		listpack bool
	}{
		{"small", []string{"a=1", "b=2", "c=3", "d=4"}, true},
		{"too many", []string{"a=1", "b=2", "c=3", "d=4", "e=5"}, false},
		{"long value", []string{"a=123456789"}, false},
		{"long field", []string{"abcdefghi=1"}, false},
		{"value at limit", []string{"a=12345678"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := openTest(t, t.TempDir(), nil)
			hashOp(t, e, "h", lim, func(h *Hash) {
				for _, fv := range c.fields {
					f, v, _ := strings.Cut(fv, "=")
					mustSet(t, h, f, v)
				}
			})
			hashView(t, e, "h", func(h *Hash) {
				if h.Listpack() != c.listpack {
					t.Errorf("listpack = %v, want %v", h.Listpack(), c.listpack)
				}
				if h.Len() != int64(len(c.fields)) {
					t.Errorf("len = %d", h.Len())
				}
				for _, fv := range c.fields {
					f, v, _ := strings.Cut(fv, "=")
					if got, ok, err := h.Get([]byte(f)); err != nil || !ok || string(got) != v {
						t.Errorf("Get %s = %q %v %v", f, got, ok, err)
					}
				}
			})
			// Never back to listpack, even when it shrinks to one small field.
			if !c.listpack {
				hashOp(t, e, "h", lim, func(h *Hash) {
					for _, fv := range c.fields[1:] {
						f, _, _ := strings.Cut(fv, "=")
						h.Del([]byte(f))
					}
					mustSet(t, h, c.fields[0][:1], "x")
				})
				hashView(t, e, "h", func(h *Hash) {
					if h.Listpack() {
						t.Error("converted back to listpack")
					}
				})
			}
		})
	}
}

func TestHashEmptiedIsDeleted(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	hashOp(t, e, "h", DefaultHashLimits, func(h *Hash) { mustSet(t, h, "f", "v") })
	hashOp(t, e, "h", DefaultHashLimits, func(h *Hash) { h.Del([]byte("f")) })
	if m, err := e.Lookup(0, []byte("h")); err != nil || m != nil {
		t.Fatalf("emptied hash still there: %+v %v", m, err)
	}
	// Opening a missing hash and saving it without fields writes nothing.
	hashOp(t, e, "h2", DefaultHashLimits, func(h *Hash) {})
	if m, _ := e.Lookup(0, []byte("h2")); m != nil {
		t.Fatal("empty hash created")
	}
}

func TestHashSampleDecodesValues(t *testing.T) {
	for _, n := range []int{10, 3000} { // listpack-sized and large (random descents)
		e := openTest(t, t.TempDir(), nil)
		lim := HashLimits{MaxEntries: 5000, MaxValue: 64}
		hashOp(t, e, "h", lim, func(h *Hash) {
			for i := range n {
				mustSet(t, h, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
			}
		})
		rnd := rand.New(rand.NewPCG(1, 2))
		hashView(t, e, "h", func(h *Hash) {
			es, err := h.Sample(7, true, rnd)
			if err != nil || len(es) != 7 {
				t.Fatalf("n=%d: %d samples, %v", n, len(es), err)
			}
			seen := map[string]bool{}
			for _, x := range es {
				if "v"+string(x.Sub[1:]) != string(x.Value) || seen[string(x.Sub)] {
					t.Errorf("n=%d: sample %q=%q (dup %v)", n, x.Sub, x.Value, seen[string(x.Sub)])
				}
				seen[string(x.Sub)] = true
			}
		})
	}
}

// TestLargeCollections builds a 1,000,000-field hash and a 1,000,000-member set and checks that
// element operations and DEL cost what they cost on a small collection: their Go allocations
// stay far below what holding either collection would take (~1M * 20 bytes of payload alone).
func TestLargeCollections(t *testing.T) {
	const n = 1_000_000
	e := openTest(t, t.TempDir(), nil)
	hk, sk := []byte("big:h"), []byte("big:s")
	const batches = 4
	for b := range batches {
		err := e.Update(0, [][]byte{hk, sk}, func(tx *Tx) error {
			hm, err := tx.Get(hk)
			if err != nil {
				return err
			}
			sm, err := tx.Get(sk)
			if err != nil {
				return err
			}
			h, s := tx.OpenHash(hk, hm, DefaultHashLimits), tx.OpenSet(sk, sm, DefaultSetLimits)
			var buf []byte
			for i := b * n / batches; i < (b+1)*n/batches; i++ {
				buf = fmt.Appendf(buf[:0], "f%07d", i)
				if err := h.SetNew(buf, buf[1:]); err != nil {
					return err
				}
				if err := s.AddNew(buf); err != nil {
					return err
				}
			}
			return errors.Join(h.Save(), s.Save())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const budget = 4 << 20 // bytes; the collections hold 15 MB of payload each
	allocs := func(name string, fn func()) {
		t.Helper()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fn()
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > budget {
			t.Errorf("%s allocated %d bytes: it loaded the collection", name, d)
		} else {
			t.Logf("%s: %d bytes allocated", name, d)
		}
	}
	allocs("HSET+HDEL+SREM", func() {
		hashOp(t, e, string(hk), DefaultHashLimits, func(h *Hash) {
			if !mustSet(t, h, "new", "v") || h.Listpack() {
				t.Error("HSET on the large hash")
			}
			if ok, _ := h.Del([]byte("f0000500")); !ok {
				t.Error("HDEL f0000500")
			}
		})
		setOp(t, e, string(sk), func(s *Set) {
			if ok, _ := s.Rem([]byte("f0999999")); !ok {
				t.Error("SREM f0999999")
			}
		})
	})
	allocs("HGET+SISMEMBER", func() {
		hashView(t, e, string(hk), func(h *Hash) {
			if v, ok, _ := h.Get([]byte("f0123456")); !ok || string(v) != "0123456" {
				t.Errorf("HGET = %q %v", v, ok)
			}
			if h.Len() != n {
				t.Errorf("HLEN = %d", h.Len())
			}
		})
		setView(t, e, string(sk), func(s *Set) {
			if ok, _ := s.IsMember([]byte("f0000001")); !ok {
				t.Error("SISMEMBER f0000001")
			}
			if ok, _ := s.IsMember([]byte("f0999999")); ok {
				t.Error("SISMEMBER of a removed member")
			}
			if s.Len() != n-1 {
				t.Errorf("SCARD = %d", s.Len())
			}
		})
	})
	allocs("SRANDMEMBER 10", func() {
		setView(t, e, string(sk), func(s *Set) {
			ms, err := s.Sample(10, true, rand.New(rand.NewPCG(1, 1)))
			if err != nil || len(ms) != 10 {
				t.Errorf("sample: %d %v", len(ms), err)
			}
		})
	})
	allocs("DEL", func() {
		err := e.Update(0, [][]byte{hk, sk}, func(tx *Tx) error {
			_, err1 := tx.Delete(hk)
			_, err2 := tx.Delete(sk)
			return errors.Join(err1, err2)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	// A new hash under the same name starts empty: the old records are unreachable.
	hashOp(t, e, string(hk), DefaultHashLimits, func(h *Hash) { mustSet(t, h, "a", "1") })
	if got := hashPairs(t, e, string(hk)); got != "a=1" {
		t.Errorf("recreated hash = %q", got)
	}
}
