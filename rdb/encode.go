package rdb

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// encoder appends RDB values to a buffer, choosing encodings as Redis 7.0
// does.
type encoder struct {
	buf      []byte
	compress bool // rdbcompression
	version  int
	limits   Limits
}

func (e *encoder) byte(b byte) { e.buf = append(e.buf, b) }

func (e *encoder) length(n uint64) {
	switch {
	case n < 1<<6:
		e.buf = append(e.buf, byte(n))
	case n < 1<<14:
		e.buf = append(e.buf, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		e.buf = append(e.buf, 0x80)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	default:
		e.buf = append(e.buf, 0x81)
		e.buf = binary.BigEndian.AppendUint64(e.buf, n)
	}
}

// str writes s following rdbSaveRawString: small canonical integers as
// int8/16/32, then LZF when it saves at least 4 bytes, else raw.
func (e *encoder) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseCanonicalInt(s); ok {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				e.buf = append(e.buf, 0xC0, byte(v))
				return
			case v >= math.MinInt16 && v <= math.MaxInt16:
				e.buf = append(e.buf, 0xC1, byte(v), byte(v>>8))
				return
			case v >= math.MinInt32 && v <= math.MaxInt32:
				e.buf = append(e.buf, 0xC2)
				e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(v))
				return
			}
		}
	}
	if e.compress && len(s) > 20 {
		if c := LZFCompress(s, len(s)-4); c != nil {
			e.buf = append(e.buf, 0xC3)
			e.length(uint64(len(c)))
			e.length(uint64(len(s)))
			e.buf = append(e.buf, c...)
			return
		}
	}
	e.length(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) i64le(v int64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(v))
}

// object appends the type byte and the value of o.
func (e *encoder) object(o *Object) {
	switch o.Kind {
	case KindString:
		e.byte(TypeString)
		e.str(o.Str)
	case KindList:
		e.list(o.List)
	case KindSet:
		e.set(o.Set)
	case KindZSet:
		e.zset(o.ZSet)
	case KindHash:
		e.hash(o.Hash)
	case KindStream:
		e.stream(o.Stream)
	default:
		panic("rdb: cannot encode object kind " + o.Kind.String())
	}
}

// packedThreshold: elements this large get a PLAIN quicklist node.
const packedThreshold = 1 << 30

func (e *encoder) list(items [][]byte) {
	e.byte(TypeListQuicklist2)
	type node struct {
		plain []byte
		lp    *lpBuilder
	}
	var nodes []node
	var cur *lpBuilder
	for _, it := range items {
		if len(it) >= packedThreshold {
			nodes = append(nodes, node{plain: it})
			cur = nil
			continue
		}
		// Redis's estimate: current size + element + 8 bytes of overhead.
		if cur == nil || cur.size()+len(it)+8 > e.limits.ListMaxListpackSize {
			cur = newListpack()
			nodes = append(nodes, node{lp: cur})
		}
		cur.add(it)
	}
	e.length(uint64(len(nodes)))
	for _, n := range nodes {
		if n.lp == nil {
			e.length(qlPlain)
			e.str(n.plain)
		} else {
			e.length(qlPacked)
			e.str(n.lp.finish())
		}
	}
}

func (e *encoder) set(members [][]byte) {
	if len(members) > 0 && len(members) <= e.limits.SetMaxIntsetEntries {
		ints := make([]int64, 0, len(members))
		for _, m := range members {
			v, ok := parseCanonicalInt(m)
			if !ok {
				break
			}
			ints = append(ints, v)
		}
		if len(ints) == len(members) {
			e.byte(TypeSetIntset)
			e.str(intsetBlob(ints))
			return
		}
	}
	if e.version >= 11 && len(members) > 0 && len(members) <= e.limits.SetMaxListpackEntries && maxLen(members) <= e.limits.SetMaxListpackValue {
		e.byte(TypeSetListpack)
		lp := newListpack()
		for _, m := range members {
			lp.add(m)
		}
		e.str(lp.finish())
		return
	}
	e.byte(TypeSet)
	e.length(uint64(len(members)))
	for _, m := range members {
		e.str(m)
	}
}

func maxLen(bs [][]byte) int {
	n := 0
	for _, b := range bs {
		n = max(n, len(b))
	}
	return n
}

// intsetBlob builds a sorted intset with the narrowest width.
func intsetBlob(ints []int64) []byte {
	ints = slices.Clone(ints)
	slices.Sort(ints)
	w := 2
	for _, v := range ints {
		if v < math.MinInt32 || v > math.MaxInt32 {
			w = 8
		} else if (v < math.MinInt16 || v > math.MaxInt16) && w < 4 {
			w = 4
		}
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ints)))
	for _, v := range ints {
		switch w {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// scoreText renders a score like Redis 7.0's d2string for listpacks.
func scoreText(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

func (e *encoder) zset(ms []ZMember) {
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b ZMember) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return compareBytes(a.Member, b.Member)
	})
	small := len(ms) > 0 && len(ms) <= e.limits.ZSetMaxListpackEntries
	for _, m := range ms {
		if len(m.Member) > e.limits.ZSetMaxListpackValue {
			small = false
		}
	}
	if small {
		e.byte(TypeZSetListpack)
		lp := newListpack()
		for _, m := range sorted {
			lp.add(m.Member)
			lp.add(scoreText(m.Score))
		}
		e.str(lp.finish())
		return
	}
	// Skiplists are written from the tail (highest score) down.
	e.byte(TypeZSet2)
	e.length(uint64(len(sorted)))
	for i := len(sorted) - 1; i >= 0; i-- {
		e.str(sorted[i].Member)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(sorted[i].Score))
	}
}

func compareBytes(a, b []byte) int {
	return slices.Compare(a, b)
}

func (e *encoder) hash(fs []Field) {
	small := len(fs) > 0 && len(fs) <= e.limits.HashMaxListpackEntries
	for _, f := range fs {
		if len(f.Name) > e.limits.HashMaxListpackValue || len(f.Value) > e.limits.HashMaxListpackValue {
			small = false
		}
	}
	if small {
		e.byte(TypeHashListpack)
		lp := newListpack()
		for _, f := range fs {
			lp.add(f.Name)
			lp.add(f.Value)
		}
		e.str(lp.finish())
		return
	}
	e.byte(TypeHash)
	e.length(uint64(len(fs)))
	for _, f := range fs {
		e.str(f.Name)
		e.str(f.Value)
	}
}
