package hll

import (
	"strconv"
	"strings"
)

// Sketch is a private, writable copy of an HLL value.
type Sketch struct {
	v []byte
}

// Open checks v (see Check) and returns a sketch holding a copy of it.
func Open(v []byte) (*Sketch, error) {
	if err := Check(v); err != nil {
		return nil, err
	}
	return &Sketch{v: append([]byte(nil), v...)}, nil
}

// NewSketch returns an empty sketch (see New).
func NewSketch() *Sketch { return &Sketch{v: New()} }

// Bytes returns the value; it stays owned by the sketch until the sketch is dropped.
func (s *Sketch) Bytes() []byte { return s.v }

// Encoding returns Dense or Sparse.
func (s *Sketch) Encoding() int { return int(s.v[4]) }

// Add adds an element (hllAdd), reporting whether a register changed. It does not touch
// the cached cardinality, except that a sparse change invalidates it, as in Redis; PFADD
// invalidates it when anything changed. sparseMax is hll-sparse-max-bytes.
func (s *Sketch) Add(ele []byte, sparseMax int) (bool, error) {
	index, count := PatLen(ele)
	return s.Set(index, count, sparseMax)
}

// Set raises register index (0..16383) to count (hllDenseSet / hllSparseSet).
func (s *Sketch) Set(index int, count uint8, sparseMax int) (bool, error) {
	if s.v[4] == Dense {
		return denseSetMax(s.v[HeaderSize:], index, count), nil
	}
	return sparseSet(&s.v, index, count, sparseMax)
}

// ToDense converts a sparse sketch to dense (hllSparseToDense), reporting whether it did.
func (s *Sketch) ToDense() (bool, error) {
	if s.v[4] == Dense {
		return false, nil
	}
	d, err := sparseToDense(s.v)
	if err != nil {
		return false, err
	}
	s.v = d
	return true, nil
}

// InvalidateCache sets the "cached cardinality is stale" bit.
func (s *Sketch) InvalidateCache() { invalidateCache(s.v) }

// Card returns the cardinality as single-key PFCOUNT does: the cached value when valid,
// else a fresh count that is stored in the cache (changed reports that store).
func (s *Sketch) Card() (card uint64, changed bool, err error) {
	if c, ok := CachedCard(s.v); ok {
		return c, false, nil
	}
	c, err := Count(s.v)
	if err != nil {
		return 0, false, err
	}
	setCachedCard(s.v, c)
	return c, true, nil
}

// MergeFrom writes merged registers into the sketch as PFMERGE does: every non-zero
// register through Set (so a sparse sketch stays sparse while it can), then invalidates the
// cache. Errors of individual sets are ignored, as Redis ignores them.
func (s *Sketch) MergeFrom(m *Max, sparseMax int) {
	for i, r := range m {
		if r != 0 {
			s.Set(i, r, sparseMax)
		}
	}
	s.InvalidateCache()
}

// Registers returns the 16384 register values of a dense sketch (PFDEBUG GETREG after
// TODENSE).
func (s *Sketch) Registers() []uint8 {
	out := make([]uint8, Registers)
	if s.v[4] == Dense {
		for i := range out {
			out[i] = denseGet(s.v[HeaderSize:], i)
		}
	}
	return out
}

// Decode renders a sparse body's opcodes as PFDEBUG DECODE does ("Z:n", "z:n", "v:val,n").
// Values shorter than the header decode to "".
func Decode(v []byte) string {
	if len(v) < HeaderSize {
		return ""
	}
	var sb strings.Builder
	body := v[HeaderSize:]
	for p := 0; p < len(body); {
		op := body[p]
		switch {
		case isZero(op):
			sb.WriteString("z:" + strconv.Itoa(zeroLen(op)) + " ")
			p++
		case isXZero(op):
			sb.WriteString("Z:" + strconv.Itoa(xzeroLen(body, p)) + " ")
			p += 2
		default:
			sb.WriteString("v:" + strconv.Itoa(valValue(op)) + "," + strconv.Itoa(valLen(op)) + " ")
			p++
		}
	}
	return strings.Trim(sb.String(), " ")
}
