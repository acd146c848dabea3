package server

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// Sorted-set commands (t_zset.c, Redis 7.0.15). The data layout is engine/zset.go's.

func init() {
	register("zadd", func(c *Client, a [][]byte) { zaddGeneric(c, a, 2, false) })
	register("zincrby", func(c *Client, a [][]byte) { zaddGeneric(c, a, 2, true) })
	register("zrem", cmdZRem)
	register("zcard", cmdZCard)
	register("zscore", cmdZScore)
	register("zmscore", cmdZMScore)
	register("zcount", cmdZCount)
	register("zlexcount", cmdZLexCount)
	register("zrank", func(c *Client, a [][]byte) { zrankGeneric(c, a, false) })
	register("zrevrank", func(c *Client, a [][]byte) { zrankGeneric(c, a, true) })
	register("zrange", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrAuto, dirAuto) })
	register("zrangestore", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 2, a[1], zrAuto, dirAuto) })
	register("zrangebyscore", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrScore, dirFwd) })
	register("zrevrangebyscore", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrScore, dirRev) })
	register("zrangebylex", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrLex, dirFwd) })
	register("zrevrangebylex", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrLex, dirRev) })
	register("zrevrange", func(c *Client, a [][]byte) { zrangeGeneric(c, a, 1, nil, zrRank, dirRev) })
	register("zremrangebyrank", func(c *Client, a [][]byte) { zremrangeGeneric(c, a, zrRank) })
	register("zremrangebyscore", func(c *Client, a [][]byte) { zremrangeGeneric(c, a, zrScore) })
	register("zremrangebylex", func(c *Client, a [][]byte) { zremrangeGeneric(c, a, zrLex) })
	register("zpopmin", func(c *Client, a [][]byte) { zpopMinMax(c, a, false) })
	register("zpopmax", func(c *Client, a [][]byte) { zpopMinMax(c, a, true) })
	register("zmpop", func(c *Client, a [][]byte) { zmpopGeneric(c, a, 1, false) })
	register("bzmpop", func(c *Client, a [][]byte) { zmpopGeneric(c, a, 2, true) })
	register("bzpopmin", func(c *Client, a [][]byte) { bzpopMinMax(c, a, false) })
	register("bzpopmax", func(c *Client, a [][]byte) { bzpopMinMax(c, a, true) })
	register("zrandmember", cmdZRandMember)
	register("zunion", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, nil, 1, opUnion, false) })
	register("zinter", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, nil, 1, opInter, false) })
	register("zdiff", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, nil, 1, opDiff, false) })
	register("zunionstore", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, a[1], 2, opUnion, false) })
	register("zinterstore", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, a[1], 2, opInter, false) })
	register("zdiffstore", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, a[1], 2, opDiff, false) })
	register("zintercard", func(c *Client, a [][]byte) { zsetOpGeneric(c, a, nil, 1, opInter, true) })
	register("zscan", cmdZScan)

	registerValueHooks(engine.TypeZSet, valueHooks{encoding: zsetEncoding, digest: zsetDigest})
}

const (
	errMinMaxFloat = "ERR min or max is not a float"
	errMinMaxLex   = "ERR min or max not valid string range item"
	errZNaN        = "ERR resulting score is not a number (NaN)"
	errPositive    = "ERR value is out of range, must be positive"
)

// zsetLimits are the live zset-max-listpack-entries / -value settings.
func (c *Client) zsetLimits() engine.ZSetLimits {
	lim := engine.DefaultZSetLimits
	if n, err := strconv.ParseInt(c.configValue("zset-max-listpack-entries"), 10, 64); err == nil {
		lim.MaxEntries = n
	}
	if n, err := strconv.ParseInt(c.configValue("zset-max-listpack-value"), 10, 64); err == nil {
		lim.MaxValue = int(min(n, math.MaxInt32))
	}
	return lim
}

// zview runs a read over keys; fn writes the reply, which an error replaces.
func (c *Client) zview(keys [][]byte, fn func(tx *engine.Tx) error) {
	mark := len(c.w.Buf)
	if err := c.s.eng.View(c.db, keys, fn); err != nil {
		c.w.Buf = c.w.Buf[:mark]
		c.storeError(err)
	}
}

// zupdate is zview for writes: nothing is written when fn fails.
func (c *Client) zupdate(keys [][]byte, fn func(tx *engine.Tx) error) bool {
	mark := len(c.w.Buf)
	err := c.s.eng.Update(c.db, keys, func(tx *engine.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		c.propagateDefault(tx) // propagate.go
		return nil
	})
	if err != nil {
		c.w.Buf = c.w.Buf[:mark]
		c.storeError(err)
		return false
	}
	return true
}

// openZSet returns key's sorted set, nil when the key is missing, or a WRONGTYPE error.
func openZSet(tx *engine.Tx, key []byte, lim engine.ZSetLimits) (*engine.ZSet, error) {
	m, err := typedMeta(tx, key, engine.TypeZSet)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.OpenZSet(key, m, lim), nil
}

// ---- number and range parsing ----

func isCSpaceByte(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'
}

// cStrtod is C's strtod: it returns the value of the longest prefix of b that strtod accepts
// (leading white space, a sign, a decimal or 0x hexadecimal number, inf, infinity or nan),
// how many bytes that took (0: no conversion), and whether strtod would set ERANGE.
func cStrtod(b []byte) (float64, int, bool) {
	i := 0
	for i < len(b) && isCSpaceByte(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := b[i:]
	if hasPrefixFold(rest, "inf") {
		n := 3
		if hasPrefixFold(rest, "infinity") {
			n = 8
		}
		return sign * math.Inf(1), i + n, false
	}
	if hasPrefixFold(rest, "nan") {
		n := 3
		if len(rest) > 3 && rest[3] == '(' {
			j := 4
			for j < len(rest) && (isAlnum(rest[j]) || rest[j] == '_') {
				j++
			}
			if j < len(rest) && rest[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), i + n, false
	}
	// A hexadecimal number has hex digits after its 0x and a binary exponent (p); a decimal one,
	// decimal digits and a decimal exponent (e). Both are digits, an optional point and more
	// digits, then an optional exponent marker, sign and decimal digits.
	hex := len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	from, expCh := 0, byte('e')
	if hex {
		isDigit = func(c byte) bool {
			return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		}
		from, expCh = 2, 'p'
	}
	j := from
	digits := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		if hex { // "0x" alone: strtod reads the 0
			return sign * 0, i + 1, false
		}
		return 0, 0, false
	}
	end := j
	if j < len(rest) && rest[j]|0x20 == expCh { // either case
		k := j + 1
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			k++
		}
		if k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			end = k
		}
	}
	if hex {
		lit := string(rest[:end])
		if end == j {
			lit += "p0"
		}
		f, err := strconv.ParseFloat(lit, 64)
		return sign * f, i + end, err != nil || (f == 0 && nonzeroMantissa(rest[from:j]))
	}
	f, err := strconv.ParseFloat(string(rest[:end]), 64)
	erange := err != nil || (f == 0 && nonzeroMantissa(rest[from:j])) ||
		(f != 0 && math.Abs(f) < 0x1p-1022) // glibc flags subnormal results too
	return sign * f, i + end, erange
}

func nonzeroMantissa(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hasPrefixFold(b []byte, s string) bool { return len(b) >= len(s) && eqFold(b[:len(s)], s) }

// parseDouble is getDoubleFromObject: the whole argument is a number strtod accepts, with no
// leading space, no overflow or underflow to zero, and not NaN.
func parseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpaceByte(b[0]) {
		return 0, false
	}
	f, n, erange := cStrtod(b)
	if n != len(b) || math.IsNaN(f) || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// strtodArg is how zslParseRange reads a bound: strtod up to the end of the C string (a NUL
// ends it), NaN refused, nothing else checked.
func strtodArg(b []byte) (float64, bool) {
	f, n, _ := cStrtod(b)
	if (n < len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseScoreRange is zslParseRange: "(" makes a bound exclusive.
func parseScoreRange(min, max []byte) (engine.ScoreRange, bool) {
	var r engine.ScoreRange
	var ok bool
	if len(min) > 0 && min[0] == '(' {
		r.MinEx = true
		min = min[1:]
	}
	if r.Min, ok = strtodArg(min); !ok {
		return r, false
	}
	if len(max) > 0 && max[0] == '(' {
		r.MaxEx = true
		max = max[1:]
	}
	r.Max, ok = strtodArg(max)
	return r, ok
}

// parseLexBound is zslParseLexRangeItem. "+" and "-" end at the C string's end (a NUL).
func parseLexBound(b []byte) (engine.LexBound, bool) {
	if len(b) == 0 {
		return engine.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return engine.LexBound{}, false
		}
		if b[0] == '+' {
			return engine.LexBound{Inf: 1, Excl: true}, true
		}
		return engine.LexBound{Inf: -1, Excl: true}, true
	case '(':
		return engine.LexBound{Value: b[1:], Excl: true}, true
	case '[':
		return engine.LexBound{Value: b[1:]}, true
	}
	return engine.LexBound{}, false
}

func parseLexRange(min, max []byte) (engine.LexRange, bool) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	return engine.LexRange{Min: lo, Max: hi}, ok1 && ok2
}

// longArg is getLongFromObjectOrReply.
func (c *Client) longArg(b []byte) (int64, bool) { return c.intArg(b) }

// ---- ZADD / ZINCRBY ----

const (
	zaddNX = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddIncr
)

// zaddGeneric is zaddGenericCommand; ZINCRBY is ZADD INCR without options.
func zaddGeneric(c *Client, args [][]byte, scoreIdx int, incr bool) {
	key := args[1]
	flags := 0
	if incr {
		flags = zaddIncr
	}
	ch := false
	if !incr {
	opts:
		for ; scoreIdx < len(args); scoreIdx++ {
			a := args[scoreIdx]
			switch {
			case eqFold(a, "nx"):
				flags |= zaddNX
			case eqFold(a, "xx"):
				flags |= zaddXX
			case eqFold(a, "ch"):
				ch = true
			case eqFold(a, "incr"):
				flags |= zaddIncr
			case eqFold(a, "gt"):
				flags |= zaddGT
			case eqFold(a, "lt"):
				flags |= zaddLT
			default:
				break opts
			}
		}
	}
	elems := len(args) - scoreIdx
	if elems%2 != 0 || elems == 0 {
		c.w.Error(errSyntax)
		return
	}
	elems /= 2
	nx, xx, gt, lt := flags&zaddNX != 0, flags&zaddXX != 0, flags&zaddGT != 0, flags&zaddLT != 0
	if nx && xx {
		c.w.Error("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.w.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	isIncr := flags&zaddIncr != 0
	if isIncr && elems > 1 {
		c.w.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	scores := make([]float64, elems)
	for j := range scores {
		f, ok := parseDouble(args[scoreIdx+2*j])
		if !ok {
			c.w.Error(errNotFloat)
			return
		}
		scores[j] = f
	}
	lim := c.zsetLimits()
	var added, updated, processed int64
	var score float64
	ok := c.zupdate([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, lim)
		if err != nil {
			return err
		}
		if z == nil {
			if xx {
				return nil
			}
			z = tx.OpenZSet(key, nil, lim)
			// zaddGenericCommand creates a skiplist when the first member is already too long.
			if lim.MaxEntries == 0 || int64(len(args[scoreIdx+1])) > int64(lim.MaxValue) {
				z.MarkConverted()
			}
		}
		for j := 0; j < elems; j++ {
			member := args[scoreIdx+1+2*j]
			s := scores[j]
			cur, found, err := z.Score(member)
			if err != nil {
				return err
			}
			if found {
				if nx {
					continue
				}
				if isIncr {
					s += cur
					if math.IsNaN(s) {
						return replyError(errZNaN)
					}
				}
				if (lt && s >= cur) || (gt && s <= cur) {
					continue
				}
				score = s
				processed++
				if s != cur {
					if _, err := z.Set(member, s); err != nil {
						return err
					}
					updated++
				}
				continue
			}
			if xx {
				continue
			}
			if _, err := z.Set(member, s); err != nil {
				return err
			}
			score = s
			added++
			processed++
		}
		if added+updated == 0 {
			return nil
		}
		return z.Save()
	})
	if !ok {
		return
	}
	if isIncr {
		if processed > 0 {
			c.w.Double(score)
		} else {
			c.w.Null()
		}
		return
	}
	if ch {
		c.w.Int(added + updated)
	} else {
		c.w.Int(added)
	}
}

// ---- simple reads and ZREM ----

func cmdZRem(c *Client, args [][]byte) {
	key := args[1]
	var deleted int64
	ok := c.zupdate([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil || z == nil {
			return err
		}
		deleted, err = removeElems(z, args[2:], z.Remove)
		return err
	})
	if ok {
		c.w.Int(deleted)
	}
}

func cmdZCard(c *Client, args [][]byte) { c.replyLen(args[1], engine.TypeZSet) }

func cmdZScore(c *Client, args [][]byte) {
	key := args[1]
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		return c.writeScore(z, args[2])
	})
}

// writeScore writes member's score in z, or null when z or the member is missing.
func (c *Client) writeScore(z *engine.ZSet, member []byte) error {
	if z == nil {
		c.w.Null()
		return nil
	}
	s, found, err := z.Score(member)
	if err != nil {
		return err
	}
	if found {
		c.w.Double(s)
	} else {
		c.w.Null()
	}
	return nil
}

func cmdZMScore(c *Client, args [][]byte) {
	key := args[1]
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		c.w.Array(len(args) - 2)
		for _, m := range args[2:] {
			if err := c.writeScore(z, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func cmdZCount(c *Client, args [][]byte) {
	if b, ok := c.parseZBounds(zrScore, args[2], args[3]); ok {
		zcountGeneric(c, args[1], func(z *engine.ZSet) (int64, error) { return z.CountScore(b.sr) })
	}
}

func cmdZLexCount(c *Client, args [][]byte) {
	if b, ok := c.parseZBounds(zrLex, args[2], args[3]); ok {
		zcountGeneric(c, args[1], func(z *engine.ZSet) (int64, error) { return z.CountLex(b.lr) })
	}
}

func zcountGeneric(c *Client, key []byte, count func(z *engine.ZSet) (int64, error)) {
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		var n int64
		if z != nil {
			if n, err = count(z); err != nil {
				return err
			}
		}
		c.w.Int(n)
		return nil
	})
}

// zrankGeneric is ZRANK / ZREVRANK key member (7.0: no WITHSCORE).
func zrankGeneric(c *Client, args [][]byte, rev bool) {
	key := args[1]
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		if z == nil {
			c.w.Null()
			return nil
		}
		r, _, found, err := z.Rank(args[2], rev)
		if err != nil {
			return err
		}
		if !found {
			c.w.Null()
		} else {
			c.w.Int(r)
		}
		return nil
	})
}

// ---- ZRANGE family ----

type zrangeKind int

const (
	zrAuto zrangeKind = iota
	zrRank
	zrScore
	zrLex
)

// zbounds is a parsed ZRANGE-family range: ranks, scores or lex items, as its zrangeKind says.
type zbounds struct {
	start, end int64
	sr         engine.ScoreRange
	lr         engine.LexRange
}

// parseZBounds parses lo and hi as a range of kind (not zrAuto), or writes the error.
func (c *Client) parseZBounds(kind zrangeKind, lo, hi []byte) (b zbounds, ok bool) {
	switch kind {
	case zrRank:
		b.start, b.end, ok = c.indexArgs(lo, hi)
	case zrScore:
		if b.sr, ok = parseScoreRange(lo, hi); !ok {
			c.w.Error(errMinMaxFloat)
		}
	case zrLex:
		if b.lr, ok = parseLexRange(lo, hi); !ok {
			c.w.Error(errMinMaxLex)
		}
	}
	return b, ok
}

type zrangeDir int

const (
	dirAuto zrangeDir = iota
	dirFwd
	dirRev
)

// writeZMembers replies with members (and scores): a flat array in RESP2, pairs in RESP3.
func writeZMembers(w *resp.Writer, ms []engine.ZMember, withScores bool) {
	if withScores && w.Proto == 2 {
		w.Array(2 * len(ms))
	} else {
		w.Array(len(ms))
	}
	for _, e := range ms {
		if withScores && w.Proto > 2 {
			w.Array(2)
		}
		w.Bulk(e.Member)
		if withScores {
			w.Double(e.Score)
		}
	}
}

// zrangeEmitter streams range results into the reply (client) or collects them (store).
type zrangeEmitter struct {
	w          resp.Writer
	withScores bool
	n          int
	store      bool
	ms         []engine.ZMember
}

func (e *zrangeEmitter) emit(m []byte, s float64) {
	e.n++
	if e.store {
		e.ms = append(e.ms, engine.ZMember{Member: append([]byte(nil), m...), Score: s})
		return
	}
	if e.withScores && e.w.Proto > 2 {
		e.w.Array(2)
	}
	e.w.Bulk(m)
	if e.withScores {
		e.w.Double(s)
	}
}

// zrangeGeneric is zrangeGenericCommand: argStart is the source key's position; dst, when
// set, makes it ZRANGESTORE.
func zrangeGeneric(c *Client, args [][]byte, argStart int, dst []byte, kind zrangeKind, dir zrangeDir) {
	key := args[argStart]
	minIdx, maxIdx := argStart+1, argStart+2
	store := dst != nil
	withScores := false
	var offset, limit int64 = 0, -1
	for j := argStart + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && eqFold(a, "withscores"):
			withScores = true
		case eqFold(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.longArg(args[j+1]); !ok {
				return
			}
			if limit, ok = c.longArg(args[j+2]); !ok {
				return
			}
			j += 2
		case dir == dirAuto && eqFold(a, "rev"):
			dir = dirRev
		case kind == zrAuto && eqFold(a, "bylex"):
			kind = zrLex
		case kind == zrAuto && eqFold(a, "byscore"):
			kind = zrScore
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if dir == dirAuto {
		dir = dirFwd
	}
	if kind == zrAuto {
		kind = zrRank
	}
	if limit != -1 && kind == zrRank {
		c.w.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && kind == zrLex {
		c.w.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	rev := dir == dirRev
	if rev && kind != zrRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	b, ok := c.parseZBounds(kind, args[minIdx], args[maxIdx])
	if !ok {
		return
	}
	lim := c.zsetLimits()
	em := &zrangeEmitter{w: resp.Writer{Proto: c.w.Proto}, withScores: withScores, store: store}
	// walk emits the range of key's sorted set (nothing when it is missing).
	walk := func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, lim)
		if err != nil || z == nil {
			return err
		}
		fn := func(m []byte, s float64) bool {
			if kind != zrRank {
				if limit == 0 {
					return false
				}
				limit--
			}
			em.emit(m, s)
			return true
		}
		if kind == zrRank {
			start, end, ok := indexRange(b.start, b.end, z.Len())
			if !ok {
				return nil
			}
			return z.RangeByRank(start, end, rev, fn)
		}
		if offset < 0 || (offset > 0 && offset >= z.Len()) {
			return nil
		}
		if kind == zrScore {
			return z.RangeByScore(b.sr, rev, offset, fn)
		}
		return z.RangeByLex(b.lr, rev, offset, fn)
	}
	if !store {
		c.zview([][]byte{key}, func(tx *engine.Tx) error {
			if err := walk(tx); err != nil {
				return err
			}
			if withScores && c.w.Proto == 2 {
				c.w.Array(2 * em.n)
			} else {
				c.w.Array(em.n)
			}
			c.w.Raw(em.w.Buf)
			return nil
		})
		return
	}
	c.zupdate([][]byte{dst, key}, func(tx *engine.Tx) error {
		if err := walk(tx); err != nil {
			return err
		}
		stored, err := storeZMembers(tx, dst, em.ms, lim)
		if err == nil {
			c.w.Int(stored)
		}
		return err
	})
}

// storeZMembers replaces dst with a sorted set of ms (deleting dst when ms is empty), encoded
// as Redis encodes a freshly built result.
func storeZMembers(tx *engine.Tx, dst []byte, ms []engine.ZMember, lim engine.ZSetLimits) (int64, error) {
	if len(ms) == 0 {
		_, err := tx.Delete(dst)
		return 0, err
	}
	z := tx.NewZSet(dst, lim)
	maxLen := 0
	for _, e := range ms {
		maxLen = max(maxLen, len(e.Member))
	}
	z.PresetEncoding(int64(len(ms)), maxLen)
	for _, e := range ms { // distinct members, by construction
		if err := z.Insert(e.Member, e.Score); err != nil {
			return 0, err
		}
	}
	return z.Len(), z.Save()
}

// ---- ZREMRANGEBY* ----

func zremrangeGeneric(c *Client, args [][]byte, kind zrangeKind) {
	key := args[1]
	b, ok := c.parseZBounds(kind, args[2], args[3])
	if !ok {
		return
	}
	var deleted int64
	ok = c.zupdate([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil || z == nil {
			return err
		}
		switch kind {
		case zrRank:
			start, end, ok := indexRange(b.start, b.end, z.Len())
			if !ok {
				return nil
			}
			deleted, err = z.RemoveRangeByRank(start, end)
		case zrScore:
			deleted, err = z.RemoveRangeByScore(b.sr)
		default:
			deleted, err = z.RemoveRangeByLex(b.lr)
		}
		if err != nil || deleted == 0 {
			return err
		}
		return z.Save()
	})
	if ok {
		c.w.Int(deleted)
	}
}

// ---- pops ----

// zpopShape shapes a pop's reply (genericZpopCommand's flags).
type zpopShape struct {
	emitKey, nested bool
}

// zpopTx pops from the first sorted set among keys and writes the reply to w. It reports
// whether it found one; when it did not, nothing is written. count -1 is a plain single pop.
// With skipOther, keys of another type are passed over instead of failing (a blocked
// client woken by a write of another type keeps waiting).
func zpopTx(tx *engine.Tx, w *resp.Writer, lim engine.ZSetLimits, keys [][]byte, popMax bool, count int64, shape zpopShape, skipOther bool) (bool, error) {
	var z *engine.ZSet
	var key []byte
	for _, k := range keys {
		var err error
		if z, err = openZSet(tx, k, lim); err != nil {
			if skipOther && errors.As(err, new(replyError)) {
				continue
			}
			return false, err
		}
		if z != nil {
			key = k
			break
		}
	}
	if z == nil {
		return false, nil
	}
	if count == 0 {
		w.Array(0)
		return true, nil
	}
	if count == -1 {
		count = 1
	}
	ms, err := z.Pop(count, popMax)
	if err != nil {
		return false, err
	}
	if err := z.Save(); err != nil {
		return false, err
	}
	propagateZpop(tx, key, popMax, len(ms)) // propagate.go
	n := len(ms)
	switch {
	case !shape.nested && !shape.emitKey:
		w.Array(2 * n)
	case shape.nested && !shape.emitKey:
		w.Array(n)
	case !shape.nested && shape.emitKey:
		w.Array(2*n + 1)
		w.Bulk(key)
	default:
		w.Array(2)
		w.Bulk(key)
		w.Array(n)
	}
	for _, e := range ms {
		if shape.nested {
			w.Array(2)
		}
		w.Bulk(e.Member)
		w.Double(e.Score)
	}
	return true, nil
}

// zpopServe runs zpopTx as one transaction for a (possibly blocked) client, writing errors
// to w; it reports whether the client was answered.
func zpopServe(s *Server, db int, w *resp.Writer, lim engine.ZSetLimits, keys [][]byte, popMax bool, count int64, shape zpopShape, skipOther bool) bool {
	mark := len(w.Buf)
	var found bool
	err := s.eng.Update(db, keys, func(tx *engine.Tx) error {
		var err error
		found, err = zpopTx(tx, w, lim, keys, popMax, count, shape, skipOther)
		return err
	})
	if err != nil {
		w.Buf = w.Buf[:mark]
		var re replyError
		if errors.As(err, &re) {
			w.Error(string(re))
		} else {
			s.log.Warn("store error: " + err.Error())
			w.Error("ERR " + err.Error())
		}
		return true
	}
	return found
}

// positiveArg is getPositiveLongFromObjectOrReply: one message for both failures.
func (c *Client) positiveArg(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 {
		c.w.Error(errPositive)
		return 0, false
	}
	return n, ok
}

func zpopMinMax(c *Client, args [][]byte, popMax bool) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		var ok bool
		if count, ok = c.positiveArg(args[2]); !ok {
			return
		}
	}
	shape := zpopShape{nested: c.w.Proto > 2 && count != -1}
	if !zpopServe(c.s, c.db, &c.w, c.zsetLimits(), args[1:2], popMax, count, shape, false) {
		c.w.Array(0)
	}
}

// rangeArg is getRangeLongFromObjectOrReply with a message for both failures.
func (c *Client) rangeArg(b []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < lo || n > hi {
		c.w.Error(msg)
		return 0, false
	}
	return n, true
}

// zmpopArgs parses [B]ZMPOP's numkeys key... MIN|MAX [COUNT count] from numkeysIdx.
func (c *Client) zmpopArgs(args [][]byte, numkeysIdx int) (keys [][]byte, popMax bool, count int64, ok bool) {
	numkeys, ok := c.rangeArg(args[numkeysIdx], 1, math.MaxInt64, "ERR numkeys should be greater than 0")
	if !ok {
		return nil, false, 0, false
	}
	whereIdx := int64(numkeysIdx) + numkeys + 1
	if whereIdx >= int64(len(args)) {
		c.w.Error(errSyntax)
		return nil, false, 0, false
	}
	switch w := args[whereIdx]; {
	case eqFold(w, "min"):
	case eqFold(w, "max"):
		popMax = true
	default:
		c.w.Error(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < int64(len(args)); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < int64(len(args)) {
			j++
			if count, ok = c.rangeArg(args[j], 1, math.MaxInt64, "ERR count should be greater than 0"); !ok {
				return nil, false, 0, false
			}
			continue
		}
		c.w.Error(errSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[numkeysIdx+1 : whereIdx], popMax, count, true
}

// zmpopGeneric is ZMPOP (numkeys at 1) and BZMPOP (timeout at 1, numkeys at 2).
func zmpopGeneric(c *Client, args [][]byte, numkeysIdx int, block bool) {
	keys, popMax, count, ok := c.zmpopArgs(args, numkeysIdx)
	if !ok {
		return
	}
	shape := zpopShape{emitKey: true, nested: true}
	lim := c.zsetLimits()
	if !block {
		if !zpopServe(c.s, c.db, &c.w, lim, keys, popMax, count, shape, false) {
			c.w.NullArray()
		}
		return
	}
	// The timeout is checked after the other arguments (blockingGenericZpopCommand).
	deadline, ok := c.timeoutArg(args[1])
	if !ok {
		return
	}
	zblock(c, keys, deadline, lim, popMax, count, shape)
}

// bzpopMinMax is BZPOPMIN / BZPOPMAX key... timeout: replies key, member, score.
func bzpopMinMax(c *Client, args [][]byte, popMax bool) {
	deadline, ok := c.timeoutArg(args[len(args)-1])
	if !ok {
		return
	}
	zblock(c, args[1:len(args)-1], deadline, c.zsetLimits(), popMax, -1, zpopShape{emitKey: true})
}

// zblock pops at once when a sorted set has members, else waits (server/blocking.go); a
// timeout replies a null array.
func zblock(c *Client, keys [][]byte, deadline int64, lim engine.ZSetLimits, popMax bool, count int64, shape zpopShape) {
	s, db := c.s, c.db
	c.block(keys, deadline, func(w *resp.Writer, ready []byte) bool {
		if ready == nil {
			return zpopServe(s, db, w, lim, keys, popMax, count, shape, false)
		}
		return zpopServe(s, db, w, lim, [][]byte{ready}, popMax, count, shape, true)
	}, nil)
}

// ---- ZRANDMEMBER ----

func cmdZRandMember(c *Client, args [][]byte) {
	key := args[1]
	lim := c.zsetLimits()
	if len(args) == 2 {
		c.zview([][]byte{key}, func(tx *engine.Tx) error {
			z, err := openZSet(tx, key, lim)
			if err != nil {
				return err
			}
			if z == nil {
				c.w.Null()
				return nil
			}
			ms, err := z.Random(1, false, zrand())
			if err != nil || len(ms) == 0 {
				return err
			}
			c.w.Bulk(ms[0].Member)
			return nil
		})
		return
	}
	l, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if l == math.MinInt64 {
		c.w.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
		c.w.Error(errSyntax)
		return
	} else if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.w.Error("ERR value is out of range")
			return
		}
	}
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, lim)
		if err != nil {
			return err
		}
		if z == nil || l == 0 {
			c.w.Array(0)
			return nil
		}
		count, uniq := l, true
		if l < 0 {
			count, uniq = -l, false
		}
		if !uniq || count == 1 {
			// Independent picks, streamed in chunks so a huge count holds little memory.
			if withScores && c.w.Proto == 2 {
				c.w.Array(int(2 * count))
			} else {
				c.w.Array(int(count))
			}
			rnd := zrand()
			for left := count; left > 0; {
				n := min(left, 1024)
				ms, err := z.Random(int(n), false, rnd)
				if err != nil {
					return err
				}
				writeZPicks(c, ms, withScores)
				left -= n
			}
			return nil
		}
		if count >= z.Len() {
			// The whole set, from the highest rank down (as 7.0.15 replies).
			var ms []engine.ZMember
			err := z.RangeByRank(0, z.Len()-1, true, func(m []byte, s float64) bool {
				ms = append(ms, engine.ZMember{Member: append([]byte(nil), m...), Score: s})
				return true
			})
			if err != nil {
				return err
			}
			writeZMembers(&c.w, ms, withScores)
			return nil
		}
		ms, err := z.Random(int(count), true, zrand())
		if err != nil {
			return err
		}
		if withScores && c.w.Proto == 2 {
			c.w.Array(2 * len(ms))
		} else {
			c.w.Array(len(ms))
		}
		writeZPicks(c, ms, withScores)
		return nil
	})
}

func writeZPicks(c *Client, ms []engine.ZMember, withScores bool) {
	for _, e := range ms {
		if withScores && c.w.Proto > 2 {
			c.w.Array(2)
		}
		c.w.Bulk(e.Member)
		if withScores {
			c.w.Double(e.Score)
		}
	}
}

func zrand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// ---- ZUNION / ZINTER / ZDIFF (and STORE, ZINTERCARD) ----

type zsetOp int

const (
	opUnion zsetOp = iota
	opInter
	opDiff
)

const (
	aggSum = iota
	aggMin
	aggMax
)

// zsrc is one input of a set operation: a sorted set, a set (scores 1) or nothing.
type zsrc struct {
	key    []byte
	m      *engine.Meta
	z      *engine.ZSet
	weight float64
}

func (s *zsrc) length() int64 {
	if s.m == nil {
		return 0
	}
	return s.m.Count
}

// each walks the input's members with their (unweighted) scores.
func (s *zsrc) each(tx *engine.Tx, fn func(m []byte, score float64) bool) error {
	switch {
	case s.m == nil:
		return nil
	case s.z != nil:
		return s.z.Each(fn)
	}
	return eachSetMember(tx, s.key, s.m, func(m []byte) bool { return fn(m, 1) })
}

// find returns member's score in the input.
func (s *zsrc) find(tx *engine.Tx, member []byte) (float64, bool, error) {
	switch {
	case s.m == nil:
		return 0, false, nil
	case s.z != nil:
		return s.z.Score(member)
	}
	ok, err := setHasMember(tx, s.key, s.m, member)
	return 1, ok, err
}

// Sets are read through their element records (one per member, sub-key = member); the set
// engineer's encoding keeps the member as the sub-key in both encodings.
func eachSetMember(tx *engine.Tx, key []byte, m *engine.Meta, fn func(member []byte) bool) error {
	it, err := tx.Iter(key, m, engine.TagElem, engine.IterBounds{})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Sub()) {
			break
		}
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

func setHasMember(tx *engine.Tx, key []byte, m *engine.Meta, member []byte) (bool, error) {
	_, ok, err := tx.GetElem(key, m, engine.TagElem, member)
	return ok, err
}

func aggregate(target *float64, v float64, agg int) {
	switch agg {
	case aggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if v < *target {
			*target = v
		}
	case aggMax:
		if v > *target {
			*target = v
		}
	}
}

// zsetOpGeneric is zunionInterDiffGenericCommand.
func zsetOpGeneric(c *Client, args [][]byte, dst []byte, numkeysIdx int, op zsetOp, cardOnly bool) {
	setnum, ok := c.longArg(args[numkeysIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.w.Error("ERR at least 1 input key is needed for '" + lowerName(args) + "' command")
		return
	}
	if setnum > int64(len(args)-(numkeysIdx+1)) {
		c.w.Error(errSyntax)
		return
	}
	keys := args[numkeysIdx+1 : numkeysIdx+1+int(setnum)]
	lock := keys
	if dst != nil {
		lock = append([][]byte{dst}, keys...)
	}
	lim := c.zsetLimits()
	work := func(tx *engine.Tx) error {
		srcs := make([]zsrc, len(keys))
		for i, k := range keys {
			srcs[i] = zsrc{key: k, weight: 1}
			m, err := tx.Get(k)
			if err != nil {
				return err
			}
			if m == nil {
				continue
			}
			if m.Type != engine.TypeZSet && m.Type != engine.TypeSet {
				return replyError(errWrongType)
			}
			srcs[i].m = m
			if m.Type == engine.TypeZSet {
				srcs[i].z = tx.OpenZSet(k, m, lim)
			}
		}
		agg := aggSum
		withScores := false
		var limit int64
		for j := numkeysIdx + 1 + int(setnum); j < len(args); {
			remaining := len(args) - j
			a := args[j]
			switch {
			case op != opDiff && !cardOnly && remaining >= int(setnum)+1 && eqFold(a, "weights"):
				j++
				for i := range srcs {
					w, ok := parseDouble(args[j])
					if !ok {
						return replyError("ERR weight value is not a float")
					}
					srcs[i].weight = w
					j++
				}
			case op != opDiff && !cardOnly && remaining >= 2 && eqFold(a, "aggregate"):
				switch v := args[j+1]; {
				case eqFold(v, "sum"):
					agg = aggSum
				case eqFold(v, "min"):
					agg = aggMin
				case eqFold(v, "max"):
					agg = aggMax
				default:
					return replyError(errSyntax)
				}
				j += 2
			case remaining >= 1 && dst == nil && !cardOnly && eqFold(a, "withscores"):
				withScores = true
				j++
			case cardOnly && remaining >= 2 && eqFold(a, "limit"):
				n, ok := parseInt(args[j+1])
				if !ok || n < 0 {
					return replyError("ERR LIMIT can't be negative")
				}
				limit = n
				j += 2
			default:
				return replyError(errSyntax)
			}
		}
		if op != opDiff {
			slices.SortStableFunc(srcs, func(a, b zsrc) int { return cmp.Compare(a.length(), b.length()) })
		}
		var res []engine.ZMember
		var card int64
		switch op {
		case opInter:
			if srcs[0].length() == 0 {
				break
			}
			var ierr error
			err := srcs[0].each(tx, func(m []byte, s float64) bool {
				score := srcs[0].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				for j := 1; j < len(srcs); j++ {
					if srcs[j].m == srcs[0].m && bytes.Equal(srcs[j].key, srcs[0].key) {
						aggregate(&score, s*srcs[j].weight, agg)
						continue
					}
					v, found, err := srcs[j].find(tx, m)
					if err != nil {
						ierr = err
						return false
					}
					if !found {
						return true
					}
					aggregate(&score, v*srcs[j].weight, agg)
				}
				if cardOnly {
					card++
					return limit == 0 || card < limit
				}
				res = append(res, engine.ZMember{Member: append([]byte(nil), m...), Score: score})
				return true
			})
			if err := firstErr(ierr, err); err != nil {
				return err
			}
		case opUnion:
			acc := map[string]int{}
			for i := range srcs {
				err := srcs[i].each(tx, func(m []byte, s float64) bool {
					score := srcs[i].weight * s
					if math.IsNaN(score) {
						score = 0
					}
					if at, ok := acc[string(m)]; ok {
						aggregate(&res[at].Score, score, agg)
					} else {
						acc[string(m)] = len(res)
						res = append(res, engine.ZMember{Member: append([]byte(nil), m...), Score: score})
					}
					return true
				})
				if err != nil {
					return err
				}
			}
		case opDiff:
			var ierr error
			err := srcs[0].each(tx, func(m []byte, s float64) bool {
				for j := 1; j < len(srcs); j++ {
					_, found, err := srcs[j].find(tx, m)
					if err != nil {
						ierr = err
						return false
					}
					if found {
						return true
					}
				}
				res = append(res, engine.ZMember{Member: append([]byte(nil), m...), Score: s})
				return true
			})
			if err := firstErr(ierr, err); err != nil {
				return err
			}
		}
		if cardOnly {
			c.w.Int(card)
			return nil
		}
		sortZMembers(res)
		if dst != nil {
			n, err := storeZMembers(tx, dst, res, lim)
			if err == nil {
				c.w.Int(n)
			}
			return err
		}
		writeZMembers(&c.w, res, withScores)
		return nil
	}
	if dst != nil {
		c.zupdate(lock, work)
	} else {
		c.zview(lock, work)
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// sortZMembers puts members in skiplist order: by score, then by member bytes.
func sortZMembers(ms []engine.ZMember) {
	slices.SortFunc(ms, func(a, b engine.ZMember) int {
		if a.Score < b.Score {
			return -1
		}
		if a.Score > b.Score {
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
}

// lowerName is the command's name as Redis prints it in messages (c->cmd->fullname).
func lowerName(args [][]byte) string { return string(bytes.ToLower(args[0])) }

// ---- ZSCAN ----

// cmdZScan is ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack sorted set comes back
// whole, in score order, with cursor 0, as Redis does. A larger one is walked in member order;
// the cursor is the first 8 bytes (zero-padded, big-endian) of the member to resume at. A batch
// ends only where that prefix changes, so every call makes progress.
func cmdZScan(c *Client, args [][]byte) {
	key := args[1]
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.w.Error("ERR invalid cursor")
		return
	}
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		if z == nil {
			c.w.Array(2)
			c.w.BulkString("0")
			c.w.Array(0)
			return nil
		}
		sa := scanArgs{count: 10}
		if err := sa.scanOpts(args); err != nil {
			return err
		}
		var body resp.Writer
		n := 0
		add := func(m []byte, s float64) {
			if !sa.match(m) {
				return
			}
			body.Bulk(m)
			body.BulkString(scanScore(s))
			n += 2
		}
		var next uint64
		if z.Listpack() {
			err = z.Each(func(m []byte, s float64) bool { add(m, s); return true })
		} else {
			var from []byte
			if cursor != 0 {
				var p [8]byte
				binary.BigEndian.PutUint64(p[:], cursor)
				from = bytes.TrimRight(p[:], "\x00")
			}
			var seen int64
			var lastPrefix uint64
			err = z.EachFrom(from, func(m []byte, s float64) bool {
				p := memberPrefix(m)
				if seen >= sa.count && p != lastPrefix {
					next = p
					return false
				}
				seen++
				lastPrefix = p
				add(m, s)
				return true
			})
		}
		if err != nil {
			return err
		}
		c.w.Array(2)
		c.w.BulkString(strconv.FormatUint(next, 10))
		c.w.Array(n)
		c.w.Raw(body.Buf)
		return nil
	})
}

func memberPrefix(m []byte) uint64 {
	var p [8]byte
	copy(p[:], m)
	return binary.BigEndian.Uint64(p[:])
}

// scanScore formats a score as ZSCAN does (d2string).
func scanScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return resp.FormatDouble17(f)
}

// ---- OBJECT ENCODING and DEBUG DIGEST hooks ----

func zsetEncoding(e *engine.Engine, db int, key []byte, m *engine.Meta) (string, error) {
	if m.Flags&engine.FlagConverted != 0 {
		return "skiplist", nil
	}
	return "listpack", nil
}

func zsetDigest(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error {
	return e.View(db, [][]byte{key}, func(tx *engine.Tx) error {
		z := tx.OpenZSet(key, m, engine.DefaultZSetLimits)
		return z.Each(func(member []byte, score float64) bool {
			d.digestZSetMember(member, score)
			return true
		})
	})
}
