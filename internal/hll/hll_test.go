package hll

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// Register and pattern length of single elements, read from redis-server 7.0.15 with
// PFADD k <e> then PFDEBUG DECODE k ("Z:<index> v:<count>,1 ...").
func TestPatLen(t *testing.T) {
	for _, tc := range []struct {
		ele   string
		index int
		count uint8
	}{
		{"", 5938, 2},
		{"a", 12711, 2},
		{"hello", 9216, 1},
		{"0123456", 8436, 1},
		{"01234567", 594, 2},
		{"012345678", 7667, 3},
		{"The quick brown fox jumps over the lazy dog", 6862, 4},
	} {
		i, c := PatLen([]byte(tc.ele))
		if i != tc.index || c != tc.count {
			t.Errorf("PatLen(%q) = %d,%d; redis says %d,%d", tc.ele, i, c, tc.index, tc.count)
		}
	}
}

func hdr(enc byte, body ...byte) []byte {
	return append([]byte{'H', 'Y', 'L', 'L', enc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, body...)
}

func TestCheck(t *testing.T) {
	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	for _, tc := range []struct {
		name string
		v    []byte
		ok   bool
	}{
		{"empty", nil, false},
		{"short", hdr(Sparse)[:15], false},
		{"header only", hdr(Sparse), true},
		{"new", New(), true},
		{"magic", append([]byte("HYLX"), New()[4:]...), false},
		{"encoding 2", hdr(2, 0x7f, 0xff), false},
		{"encoding 255", hdr(255, 0x7f, 0xff), false},
		{"dense", dense, true},
		{"dense short", dense[:DenseSize-1], false},
		{"dense long", append(append([]byte(nil), dense...), 0), false},
		{"sparse any length", hdr(Sparse, make([]byte, 20000)...), true},
	} {
		err := Check(tc.v)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotHLL)) {
			t.Errorf("%s: Check = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// Bodies that pass Check but not the sparse walk: every reader reports ErrCorrupt.
func TestCorruptSparse(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"no opcodes", nil},
		{"truncated xzero", []byte{0x7f}},
		{"too few", []byte{0x7f, 0xfe}},
		{"too many", []byte{0x7f, 0xff, 0x00}},
		{"val past the end", []byte{0x7f, 0xfe, 0xff}},
	} {
		v := hdr(Sparse, tc.body...)
		if _, err := Count(v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Count err = %v", tc.name, err)
		}
		var m Max
		if err := m.Merge(v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Merge err = %v", tc.name, err)
		}
		if _, err := PFMerge([][]byte{nil, v}, DefaultSparseMaxBytes); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: PFMerge err = %v", tc.name, err)
		}
		s, _ := Open(v)
		if _, err := s.ToDense(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ToDense err = %v", tc.name, err)
		}
	}
	// The cache answers PFCOUNT without looking at the body, as in Redis.
	v := hdr(Sparse, 0x7f)
	v[8] = 7
	if c, out, err := PFCount(v); c != 7 || out != nil || err != nil {
		t.Errorf("PFCount with a valid cache = %d,%v,%v", c, out, err)
	}
}

// model is the obvious HLL: one byte per register.
type model [Registers]uint8

func (m *model) set(i int, c uint8) bool {
	if c > m[i] {
		m[i] = c
		return true
	}
	return false
}

func registersOf(t *testing.T, v []byte) []uint8 {
	t.Helper()
	s, err := Open(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ToDense(); err != nil {
		t.Fatal(err)
	}
	return s.Registers()
}

// Random register updates on a sparse sketch (with small and large sparse limits) agree with
// the model at every step: same change reports, same registers, same count, valid bodies.
func TestSparseMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sparseMax := range []int{0, 40, 300, 3000, 1 << 20} {
		s := NewSketch()
		var m model
		for step := 0; step < 3000; step++ {
			i := r.IntN(Registers)
			if r.IntN(4) == 0 { // clustered updates exercise VAL splits and merges
				i = r.IntN(64)
			}
			c := uint8(1 + r.IntN(8))
			if r.IntN(500) == 0 {
				c = uint8(33 + r.IntN(18)) // not representable sparse: promotes
			}
			changed, err := s.Set(i, c, sparseMax)
			if err != nil {
				t.Fatalf("max %d step %d: %v", sparseMax, step, err)
			}
			if want := m.set(i, c); changed != want {
				t.Fatalf("max %d step %d: Set(%d,%d) changed=%v, want %v", sparseMax, step, i, c, changed, want)
			}
			if s.Encoding() == Sparse && len(s.Bytes()) > max(sparseMax, HeaderSize+2) {
				t.Fatalf("max %d: sparse value of %d bytes", sparseMax, len(s.Bytes()))
			}
			if step%500 == 0 || step == 2999 {
				if got := registersOf(t, s.Bytes()); !bytes.Equal(got, m[:]) {
					t.Fatalf("max %d step %d: registers differ from the model", sparseMax, step)
				}
				got, err := Count(s.Bytes())
				var mm Max = Max(m)
				if err != nil || got != mm.Count() {
					t.Fatalf("max %d step %d: Count = %d,%v; model %d", sparseMax, step, got, err, mm.Count())
				}
			}
		}
	}
}

// A register value above 32 cannot be sparse: the sketch turns dense keeping its registers
// and its header (cached cardinality included).
func TestPromoteOnLargeCount(t *testing.T) {
	s := NewSketch()
	s.Set(10, 3, DefaultSparseMaxBytes)
	s.Set(11, 3, DefaultSparseMaxBytes)
	if s.Encoding() != Sparse || Decode(s.Bytes()) != "z:10 v:3,2 Z:16372" {
		t.Fatalf("before: %s", Decode(s.Bytes()))
	}
	if changed, err := s.Set(16383, 40, DefaultSparseMaxBytes); !changed || err != nil {
		t.Fatalf("Set = %v, %v", changed, err)
	}
	v := s.Bytes()
	if s.Encoding() != Dense || len(v) != DenseSize || !bytes.Equal(v[8:16], []byte{0, 0, 0, 0, 0, 0, 0, 0x80}) {
		t.Fatalf("after: encoding %d, %d bytes, cache % x", s.Encoding(), len(v), v[8:16])
	}
	regs := s.Registers()
	if regs[10] != 3 || regs[11] != 3 || regs[16383] != 40 || regs[12] != 0 {
		t.Fatalf("registers 10,11,12,16383 = %d %d %d %d", regs[10], regs[11], regs[12], regs[16383])
	}
}

// The estimator at its edges. With every register at Q+1 or above Redis's llroundl
// overflows: redis-server 7.0.15 answers PFCOUNT with -9223372036854775808 (1<<63 as uint64).
func TestEstimateEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		reg  uint8
		want uint64
	}{
		{"empty", 0, 0},
		{"all 1", 1, 23637},
		{"all Q+1", Q + 1, 1 << 63},
		{"all 63", 63, 1 << 63},
	} {
		var m Max
		for i := range m {
			m[i] = tc.reg
		}
		if c := m.Count(); c != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, c, tc.want)
		}
	}
}

// FuzzValue feeds arbitrary values to every reader and writer: no panic, errors only of the
// two kinds, and a valid HLL stays valid after PFADD and PFMERGE.
func FuzzValue(f *testing.F) {
	f.Add(New(), []byte("a"), 3000)
	f.Add(hdr(Sparse, 0x7f), []byte("b"), 3000)
	f.Add(hdr(Sparse, 0x7f, 0xfe, 0xff), []byte(""), 10)
	f.Add(hdr(Sparse, 0x00, 0x80, 0x7f, 0xfc, 0xff), []byte("xyz"), 20)
	f.Add(hdr(Sparse, 0xff, 0xff, 0x7f, 0xfb), []byte("c"), 3000)
	f.Add(hdr(Dense, make([]byte, DenseSize-HeaderSize)...), []byte("d"), 3000)
	f.Add([]byte("HYLL"), []byte("e"), 0)
	f.Fuzz(func(t *testing.T, v, ele []byte, sparseMax int) {
		sparseMax = min(max(sparseMax, 0), 4096) // bigger limits only make PFMERGE slower
		kind := func(err error) {
			if err != nil && !errors.Is(err, ErrNotHLL) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unexpected error %v", err)
			}
		}
		orig := append([]byte(nil), v...)
		_, err := Count(v)
		Decode(v)
		if Check(v) != nil {
			if !errors.Is(err, ErrNotHLL) {
				t.Fatalf("Count of a non-HLL: %v", err)
			}
			_, _, err = PFAdd(v, [][]byte{ele}, sparseMax)
			if !errors.Is(err, ErrNotHLL) {
				t.Fatalf("PFAdd of a non-HLL: %v", err)
			}
			return
		}
		valid := err == nil
		kind(err)
		_, _, err = PFCount(v)
		kind(err)
		_, err = PFCountUnion([][]byte{v, New()})
		kind(err)
		Decode(v)
		out, _, err := PFAdd(v, [][]byte{ele, ele[:len(ele)/2]}, sparseMax)
		kind(err)
		if valid {
			if err != nil {
				t.Fatalf("PFAdd of a valid HLL: %v", err)
			}
			if _, err := Count(out); Check(out) != nil || err != nil {
				t.Fatalf("PFAdd made an invalid HLL: %v", err)
			}
		}
		out, err = PFMerge([][]byte{v, New()}, sparseMax)
		kind(err)
		if valid != (err == nil) {
			t.Fatalf("PFMerge err %v for valid=%v", err, valid)
		}
		if err == nil {
			if _, err := Count(out); Check(out) != nil || err != nil {
				t.Fatalf("PFMerge made an invalid HLL: %v", err)
			}
		}
		s, _ := Open(v)
		if _, err := s.ToDense(); valid != (err == nil) {
			t.Fatalf("ToDense err %v for valid=%v", err, valid)
		}
		if !bytes.Equal(v, orig) {
			t.Fatal("input changed")
		}
	})
}
