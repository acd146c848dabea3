package server

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/slotdb/slotdb/engine"
)

// Bit commands over strings, as Redis 7.0.15's bitops.c: bit 0 is the most significant bit of
// the first byte.

func init() {
	register("setbit", cmdSetBit)
	register("getbit", cmdGetBit)
	register("bitcount", cmdBitCount)
	register("bitpos", cmdBitPos)
	register("bitop", cmdBitOp)
}

const (
	errBitOffset = "ERR bit offset is not an integer or out of range"
	errBitValue  = "ERR bit is not an integer or out of range"
)

// eqFoldC compares like C strcasecmp on an sds: the argument ends at its first NUL byte.
func eqFoldC(b []byte, s string) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return eqFold(b, s)
}

// bitOffset parses a bit offset as getBitOffsetFromArgument: with hash set (BITFIELD), "#N"
// means N*width. Offsets whose byte is at or past proto-max-bulk-len are refused.
func bitOffset(arg []byte, hash bool, width int, maxBulk int64) (uint64, bool) {
	use := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if use {
		arg = arg[1:]
	}
	off, ok := parseInt(arg)
	if !ok {
		return 0, false
	}
	if use {
		off *= int64(width) // wraps as in Redis; a wrap to a negative offset is refused below
	}
	if off < 0 || off>>3 >= maxBulk {
		return 0, false
	}
	return uint64(off), true
}

// bitString reads a key for a bit read command: exists is false for a missing key (an empty
// string exists); ok is false after an error reply.
func (c *Client) bitString(key []byte) (v []byte, exists, ok bool) {
	m, ok := c.lookup(key)
	if !ok || m == nil {
		return nil, false, ok
	}
	if m.Type != engine.TypeString {
		c.w.Error(errWrongType)
		return nil, false, false
	}
	return m.Value, true, true
}

// growString returns a writable copy of v at least n bytes long, zero padded.
func growString(v []byte, n uint64) []byte {
	out := make([]byte, max(uint64(len(v)), n))
	copy(out, v)
	return out
}

func cmdSetBit(c *Client, args [][]byte) {
	off, ok := bitOffset(args[2], false, 0, c.s.cfg.ProtoMaxBulk())
	if !ok {
		c.w.Error(errBitOffset)
		return
	}
	on, ok := parseInt(args[3])
	if !ok || on&^1 != 0 {
		c.w.Error(errBitValue)
		return
	}
	var old int64
	ok = c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil {
			return err
		}
		var cur []byte
		var exp int64
		if m != nil {
			cur, exp = m.Value, m.ExpireAt
		}
		i, shift := off>>3, 7-off&7
		if i < uint64(len(cur)) {
			old = int64(cur[i]>>shift) & 1
		}
		// Redis unshares the value (making it raw) even when the bit is already right.
		if m != nil && old == on && i < uint64(len(cur)) && m.Flags&engine.FlagRaw != 0 {
			return nil
		}
		v := growString(cur, i+1)
		v[i] = v[i]&^(1<<shift) | byte(on)<<shift
		return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: v, ExpireAt: exp, Flags: engine.FlagRaw})
	})
	if ok {
		c.w.Int(old)
	}
}

func cmdGetBit(c *Client, args [][]byte) {
	off, ok := bitOffset(args[2], false, 0, c.s.cfg.ProtoMaxBulk())
	if !ok {
		c.w.Error(errBitOffset)
		return
	}
	v, _, ok := c.bitString(args[1])
	if !ok {
		return
	}
	var bit int64
	if i := off >> 3; i < uint64(len(v)) {
		bit = int64(v[i]>>(7-off&7)) & 1
	}
	c.w.Int(bit)
}

// cmdBitCount follows 7.0.15, which looks the key up before parsing the range: a missing
// key answers 0 whatever the arguments.
func cmdBitCount(c *Client, args [][]byte) {
	v, exists, ok := c.bitString(args[1])
	if !ok {
		return
	}
	if !exists {
		c.w.Int(0)
		return
	}
	switch len(args) {
	case 2:
		c.w.Int(bitCount(v, 0, -1, false))
	case 4, 5:
		start, ok := c.intArg(args[2])
		if !ok {
			return
		}
		end, ok := c.intArg(args[3])
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.w.Int(0) // before the unit is even looked at, as Redis
			return
		}
		unitBit := false
		if len(args) == 5 {
			if unitBit, ok = bitUnit(args[4]); !ok {
				c.w.Error(errSyntax)
				return
			}
		}
		c.w.Int(bitCount(v, start, end, unitBit))
	default:
		c.w.Error(errSyntax)
	}
}

// bitUnit parses BYTE|BIT; unitBit is true for BIT.
func bitUnit(arg []byte) (unitBit, ok bool) {
	switch {
	case eqFoldC(arg, "bit"):
		return true, true
	case eqFoldC(arg, "byte"):
		return false, true
	}
	return false, false
}

// bitRange turns a Redis start/end pair (negative counts from the end) in bytes or bits into
// an inclusive bit range; ok is false when the range is empty.
func bitRange(n int, start, end int64, unitBit bool) (sb, eb int64, ok bool) {
	total := int64(n)
	if unitBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, false
	}
	if unitBit {
		return start, end, true
	}
	return start << 3, end<<3 | 7, true
}

// bitCount counts the set bits of v between start and end inclusive (BITCOUNT's range).
func bitCount(v []byte, start, end int64, unitBit bool) int64 {
	if start < 0 && end < 0 && start > end {
		return 0
	}
	sb, eb, ok := bitRange(len(v), start, end, unitBit)
	if !ok {
		return 0
	}
	p := v[sb>>3 : eb>>3+1]
	n := popcount(p)
	n -= int64(bits.OnesCount8(p[0] >> (8 - sb&7) << (8 - sb&7))) // bits before sb
	n -= int64(bits.OnesCount8(p[len(p)-1] & (0x7f >> (eb & 7)))) // bits after eb
	return n
}

func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// cmdBitPos follows 7.0.15's order: the bit argument, then the key (missing: -1 for 1, 0 for
// 0), then the range, whose unit is checked before its end.
func cmdBitPos(c *Client, args [][]byte) {
	bit, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.w.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	v, exists, ok := c.bitString(args[1])
	if !ok {
		return
	}
	if !exists {
		c.w.Int(-bit) // an endless run of zeros: no 1 bit, a 0 bit at once
		return
	}
	if len(args) > 6 {
		c.w.Error(errSyntax)
		return
	}
	start, end := int64(0), int64(-1)
	endGiven, unitBit := false, false
	if len(args) >= 4 {
		if start, ok = c.intArg(args[3]); !ok {
			return
		}
	}
	if len(args) == 6 {
		if unitBit, ok = bitUnit(args[5]); !ok {
			c.w.Error(errSyntax)
			return
		}
	}
	if len(args) >= 5 {
		if end, ok = c.intArg(args[4]); !ok {
			return
		}
		endGiven = true
	}
	c.w.Int(bitPos(v, byte(bit), start, end, endGiven, unitBit))
}

// bitPos is BITPOS over v: the first bit equal to bit within the range, else -1; when looking
// for 0 without an explicit end, the string counts as zero padded on the right.
func bitPos(v []byte, bit byte, start, end int64, endGiven, unitBit bool) int64 {
	sb, eb, ok := bitRange(len(v), start, end, unitBit)
	if !ok {
		return -1
	}
	if p := findBit(v, bit, sb, eb); p >= 0 {
		return p
	}
	if bit == 0 && !endGiven {
		return eb + 1
	}
	return -1
}

// findBit returns the first bit position in [sb, eb] whose value is bit, or -1.
func findBit(v []byte, bit byte, sb, eb int64) int64 {
	var flip byte // XOR that turns the wanted bit value into 1
	if bit == 0 {
		flip = 0xff
	}
	last := eb >> 3
	for i := sb >> 3; i <= last; i++ {
		if i&7 == 0 && i+8 <= last {
			// Skip whole words of unwanted bits.
			w := binary.BigEndian.Uint64(v[i:])
			if bit == 0 {
				w = ^w
			}
			if w == 0 {
				i += 7
				continue
			}
		}
		b := v[i] ^ flip
		if i == sb>>3 {
			b &= 0xff >> (sb & 7)
		}
		if i == last {
			b &= 0xff << (7 - eb&7)
		}
		if b != 0 {
			return i<<3 + int64(bits.LeadingZeros8(b))
		}
	}
	return -1
}

// Operations of BITOP.
const (
	bitopAnd = iota
	bitopOr
	bitopXor
	bitopNot
)

func cmdBitOp(c *Client, args [][]byte) {
	var op int
	switch {
	case eqFoldC(args[1], "and"):
		op = bitopAnd
	case eqFoldC(args[1], "or"):
		op = bitopOr
	case eqFoldC(args[1], "xor"):
		op = bitopXor
	case eqFoldC(args[1], "not"):
		op = bitopNot
	default:
		c.w.Error(errSyntax)
		return
	}
	if op == bitopNot && len(args) != 4 {
		c.w.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	dest, srcKeys := args[2], args[3:]
	var size int
	ok := c.update(args[2:], func(tx *engine.Tx) error {
		srcs := make([][]byte, len(srcKeys))
		for i, k := range srcKeys {
			m, err := txString(tx, k)
			if err != nil {
				return err
			}
			if m != nil {
				srcs[i] = m.Value
			}
		}
		res := bitOp(op, srcs)
		size = len(res)
		if size == 0 {
			_, err := tx.Delete(dest)
			return err
		}
		// The result replaces dest whatever it held, without a TTL, as a raw string.
		return tx.Put(dest, &engine.Meta{Type: engine.TypeString, Value: res, Flags: engine.FlagRaw})
	})
	if ok {
		c.w.Int(int64(size))
	}
}

// bitOp computes BITOP over srcs (missing keys are nil): the result is as long as the longest
// source, shorter sources count as zero padded.
func bitOp(op int, srcs [][]byte) []byte {
	n := 0
	for _, s := range srcs {
		n = max(n, len(s))
	}
	if n == 0 {
		return nil
	}
	res := make([]byte, n)
	copy(res, srcs[0])
	if op == bitopNot {
		for i := range res {
			res[i] = ^res[i]
		}
		return res
	}
	for _, s := range srcs[1:] {
		switch op {
		case bitopAnd:
			for i := range res {
				if i < len(s) {
					res[i] &= s[i]
				} else {
					res[i] = 0
				}
			}
		case bitopOr:
			for i := range s {
				res[i] |= s[i]
			}
		case bitopXor:
			for i := range s {
				res[i] ^= s[i]
			}
		}
	}
	return res
}
