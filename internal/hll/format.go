// Package hll is Redis 7.0's HyperLogLog, byte for byte: the "HYLL" string value with its
// sparse and dense representations, the cached cardinality, MurmurHash64A, the sparse update
// and promotion rules of hllSparseSet, merging, and the Ertl cardinality estimator of hllCount.
//
// Values are plain byte strings as GET returns them; Sketch edits a private copy.
package hll

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Parameters of Redis's HLL (hyperloglog.c).
const (
	P          = 14            // register index bits
	Q          = 64 - P        // hash bits left for the 000..1 pattern
	Registers  = 1 << P        // 16384
	pMask      = Registers - 1 //
	bits       = 6             // bits per dense register
	regMax     = 1<<bits - 1   //
	HeaderSize = 16            // "HYLL", encoding, 3 unused bytes, cached cardinality
	DenseSize  = HeaderSize + (Registers*bits+7)/8

	// Encodings (header byte 4).
	Dense  = 0
	Sparse = 1

	// DefaultSparseMaxBytes is hll-sparse-max-bytes' default.
	DefaultSparseMaxBytes = 3000
)

// Sparse opcodes.
const (
	xzeroBit    = 0x40 // 01xxxxxx yyyyyyyy
	valBit      = 0x80 // 1vvvvvxx
	valMaxValue = 32
	valMaxLen   = 4
	zeroMaxLen  = 64
	xzeroMaxLen = 16384
)

var (
	// ErrNotHLL: the value is not an HLL (isHLLObjectOrReply fails).
	ErrNotHLL = errors.New("hll: not a valid HyperLogLog string value")
	// ErrCorrupt: the header is right but the sparse body does not cover exactly 16384
	// registers (Redis's INVALIDOBJ).
	ErrCorrupt = errors.New("hll: corrupted HLL object")
)

// Check reports whether v passes Redis's isHLLObjectOrReply: at least a header, the "HYLL"
// magic, a known encoding, and for dense exactly DenseSize bytes. A sparse body is only
// checked when it is used (ErrCorrupt then).
func Check(v []byte) error {
	if len(v) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrNotHLL, len(v), HeaderSize)
	}
	if string(v[:4]) != "HYLL" {
		return fmt.Errorf("%w: bad magic %q at offset 0", ErrNotHLL, v[:4])
	}
	switch v[4] {
	case Sparse:
	case Dense:
		if len(v) != DenseSize {
			return fmt.Errorf("%w: dense value of %d bytes, want %d", ErrNotHLL, len(v), DenseSize)
		}
	default:
		return fmt.Errorf("%w: unknown encoding %d at offset 4", ErrNotHLL, v[4])
	}
	return nil
}

// New returns an empty HLL as PFADD creates it: sparse, one XZERO opcode for all registers,
// cached cardinality 0 (valid).
func New() []byte {
	v := make([]byte, HeaderSize+2)
	copy(v, "HYLL")
	v[4] = Sparse
	putXZero(v[HeaderSize:], Registers)
	return v
}

// CachedCard returns the cached cardinality and whether it is valid (its top bit clear).
func CachedCard(v []byte) (uint64, bool) {
	c := binary.LittleEndian.Uint64(v[8:16])
	return c, c&(1<<63) == 0
}

func setCachedCard(v []byte, c uint64) { binary.LittleEndian.PutUint64(v[8:16], c) }

func invalidateCache(v []byte) { v[15] |= 1 << 7 }
