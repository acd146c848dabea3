package server

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/engine"
)

func init() {
	register("incr", func(c *Client, a [][]byte) { incrBy(c, a[1], 1) })
	register("decr", func(c *Client, a [][]byte) { incrBy(c, a[1], -1) })
	register("incrby", func(c *Client, a [][]byte) {
		if n, ok := c.intArg(a[2]); ok {
			incrBy(c, a[1], n)
		}
	})
	register("decrby", func(c *Client, a [][]byte) {
		n, ok := c.intArg(a[2])
		if !ok {
			return
		}
		if n == math.MinInt64 {
			c.w.Error("ERR decrement would overflow")
			return
		}
		incrBy(c, a[1], -n)
	})
	register("incrbyfloat", cmdIncrByFloat)
}

func incrBy(c *Client, key []byte, by int64) {
	var result int64
	ok := c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txString(tx, key)
		if err != nil {
			return err
		}
		var cur, exp int64
		if m != nil {
			var ok bool
			if cur, ok = parseInt(m.Value); !ok {
				return replyError(errNotInt)
			}
			exp = m.ExpireAt
		}
		if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
			return replyError(errOverflow)
		}
		result = cur + by
		return tx.Put(key, &engine.Meta{Type: engine.TypeString, Value: strconv.AppendInt(nil, result, 10), ExpireAt: exp})
	})
	if ok {
		c.w.Int(result)
	}
}

// INCRBYFLOAT computes in C's long double (x87 80-bit: a 64-bit mantissa), which big.Float
// reproduces with 64 bits of precision; the result is printed as ld2string's "%.17Lf" with
// trailing zeros removed.
const ldPrec = 64

// ldMaxExp is the binary exponent past which an 80-bit long double overflows to infinity.
const ldMaxExp = 16384

func parseLongDouble(b []byte) (*big.Float, bool) {
	s := string(b)
	if len(s) == 0 || len(s) > 5*1024 || isCSpace(s[0]) {
		return nil, false
	}
	ls := strings.ToLower(s)
	switch strings.TrimLeft(ls, "+-") {
	case "inf", "infinity":
		return new(big.Float).SetInf(ls[0] == '-'), true
	case "nan":
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Parse(s, 0)
	if err != nil {
		return nil, false
	}
	if e := f.MantExp(nil); e > ldMaxExp {
		return nil, false // strtold: ERANGE to HUGE_VAL
	}
	return f, true
}

func isCSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

func formatLongDouble(f *big.Float) string {
	if f.IsInf() {
		if f.Sign() < 0 {
			return "-inf"
		}
		return "inf"
	}
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func cmdIncrByFloat(c *Client, args [][]byte) {
	key := args[1]
	var out string
	// Redis checks the key's type, then its value, then the increment.
	ok := c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txString(tx, key)
		if err != nil {
			return err
		}
		cur := new(big.Float).SetPrec(ldPrec)
		var exp int64
		if m != nil {
			v, ok := parseLongDouble(m.Value)
			if !ok {
				return replyError(errNotFloat)
			}
			cur, exp = v, m.ExpireAt
		}
		incr, ok := parseLongDouble(args[2])
		if !ok {
			return replyError(errNotFloat)
		}
		if cur.IsInf() || incr.IsInf() {
			return replyError("ERR increment would produce NaN or Infinity")
		}
		sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(cur, incr)
		if sum.MantExp(nil) > ldMaxExp {
			return replyError("ERR increment would produce NaN or Infinity")
		}
		out = formatLongDouble(sum)
		tx.Propagate([]byte("SET"), key, []byte(out), []byte("KEEPTTL")) // propagate.go
		return tx.Put(key, &engine.Meta{Type: engine.TypeString, Value: []byte(out), ExpireAt: exp, Flags: engine.FlagNotInt})
	})
	if ok {
		c.w.BulkString(out)
	}
}
