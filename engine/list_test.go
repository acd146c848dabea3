package engine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// listOp runs fn in a transaction over list key, passing its live metadata (nil if absent).
func listOp(t testing.TB, e *Engine, key []byte, fn func(tx *Tx, m *Meta) error) {
	t.Helper()
	if err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		m, err := tx.Get(key)
		if err != nil {
			return err
		}
		return fn(tx, m)
	}); err != nil {
		t.Fatal(err)
	}
}

// listContents reads the whole list through ListRange and checks it against ListScan and
// the count.
func listContents(t *testing.T, e *Engine, key []byte) []string {
	t.Helper()
	var got, scanned []string
	err := e.View(0, [][]byte{key}, func(tx *Tx) error {
		m, err := tx.Get(key)
		if err != nil || m == nil {
			return err
		}
		if err := tx.ListRange(key, m, 0, m.Count-1, false, func(v []byte) error {
			got = append(got, string(v))
			return nil
		}); err != nil {
			return err
		}
		var idx []int64
		if err := tx.ListScan(key, m, false, func(i int64, v []byte) bool {
			scanned = append(scanned, string(v))
			idx = append(idx, i)
			return true
		}); err != nil {
			return err
		}
		for i, x := range idx {
			if x != int64(i) {
				t.Fatalf("ListScan index %d at position %d", x, i)
			}
		}
		if int64(len(got)) != m.Count {
			t.Fatalf("count %d, %d elements", m.Count, len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, scanned) {
		t.Fatalf("ListRange %q != ListScan %q", got, scanned)
	}
	return got
}

// TestListModel drives random operations (ends, middle, trims) against a slice model; LREM
// and LINSERT make holes and shifts, so both dense and holey lists are covered.
func TestListModel(t *testing.T) {
	for _, limit := range []int64{0, 4096} {
		t.Run("compact"+strconv.FormatInt(limit, 10), func(t *testing.T) {
			old := listCompactLimit
			listCompactLimit = limit
			defer func() { listCompactLimit = old }()
			testListModel(t, limit == 0)
		})
	}
}

// testListModel runs the model; wantHoles says whether lists with holes must show up.
func testListModel(t *testing.T, wantHoles bool) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("l")
	rng := rand.New(rand.NewPCG(1, 2))
	var model []string
	vals := []string{"a", "b", "c", "d", "e"}
	holey := 0
	defer func() {
		if wantHoles && holey < 100 {
			t.Errorf("only %d steps saw a list with holes", holey)
		}
		if !wantHoles && holey != 0 {
			t.Errorf("%d steps saw a list with holes though LREM closes them", holey)
		}
	}()
	for step := range 3000 {
		op := rng.IntN(10)
		n := int64(len(model))
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			switch op {
			case 0, 1: // push
				left := op == 0
				k := 1 + rng.IntN(3)
				var vs [][]byte
				for range k {
					v := vals[rng.IntN(len(vals))] + strconv.Itoa(step)
					vs = append(vs, []byte(v))
					if left {
						model = append([]string{v}, model...)
					} else {
						model = append(model, v)
					}
				}
				nm, err := tx.ListPush(key, m, left, vs...)
				if err == nil && nm.Count != int64(len(model)) {
					t.Fatalf("step %d: push count %d want %d", step, nm.Count, len(model))
				}
				return err
			}
			if m == nil {
				return nil
			}
			switch op {
			case 2, 3: // pop
				left := op == 2
				c := int64(1 + rng.IntN(4))
				got, nm, err := tx.ListPop(key, m, left, c)
				if err != nil {
					return err
				}
				c = min(c, n)
				var want []string
				if left {
					want, model = slices.Clone(model[:c]), model[c:]
				} else {
					for i := n - 1; i >= n-c; i-- {
						want = append(want, model[i])
					}
					model = model[:n-c]
				}
				if fmt.Sprint(bs(got)) != fmt.Sprint(want) {
					t.Fatalf("step %d: pop %v want %v", step, bs(got), want)
				}
				if (nm == nil) != (len(model) == 0) {
					t.Fatalf("step %d: meta %v with %d left", step, nm, len(model))
				}
			case 4: // index and set
				i := rng.Int64N(2*n+2) - n - 1
				v, ok, err := tx.ListIndex(key, m, i)
				if err != nil {
					return err
				}
				j, in := normIndex(i, n)
				if ok != in || (ok && string(v) != model[j]) {
					t.Fatalf("step %d: LINDEX %d = %q %v, model %v", step, i, v, ok, model)
				}
				ok, err = tx.ListSet(key, m, i, []byte("s"+strconv.Itoa(step)))
				if ok != in {
					t.Fatalf("step %d: LSET %d = %v", step, i, ok)
				}
				if ok {
					model[j] = "s" + strconv.Itoa(step)
				}
				return err
			case 5: // trim
				l, r := rng.Int64N(3), rng.Int64N(3)
				nm, err := tx.ListTrim(key, m, l, r)
				if err != nil {
					return err
				}
				if l+r >= n {
					model = nil
				} else {
					model = model[l : n-r]
				}
				if (nm == nil) != (len(model) == 0) {
					t.Fatalf("step %d: trim meta %v", step, nm)
				}
			case 6, 7: // insert
				pivot := model[rng.IntN(len(model))]
				if rng.IntN(5) == 0 {
					pivot = "nope"
				}
				after := op == 7
				v := "i" + strconv.Itoa(step)
				got, err := tx.ListInsert(key, m, []byte(pivot), []byte(v), after)
				if err != nil {
					return err
				}
				p := slices.Index(model, pivot)
				if p < 0 {
					if got != -1 {
						t.Fatalf("step %d: insert without pivot = %d", step, got)
					}
					return nil
				}
				if after {
					p++
				}
				model = slices.Insert(model, p, v)
				if got != int64(len(model)) {
					t.Fatalf("step %d: insert = %d want %d", step, got, len(model))
				}
			case 8: // rem
				c := rng.Int64N(5) - 2
				v := model[rng.IntN(len(model))]
				got, err := tx.ListRem(key, m, c, []byte(v))
				if err != nil {
					return err
				}
				want := int64(0)
				if c >= 0 {
					for i := 0; i < len(model); i++ {
						if model[i] == v && (c == 0 || want < c) {
							model = slices.Delete(model, i, i+1)
							i--
							want++
						}
					}
				} else {
					for i := len(model) - 1; i >= 0; i-- {
						if model[i] == v && want < -c {
							model = slices.Delete(model, i, i+1)
							want++
						}
					}
				}
				if got != want {
					t.Fatalf("step %d: LREM %d %s = %d want %d", step, c, v, got, want)
				}
			case 9: // reverse range
				if n == 0 {
					return nil
				}
				a := rng.Int64N(n)
				b := a + rng.Int64N(n-a)
				var got []string
				err := tx.ListRange(key, m, a, b, true, func(v []byte) error {
					got = append(got, string(v))
					return nil
				})
				want := slices.Clone(model[a : b+1])
				slices.Reverse(want)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("step %d: reverse range %d..%d = %v want %v", step, a, b, got, want)
				}
				return err
			}
			return nil
		})
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			if m != nil {
				if l, err := tx.openList(key, m); err == nil && !l.dense() {
					holey++
				}
			}
			return nil
		})
		got := listContents(t, e, key)
		if fmt.Sprint(got) != fmt.Sprint(model) {
			t.Fatalf("step %d (op %d): list %q, model %q", step, op, got, model)
		}
	}
}

func bs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = string(x)
	}
	return out
}

// TestListInsertShiftsShorterSide checks that LINSERT into a dense list keeps it dense,
// moving the side nearer to its end.
func TestListInsertShiftsShorterSide(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("l")
	for _, tc := range []struct {
		pivot string
		after bool
		want  string
	}{
		{"1", false, "[0 x 1 2 3 4 5 6 7 8 9]"},
		{"8", true, "[0 1 2 3 4 5 6 7 8 x 9]"},
		{"0", false, "[x 0 1 2 3 4 5 6 7 8 9]"},
		{"9", true, "[0 1 2 3 4 5 6 7 8 9 x]"},
		{"5", false, "[0 1 2 3 4 x 5 6 7 8 9]"},
	} {
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			if m != nil {
				tx.Delete(key)
			}
			var vs [][]byte
			for i := range 10 {
				vs = append(vs, []byte(strconv.Itoa(i)))
			}
			_, err := tx.ListPush(key, nil, false, vs...)
			return err
		})
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			n, err := tx.ListInsert(key, m, []byte(tc.pivot), []byte("x"), tc.after)
			if n != 11 {
				t.Errorf("insert = %d", n)
			}
			return err
		})
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			l, err := tx.openList(key, m)
			if err != nil {
				return err
			}
			if !l.dense() {
				t.Errorf("%+v: list not dense after insert: head %d tail %d count %d", tc, l.head, l.tail, m.Count)
			}
			return nil
		})
		if got := fmt.Sprint(listContents(t, e, key)); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}

func TestListCorruptHeader(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("l")
	listOp(t, e, key, func(tx *Tx, m *Meta) error {
		return tx.Put(key, &Meta{Type: TypeList, Version: tx.NewVersion(), Count: 3, Extra: []byte{1, 2}})
	})
	err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		m, _ := tx.Get(key)
		_, _, err := tx.ListPop(key, m, true, 1)
		return err
	})
	if err != ErrCorruptList {
		t.Fatalf("pop on corrupt header: %v", err)
	}
	// A header claiming more elements than its range holds is rejected too.
	err = e.Update(0, [][]byte{key}, func(tx *Tx) error {
		bad := &Meta{Type: TypeList, Count: 5, Extra: listExtra(0, 2)}
		_, _, err := tx.ListIndex(key, bad, 0)
		return err
	})
	if err != ErrCorruptList {
		t.Fatalf("index on short header: %v", err)
	}
}

// TestListMillion builds a 1,000,000-element list (bigListLen) and checks that index, set and pops at both
// ends and in the middle are single-record operations: the heap does not grow with the list.
func TestListMillion(t *testing.T) {
	const n = bigListLen
	e := openTest(t, t.TempDir(), nil)
	key := []byte("big")
	const chunk = 50_000
	for base := 0; base < n; base += chunk {
		vs := make([][]byte, chunk)
		for i := range vs {
			vs[i] = []byte(strconv.Itoa(base + i))
		}
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			_, err := tx.ListPush(key, m, false, vs...)
			return err
		})
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	check := func(i int64, want string) {
		t.Helper()
		err := e.View(0, [][]byte{key}, func(tx *Tx) error {
			m, _ := tx.Get(key)
			v, ok, err := tx.ListIndex(key, m, i)
			if err == nil && (!ok || string(v) != want) {
				t.Errorf("LINDEX %d = %q %v, want %q", i, v, ok, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for round := range 200 {
		check(n/2+int64(round), strconv.Itoa(n/2+round))
		check(-1-int64(round), strconv.Itoa(n-1-round))
	}
	listOp(t, e, key, func(tx *Tx, m *Meta) error {
		if m.Count != n {
			t.Fatalf("count %d", m.Count)
		}
		ok, err := tx.ListSet(key, m, n*3/4, []byte("set"))
		if !ok {
			t.Error("LSET in range refused")
		}
		return err
	})
	check(n*3/4, "set")
	for range 100 {
		listOp(t, e, key, func(tx *Tx, m *Meta) error {
			if _, _, err := tx.ListPop(key, m, true, 1); err != nil {
				return err
			}
			m, _ = tx.Get(key)
			_, _, err := tx.ListPop(key, m, false, 1)
			return err
		})
	}
	check(0, "100")
	check(-1, strconv.Itoa(n-101))
	check(n*3/4-100, "set")
	// Trimming the ends is a pair of range deletes.
	listOp(t, e, key, func(tx *Tx, m *Meta) error {
		_, err := tx.ListTrim(key, m, 1000, 1000)
		return err
	})
	check(0, "1100")
	check(-1, strconv.Itoa(n-1101))
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 16<<20 {
		t.Errorf("heap grew by %d bytes during element operations on a %d-element list", grow, n)
	}
	listOp(t, e, key, func(tx *Tx, m *Meta) error {
		if want := int64(n - 200 - 2000); m.Count != want {
			t.Errorf("count %d want %d", m.Count, want)
		}
		// The last pop of an emptied list deletes the key.
		_, nm, err := tx.ListPop(key, m, true, m.Count)
		if nm != nil {
			t.Errorf("emptied list meta %v", nm)
		}
		return err
	})
	if m, _ := e.Lookup(0, key); m != nil {
		t.Errorf("emptied list still exists: %+v", m)
	}
}
