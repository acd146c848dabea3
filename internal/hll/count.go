package hll

import "math"

// alphaInf is 0.5/ln(2), HLL_ALPHA_INF.
const alphaInf = 0.721347520444481703680

// estimate is the cardinality estimator of hllCount (Ertl, "New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284) over a register histogram. The
// float64 conversions keep each product rounded, as C does without FMA contraction.
func estimate(h *[64]int) uint64 {
	const m = float64(Registers)
	z := m * tau((m-float64(h[Q+1]))/m)
	for j := Q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(h[0])/m))
	e := math.Round(alphaInf * m * m / z)
	if !(e < 1<<63) {
		// z is 0 when no register is within 1..Q: llroundl overflows to LLONG_MIN on x86-64,
		// which Redis casts to uint64 and replies as -9223372036854775808.
		return 1 << 63
	}
	return uint64(e)
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zPrime := z
		z += float64(x * y)
		y += y
		if zPrime == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y) // pow(1-x, 2): GCC folds it to a product
		if zPrime == z {
			return z / 3
		}
	}
}

// Count computes the cardinality of HLL v from its registers, ignoring the cache; ErrNotHLL
// (see Check), or ErrCorrupt for a sparse body that does not cover 16384 registers.
func Count(v []byte) (uint64, error) {
	if err := Check(v); err != nil {
		return 0, err
	}
	var h [64]int
	if v[4] == Dense {
		denseHisto(v[HeaderSize:], &h)
	} else if !sparseHisto(v[HeaderSize:], &h) {
		return 0, ErrCorrupt
	}
	return estimate(&h), nil
}

// Max is a merge of HLLs: one byte per register, each the highest seen (PFCOUNT of several
// keys, PFMERGE).
type Max [Registers]uint8

// Merge raises m's registers to those of HLL v (hllMerge). Errors are ErrNotHLL (see Check)
// and ErrCorrupt for a sparse body that does not cover exactly 16384 registers (m may be
// partly updated then).
func (m *Max) Merge(v []byte) error {
	if err := Check(v); err != nil {
		return err
	}
	if v[4] == Dense {
		regs := v[HeaderSize:]
		for i := range m {
			if r := denseGet(regs, i); r > m[i] {
				m[i] = r
			}
		}
		return nil
	}
	n := walkSparse(v[HeaderSize:], func(idx, runlen, val int) bool {
		if val == 0 {
			return true
		}
		if idx+runlen > Registers {
			return false
		}
		for i := idx; i < idx+runlen; i++ {
			if uint8(val) > m[i] {
				m[i] = uint8(val)
			}
		}
		return true
	})
	if n != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count is the cardinality of the merged registers.
func (m *Max) Count() uint64 {
	var h [64]int
	for _, r := range m {
		h[r&63]++
	}
	return estimate(&h)
}
