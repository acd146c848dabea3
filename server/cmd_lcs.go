package server

import (
	"math"
	"math/bits"

	"github.com/slotdb/slotdb/engine"
)

// LCS, as Redis 7.0.15's lcsCommand (t_string.c).

func init() {
	register("lcs", cmdLCS)
}

// lcsMatch is one range reported by LCS IDX: a[A0..A1] equals b[B0..B1], Len bytes.
type lcsMatch struct{ A0, A1, B0, B1, Len int64 }

// lcsResult is what LCS computes; Str and Matches only when asked for.
type lcsResult struct {
	Len     int64
	Str     []byte
	Matches []lcsMatch
}

func cmdLCS(c *Client, args [][]byte) {
	var vals [2][]byte
	for i, k := range args[1:3] {
		m, ok := c.lookup(k)
		if !ok {
			return
		}
		if m != nil && m.Type != engine.TypeString {
			c.w.Error("ERR The specified keys must contain string values")
			return
		}
		if m != nil {
			vals[i] = m.Value
		}
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		opt := args[j]
		switch {
		case eqFoldC(opt, "idx"):
			getIdx = true
		case eqFoldC(opt, "len"):
			getLen = true
		case eqFoldC(opt, "withmatchlen"):
			withLen = true
		case eqFoldC(opt, "minmatchlen") && j < len(args)-1:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			minLen = max(n, 0)
			j++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.w.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	a, b := vals[0], vals[1]
	if e := lcsCheck(len(a), len(b), c.s.cfg.ProtoMaxBulk()); e != "" {
		c.w.Error(e)
		return
	}
	r := lcs(a, b, !getLen || getIdx, getIdx, minLen)
	switch {
	case getIdx:
		c.w.Map(2)
		c.w.BulkString("matches")
		c.w.Array(len(r.Matches))
		for _, m := range r.Matches {
			c.w.Array(2 + int(b2i(withLen)))
			c.w.Array(2)
			c.w.Int(m.A0)
			c.w.Int(m.A1)
			c.w.Array(2)
			c.w.Int(m.B0)
			c.w.Int(m.B1)
			if withLen {
				c.w.Int(m.Len)
			}
		}
		c.w.BulkString("len")
		c.w.Int(r.Len)
	case getLen:
		c.w.Int(r.Len)
	default:
		c.w.Bulk(r.Str)
	}
}

// lcsCheck applies Redis's limits: string lengths must fit its uint32 indexes, and the
// (alen+1)*(blen+1) table of uint32 must not exceed proto-max-bulk-len.
func lcsCheck(alen, blen int, maxBulk int64) string {
	if uint64(alen) >= math.MaxUint32-1 || uint64(blen) >= math.MaxUint32-1 {
		return "ERR String too long for LCS"
	}
	hi, cells := bits.Mul64(uint64(alen)+1, uint64(blen)+1)
	hi2, size := bits.Mul64(cells, 4)
	if hi != 0 || hi2 != 0 {
		return "ERR Insufficient memory, failed allocating transient memory for LCS"
	}
	if size > uint64(maxBulk) {
		return "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
	}
	return ""
}

// lcs computes the longest common subsequence of a and b with Redis's dynamic programming
// table and its backward walk, so ties resolve and ranges split exactly as Redis reports
// them. withStr asks for the subsequence itself, withIdx for the matching ranges of at least
// minLen bytes (0: all). Callers bound the table with lcsCheck first.
func lcs(a, b []byte, withStr, withIdx bool, minLen int64) lcsResult {
	alen, blen := len(a), len(b)
	if !withStr && !withIdx {
		return lcsResult{Len: lcsLength(a, b)}
	}
	w := blen + 1
	t := make([]uint32, (alen+1)*w) // t[i*w+j]: LCS length of a[:i] and b[:j]
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			} else {
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	n := t[alen*w+blen]
	r := lcsResult{Len: int64(n), Str: make([]byte, n)}
	// Walk back from the end; a range is open while aStart != alen.
	idx := n
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			r.Str[idx-1] = a[i-1]
			switch {
			case aStart == alen:
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			case aStart == i && bStart == j:
				aStart--
				bStart--
			default:
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = aStart != alen
		}
		if emit {
			l := int64(aEnd - aStart + 1)
			if withIdx && (minLen == 0 || l >= minLen) {
				r.Matches = append(r.Matches, lcsMatch{int64(aStart), int64(aEnd), int64(bStart), int64(bEnd), l})
			}
			aStart = alen
		}
	}
	return r
}

// lcsLength is the LCS length alone, in two rows of the table.
func lcsLength(a, b []byte) int64 {
	prev, cur := make([]uint32, len(b)+1), make([]uint32, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return int64(prev[len(b)])
}
