package hll

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// SelfTest is PFSELFTEST: register access on random values, then 10 million elements added
// to a dense and a sparse sketch, checking at 1, 10, 100... that the sparse one is still
// sparse while small, that both agree, and that the error is within 6 standard errors. The
// error texts are Redis's ("TESTFAILED ..."); nil means OK.
func SelfTest(sparseMax int) error {
	regs := make([]byte, DenseSize-HeaderSize)
	var want [Registers]uint8
	for cycle := 0; cycle < 1000; cycle++ {
		for i := range want {
			want[i] = uint8(rand.IntN(regMax + 1))
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if v := denseGet(regs, i); v != want[i] {
				return fmt.Errorf("TESTFAILED Register %d should be %d but is %d", i, want[i], v)
			}
		}
	}

	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	sparse := NewSketch()
	relerr := 1.04 / math.Sqrt(Registers)
	checkpoint := int64(1)
	seed := rand.Uint64()
	var ele [8]byte
	for j := int64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		index, count := PatLen(ele[:])
		denseSetMax(dense[HeaderSize:], index, count)
		sparse.Set(index, count, sparseMax)
		if j != checkpoint {
			continue
		}
		if j < int64(sparseMax/2) && sparse.Encoding() != Sparse {
			return fmt.Errorf("TESTFAILED sparse encoding not used")
		}
		dc, _ := Count(dense)
		sc, _ := Count(sparse.Bytes())
		if dc != sc {
			return fmt.Errorf("TESTFAILED dense/sparse disagree")
		}
		abserr := checkpoint - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1 // collisions at 10 are likely enough to fail otherwise
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			return fmt.Errorf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}
