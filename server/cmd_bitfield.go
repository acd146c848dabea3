package server

import (
	"bytes"
	"math"

	"github.com/slotdb/slotdb/engine"
)

// BITFIELD and BITFIELD_RO, as Redis 7.0.15's bitfieldGeneric.

func init() {
	register("bitfield", func(c *Client, a [][]byte) { bitfieldGeneric(c, a, false) })
	register("bitfield_ro", func(c *Client, a [][]byte) { bitfieldGeneric(c, a, true) })
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// Overflow behaviours of BITFIELD SET/INCRBY.
const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// Operations of BITFIELD.
const (
	bfGet = iota
	bfSet
	bfIncrBy
)

// bitfieldOp is one parsed GET/SET/INCRBY.
type bitfieldOp struct {
	op       int
	offset   uint64
	width    uint // 1..64 signed, 1..63 unsigned
	signed   bool
	arg      int64 // SET value or INCRBY increment
	overflow int
}

// bitfieldResult is one reply element: a value, or nil (Null) for an overflow under FAIL.
type bitfieldResult struct {
	val  int64
	null bool
}

// bitfieldType parses i<bits>/u<bits> as getBitfieldTypeFromArgument (a C string: it ends at
// the first NUL byte).
func bitfieldType(arg []byte) (width uint, signed, ok bool) {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return 0, false, false
	}
	signed = arg[0] == 'i'
	n, ok := parseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return 0, false, false
	}
	return uint(n), signed, true
}

// parseBitfield parses the subcommands of args[2:]; on failure it returns the error reply.
// readonly reports that there is no SET or INCRBY; hiBit is the highest bit they write.
func parseBitfield(args [][]byte, maxBulk int64) (ops []bitfieldOp, readonly bool, hiBit uint64, errReply string) {
	readonly = true
	overflow := overflowWrap
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op int
		switch sub := args[j]; {
		case eqFoldC(sub, "get") && rem >= 2:
			op = bfGet
		case eqFoldC(sub, "set") && rem >= 3:
			op = bfSet
		case eqFoldC(sub, "incrby") && rem >= 3:
			op = bfIncrBy
		case eqFoldC(sub, "overflow") && rem >= 1:
			j++
			switch t := args[j]; {
			case eqFoldC(t, "wrap"):
				overflow = overflowWrap
			case eqFoldC(t, "sat"):
				overflow = overflowSat
			case eqFoldC(t, "fail"):
				overflow = overflowFail
			default:
				return nil, false, 0, "ERR Invalid OVERFLOW type specified"
			}
			continue
		default:
			return nil, false, 0, errSyntax
		}
		width, signed, ok := bitfieldType(args[j+1])
		if !ok {
			return nil, false, 0, errBitfieldType
		}
		off, ok := bitOffset(args[j+2], true, int(width), maxBulk)
		if !ok {
			return nil, false, 0, errBitOffset
		}
		o := bitfieldOp{op: op, offset: off, width: width, signed: signed, overflow: overflow}
		if op != bfGet {
			readonly = false
			hiBit = max(hiBit, off+uint64(width)-1)
			if o.arg, ok = parseInt(args[j+3]); !ok {
				return nil, false, 0, errNotInt
			}
			j++
		}
		ops = append(ops, o)
		j += 2
	}
	return ops, readonly, hiBit, ""
}

func bitfieldGeneric(c *Client, args [][]byte, roCommand bool) {
	ops, readonly, hiBit, e := parseBitfield(args, c.s.cfg.ProtoMaxBulk())
	if e != "" {
		c.w.Error(e)
		return
	}
	var res []bitfieldResult
	if readonly {
		v, _, ok := c.bitString(args[1])
		if !ok {
			return
		}
		res = runBitfield(v, ops)
	} else {
		if roCommand {
			c.w.Error("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		ok := c.update(args[1:2], func(tx *engine.Tx) error {
			m, err := txString(tx, args[1])
			if err != nil {
				return err
			}
			var cur []byte
			var exp int64
			if m != nil {
				cur, exp = m.Value, m.ExpireAt
			}
			// Redis makes room for the farthest bit written before running any op, so the key
			// exists (zero padded) even when every write fails under OVERFLOW FAIL.
			v := growString(cur, hiBit>>3+1)
			res = runBitfield(v, ops)
			if m != nil && m.Flags&engine.FlagRaw != 0 && bytes.Equal(v, cur) {
				return nil
			}
			return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: v, ExpireAt: exp, Flags: engine.FlagRaw})
		})
		if !ok {
			return
		}
	}
	c.w.Array(len(res))
	for _, r := range res {
		if r.null {
			c.w.Null()
		} else {
			c.w.Int(r.val)
		}
	}
}

// runBitfield runs ops in order over v, which holds every bit that SET and INCRBY write
// (reads past its end see zeros).
func runBitfield(v []byte, ops []bitfieldOp) []bitfieldResult {
	res := make([]bitfieldResult, 0, len(ops))
	for _, o := range ops {
		old := getBits(v, o.offset, o.width)
		if o.op == bfGet {
			if o.signed {
				res = append(res, bitfieldResult{val: signExtend(old, o.width)})
			} else {
				res = append(res, bitfieldResult{val: int64(old)})
			}
			continue
		}
		var newVal, ret uint64
		var over int
		if o.signed {
			oldS := signExtend(old, o.width)
			var lim int64
			if o.op == bfIncrBy {
				over, lim = signedOverflow(oldS, o.arg, o.width, o.overflow)
				newVal = uint64(oldS + o.arg)
				ret = newVal
			} else {
				over, lim = signedOverflow(o.arg, 0, o.width, o.overflow)
				newVal, ret = uint64(o.arg), uint64(oldS)
			}
			if over != 0 {
				newVal = uint64(lim)
				if o.op == bfIncrBy {
					ret = newVal
				}
			}
		} else {
			var lim uint64
			if o.op == bfIncrBy {
				over, lim = unsignedOverflow(old, o.arg, o.width, o.overflow)
				newVal = old + uint64(o.arg)
			} else {
				over, lim = unsignedOverflow(uint64(o.arg), 0, o.width, o.overflow)
				newVal = uint64(o.arg)
			}
			if over != 0 {
				newVal = lim
			}
			if o.op == bfIncrBy {
				ret = newVal
			} else {
				ret = old
			}
		}
		if over != 0 && o.overflow == overflowFail {
			res = append(res, bitfieldResult{null: true})
			continue
		}
		res = append(res, bitfieldResult{val: int64(ret)})
		setBits(v, o.offset, o.width, newVal)
	}
	return res
}

// getBits reads width bits at bit offset off as an unsigned number; bits past v's end are 0.
func getBits(v []byte, off uint64, width uint) uint64 {
	var x uint64
	for j := uint(0); j < width; j++ {
		x <<= 1
		if i := off >> 3; i < uint64(len(v)) {
			x |= uint64(v[i]>>(7-off&7)) & 1
		}
		off++
	}
	return x
}

// setBits writes the low width bits of x at bit offset off; v must be long enough.
func setBits(v []byte, off uint64, width uint, x uint64) {
	for j := uint(0); j < width; j++ {
		bit := byte(x>>(width-1-j)) & 1
		i, shift := off>>3, 7-off&7
		v[i] = v[i]&^(1<<shift) | bit<<shift
		off++
	}
}

func signExtend(x uint64, width uint) int64 {
	if width < 64 && x&(1<<(width-1)) != 0 {
		x |= math.MaxUint64 << width
	}
	return int64(x)
}

// unsignedOverflow is checkUnsignedBitfieldOverflow: 1 for overflow, -1 for underflow, 0 when
// value+incr fits; lim is the value to store instead under WRAP or SAT. The arithmetic wraps
// exactly as Redis's C does, quirks included.
func unsignedOverflow(value uint64, incr int64, width uint, ow int) (int, uint64) {
	maxv := uint64(1)<<width - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << width) }
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		if ow == overflowWrap {
			return 1, wrap()
		}
		return 1, maxv
	case incr < 0 && incr < minIncr:
		if ow == overflowWrap {
			return -1, wrap()
		}
		return -1, 0
	}
	return 0, 0
}

// signedOverflow is checkSignedBitfieldOverflow, with the same wrapping arithmetic as Redis
// (SET of a value far out of range can saturate on the wrong side, as it does there).
func signedOverflow(value, incr int64, width uint, ow int) (int, int64) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = int64(1)<<(width-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if c&(1<<(width-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > maxv || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		if ow == overflowWrap {
			return 1, wrap()
		}
		return 1, maxv
	case value < minv || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		if ow == overflowWrap {
			return -1, wrap()
		}
		return -1, minv
	}
	return 0, 0
}
