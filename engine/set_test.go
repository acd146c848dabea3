package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// setOp runs fn on key's set in one transaction and saves it.
func setOp(t *testing.T, e *Engine, key string, fn func(s *Set)) {
	t.Helper()
	keyUpdate(t, e, key, func(tx *Tx, k []byte, m *Meta) error {
		s := tx.OpenSet(k, m, DefaultSetLimits)
		fn(s)
		return s.Save()
	})
}

func setView(t *testing.T, e *Engine, key string, fn func(s *Set)) {
	t.Helper()
	keyView(t, e, key, func(tx *Tx, k []byte, m *Meta) error {
		fn(tx.OpenSet(k, m, DefaultSetLimits))
		return nil
	})
}

func TestSetEncodingAndOrder(t *testing.T) {
	cases := []struct {
		name    string
		members []string
		intset  bool
		order   string // Each's order
	}{
		{"integers numeric order", []string{"10", "-3", "2", "0", "100"}, true, "-3 0 2 10 100"},
		{"int64 bounds", []string{"9223372036854775807", "-9223372036854775808"}, true, "-9223372036854775808 9223372036854775807"},
		{"not canonical", []string{"1", "01"}, false, "01 1"},
		{"a word", []string{"b", "1", "a"}, false, "1 a b"},
		{"out of range", []string{"9223372036854775808"}, false, "9223372036854775808"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := openTest(t, t.TempDir(), nil)
			setOp(t, e, "s", func(s *Set) {
				for _, m := range c.members {
					if ok, err := s.Add([]byte(m)); !ok || err != nil {
						t.Fatalf("Add %s: %v %v", m, ok, err)
					}
				}
				if ok, _ := s.Add([]byte(c.members[0])); ok {
					t.Error("re-Add reported new")
				}
			})
			setView(t, e, "s", func(s *Set) {
				if s.Intset() != c.intset || s.Len() != int64(len(c.members)) {
					t.Errorf("intset=%v len=%d", s.Intset(), s.Len())
				}
				ms, err := s.Members()
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range ms {
					got = append(got, string(m))
				}
				if strings.Join(got, " ") != c.order {
					t.Errorf("order %q, want %q", got, c.order)
				}
			})
		})
	}
}

func TestSetIntsetLimitNeverConvertsBack(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	setOp(t, e, "s", func(s *Set) {
		for i := range 512 {
			s.Add([]byte(fmt.Sprint(i)))
		}
	})
	setView(t, e, "s", func(s *Set) {
		if !s.Intset() {
			t.Error("512 integers: not an intset")
		}
	})
	setOp(t, e, "s", func(s *Set) { s.Add([]byte("512")) })
	setView(t, e, "s", func(s *Set) {
		if s.Intset() {
			t.Error("513 integers: still an intset")
		}
	})
	setOp(t, e, "s", func(s *Set) {
		for i := range 500 {
			s.Rem([]byte(fmt.Sprint(i)))
		}
	})
	setView(t, e, "s", func(s *Set) {
		if s.Intset() || s.Len() != 13 {
			t.Errorf("after shrinking: intset=%v len=%d", s.Intset(), s.Len())
		}
	})
	setOp(t, e, "s", func(s *Set) {
		for i := 500; i <= 512; i++ {
			s.Rem([]byte(fmt.Sprint(i)))
		}
	})
	if m, _ := e.Lookup(0, []byte("s")); m != nil {
		t.Error("emptied set still there")
	}
}

func TestIsInteger(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-1": true, "123": true, "-9223372036854775808": true,
		"9223372036854775807": true, "9223372036854775808": false, "": false, "-": false,
		"-0": false, "+1": false, "01": false, " 1": false, "1 ": false, "1.0": false,
		"123456789012345678901": false,
	} {
		if IsInteger([]byte(s)) != want {
			t.Errorf("IsInteger(%q) != %v", s, want)
		}
	}
}

func TestSampleElems(t *testing.T) {
	for _, n := range []int{5, 600, 5000} {
		e := openTest(t, t.TempDir(), nil)
		setOp(t, e, "s", func(s *Set) {
			for i := range n {
				s.Add([]byte(fmt.Sprintf("m%05d", i*7)))
			}
		})
		rnd := rand.New(rand.NewPCG(uint64(n), 9))
		setView(t, e, "s", func(s *Set) {
			for _, c := range []struct {
				count    int
				distinct bool
				want     int
			}{
				{3, true, min(3, n)}, {n + 10, true, n}, {n - 1, true, n - 1},
				{20, false, 20}, {1, false, 1},
			} {
				got, err := s.Sample(c.count, c.distinct, rnd)
				if err != nil || len(got) != c.want {
					t.Fatalf("n=%d Sample(%d,%v): %d, %v", n, c.count, c.distinct, len(got), err)
				}
				seen := map[string]bool{}
				for _, m := range got {
					if ok, _ := s.IsMember(m); !ok {
						t.Errorf("n=%d: %q is not a member", n, m)
					}
					if c.distinct && seen[string(m)] {
						t.Errorf("n=%d: %q twice in a distinct sample", n, m)
					}
					seen[string(m)] = true
				}
			}
			// Random descents reach more than the edges of a large set.
			seen := map[string]bool{}
			for range 200 {
				got, _ := s.Sample(1, false, rnd)
				seen[string(got[0])] = true
			}
			if want := min(n, 50); len(seen) < want {
				t.Errorf("n=%d: 200 picks hit only %d members", n, len(seen))
			}
		})
	}
}

func TestEachFromResumes(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	setOp(t, e, "s", func(s *Set) {
		for _, m := range []string{"a", "b", "c", "3", "1"} {
			s.Add([]byte(m))
		}
	})
	setOp(t, e, "i", func(s *Set) {
		for _, m := range []string{"30", "4", "100"} {
			s.Add([]byte(m))
		}
	})
	for _, c := range []struct{ key, from, want string }{
		{"s", "", "1 3 a b c"},
		{"s", "a\x00", "b c"},
		{"s", "zz", ""},
		{"i", "5", "4 30 100"}, // an intset returns everything, in numeric order
	} {
		var got []string
		setView(t, e, c.key, func(s *Set) {
			s.EachFrom([]byte(c.from), func(m []byte) bool { got = append(got, string(m)); return true })
		})
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s from %q: %q, want %q", c.key, c.from, got, c.want)
		}
	}
}
