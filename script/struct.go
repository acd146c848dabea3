package script

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (Roberto Ierusalimschy's struct.c as bundled with Redis) on a 64-bit
// little-endian machine: short 2, int 4, long 8, size_t 8 bytes.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	big   bool
	align int
}

type structFmt struct {
	L     *lua.LState
	fname string
	f     string
	pos   int
}

func (s *structFmt) more() bool { return s.pos < len(s.f) }

func (s *structFmt) next() byte {
	c := s.f[s.pos]
	s.pos++
	return c
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *structFmt) getnum(df int) int {
	if !s.more() || !isDigit(s.f[s.pos]) {
		return df
	}
	a := 0
	for s.more() && isDigit(s.f[s.pos]) {
		d := int(s.f[s.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			s.L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		s.pos++
	}
	return a
}

func (s *structFmt) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T':
		return 8
	case 'f':
		return 4
	case 'd':
		return 8
	case 'x':
		return 1
	case 'c':
		return s.getnum(1)
	case 'i', 'I':
		sz := s.getnum(4)
		if sz > structMaxIntSize {
			s.L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func gettoalign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (s *structFmt) control(opt byte, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.big = true
	case '<':
		h.big = false
	case '!':
		a := s.getnum(structMaxAlign)
		if a&(a-1) != 0 {
			s.L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		argError(s.L, 1, s.fname, "invalid format option '"+string(opt)+"'")
	}
}

func openStruct(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	L.SetGlobal("struct", t)
	L.Push(t)
	return 1
}

func structPack(L *lua.LState) int {
	s := &structFmt{L: L, fname: "pack", f: L.CheckString(1)}
	h := structHeader{align: 1}
	arg := 2
	var b []byte
	total := 0
	for s.more() {
		opt := s.next()
		size := s.optsize(opt)
		toalign := gettoalign(total, &h, opt, size)
		total += toalign
		for ; toalign > 0; toalign-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(L.CheckNumber(arg))
			arg++
			var v uint64
			if n < 0 {
				v = uint64(luaToInt64(n))
			} else if n >= 18446744073709551615.0 {
				v = math.MaxUint64
			} else {
				v = uint64(n)
			}
			buf := make([]byte, size)
			if h.big {
				for i := size - 1; i >= 0; i-- {
					buf[i] = byte(v)
					v >>= 8
				}
			} else {
				for i := 0; i < size; i++ {
					buf[i] = byte(v)
					v >>= 8
				}
			}
			b = append(b, buf...)
		case 'x':
			b = append(b, 0)
		case 'f':
			f := float32(L.CheckNumber(arg))
			arg++
			b = appendOrder(b, h.big, uint64(math.Float32bits(f)), 4)
		case 'd':
			d := float64(L.CheckNumber(arg))
			arg++
			b = appendOrder(b, h.big, math.Float64bits(d), 8)
		case 'c', 's':
			str := L.CheckString(arg)
			arg++
			if size == 0 {
				size = len(str)
			}
			if len(str) < size {
				argError(L, arg, "pack", "string too short")
			}
			b = append(b, str[:size]...)
			if opt == 's' {
				b = append(b, 0)
				size++
			}
		default:
			s.control(opt, &h)
		}
		total += size
	}
	L.Push(lua.LString(b))
	return 1
}

func appendOrder(b []byte, big bool, v uint64, size int) []byte {
	var buf [8]byte
	if big {
		binary.BigEndian.PutUint64(buf[:], v<<(8*(8-size)))
	} else {
		binary.LittleEndian.PutUint64(buf[:], v)
	}
	return append(b, buf[:size]...)
}

func structUnpack(L *lua.LState) int {
	s := &structFmt{L: L, fname: "unpack", f: L.CheckString(1)}
	data := L.CheckString(2)
	ld := len(data)
	pos := L.OptInt(3, 1)
	if pos <= 0 {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	pos--
	h := structHeader{align: 1}
	n := 0
	for s.more() {
		opt := s.next()
		size := s.optsize(opt)
		pos += gettoalign(pos, &h, opt, size)
		if !(size <= ld && pos <= ld-size) {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var l uint64
			p := data[pos : pos+size]
			if h.big {
				for i := 0; i < size; i++ {
					l = l<<8 | uint64(p[i])
				}
			} else {
				for i := size - 1; i >= 0; i-- {
					l = l<<8 | uint64(p[i])
				}
			}
			if opt >= 'a' { // signed
				if size*8-1 < 64 {
					mask := ^uint64(0) << (size*8 - 1)
					if l&mask != 0 {
						l |= mask
					}
				}
				L.Push(lua.LNumber(float64(int64(l))))
			} else {
				L.Push(lua.LNumber(float64(l)))
			}
			n++
		case 'x':
		case 'f':
			var v uint32
			p := []byte(data[pos : pos+4])
			if h.big {
				v = binary.BigEndian.Uint32(p)
			} else {
				v = binary.LittleEndian.Uint32(p)
			}
			L.Push(lua.LNumber(math.Float32frombits(v)))
			n++
		case 'd':
			var v uint64
			p := []byte(data[pos : pos+8])
			if h.big {
				v = binary.BigEndian.Uint64(p)
			} else {
				v = binary.LittleEndian.Uint64(p)
			}
			L.Push(lua.LNumber(math.Float64frombits(v)))
			n++
		case 'c':
			if size == 0 {
				if n == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				prev := L.Get(-1)
				num, ok := prev.(lua.LNumber)
				if !ok {
					if sv, isStr := prev.(lua.LString); isStr {
						if f, err := strconv.ParseFloat(string(sv), 64); err == nil {
							num, ok = lua.LNumber(f), true
						}
					}
				}
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(num)
				L.Pop(1)
				n--
				if !(size <= ld && pos <= ld-size) {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			e := bytes.IndexByte([]byte(data[pos:]), 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			L.Push(lua.LString(data[pos : pos+e]))
			n++
		default:
			s.control(opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	s := &structFmt{L: L, fname: "size", f: L.CheckString(1)}
	h := structHeader{align: 1}
	pos := 0
	for s.more() {
		opt := s.next()
		size := s.optsize(opt)
		pos += gettoalign(pos, &h, opt, size)
		if opt == 's' {
			argError(L, 1, "size", "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			s.control(opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
