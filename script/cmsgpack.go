package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library (lua-cmsgpack 0.4.0 as bundled with Redis).

const msgpackMaxNesting = 16

func openCmsgpack(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(mpPack))
	t.RawSetString("unpack", L.NewFunction(mpUnpack))
	t.RawSetString("unpack_one", L.NewFunction(mpUnpackOne))
	t.RawSetString("unpack_limit", L.NewFunction(mpUnpackLimit))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	L.SetGlobal("cmsgpack", t)
	L.Push(t)
	return 1
}

func mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = mpEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return mpBytes(b, []byte(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && f == float64(luaToInt64(f)) && f == math.Trunc(f) {
			return mpInt(b, luaToInt64(f))
		}
		if float64(float32(f)) == f || f != f {
			if f != f {
				return mpFloat64(b, f)
			}
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		return mpFloat64(b, f)
	case *lua.LTable:
		if level == msgpackMaxNesting {
			return append(b, 0xc0)
		}
		return mpTable(b, v, level+1)
	}
	return append(b, 0xc0)
}

func mpFloat64(b []byte, f float64) []byte {
	b = append(b, 0xcb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func mpBytes(b []byte, s []byte) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func mpInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		default:
			return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
		}
	}
	switch {
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
}

// mpTable encodes an array when the keys are exactly 1..n, else a map.
func mpTable(b []byte, t *lua.LTable, level int) []byte {
	count, max := 0, 0
	array := true
	t.ForEach(func(k, _ lua.LValue) {
		count++
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Trunc(float64(n)) || n < 1 {
			array = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
	})
	if array && max == count {
		b = mpArrayHeader(b, count)
		for i := 1; i <= count; i++ {
			b = mpEncode(b, t.RawGetInt(i), level)
		}
		return b
	}
	switch {
	case count < 16:
		b = append(b, 0x80|byte(count))
	case count <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xde), uint16(count))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(count))
	}
	t.ForEach(func(k, v lua.LValue) {
		b = mpEncode(b, k, level)
		b = mpEncode(b, v, level)
	})
	return b
}

func mpArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
	}
}

// mpDecoder reads one value at a time; err is "Missing bytes in input." or
// "Bad data format in input." as the C library reports.
type mpDecoder struct {
	L   *lua.LState
	b   []byte
	pos int
	err string
}

func (d *mpDecoder) need(n int) bool {
	if d.err != "" {
		return false
	}
	if len(d.b)-d.pos < n {
		d.err = "Missing bytes in input."
		return false
	}
	return true
}

func (d *mpDecoder) take(n int) []byte {
	if !d.need(n) {
		return nil
	}
	p := d.b[d.pos : d.pos+n]
	d.pos += n
	return p
}

func (d *mpDecoder) value() lua.LValue {
	h := d.take(1)
	if h == nil {
		return lua.LNil
	}
	c := h[0]
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapv(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc:
		if p := d.take(1); p != nil {
			return lua.LNumber(p[0])
		}
	case 0xcd:
		if p := d.take(2); p != nil {
			return lua.LNumber(binary.BigEndian.Uint16(p))
		}
	case 0xce:
		if p := d.take(4); p != nil {
			return lua.LNumber(binary.BigEndian.Uint32(p))
		}
	case 0xcf:
		if p := d.take(8); p != nil {
			return lua.LNumber(float64(binary.BigEndian.Uint64(p)))
		}
	case 0xd0:
		if p := d.take(1); p != nil {
			return lua.LNumber(int8(p[0]))
		}
	case 0xd1:
		if p := d.take(2); p != nil {
			return lua.LNumber(int16(binary.BigEndian.Uint16(p)))
		}
	case 0xd2:
		if p := d.take(4); p != nil {
			return lua.LNumber(int32(binary.BigEndian.Uint32(p)))
		}
	case 0xd3:
		if p := d.take(8); p != nil {
			return lua.LNumber(float64(int64(binary.BigEndian.Uint64(p))))
		}
	case 0xca:
		if p := d.take(4); p != nil {
			return lua.LNumber(math.Float32frombits(binary.BigEndian.Uint32(p)))
		}
	case 0xcb:
		if p := d.take(8); p != nil {
			return lua.LNumber(math.Float64frombits(binary.BigEndian.Uint64(p)))
		}
	case 0xc4, 0xd9:
		if p := d.take(1); p != nil {
			return d.str(int(p[0]))
		}
	case 0xc5, 0xda:
		if p := d.take(2); p != nil {
			return d.str(int(binary.BigEndian.Uint16(p)))
		}
	case 0xc6, 0xdb:
		if p := d.take(4); p != nil {
			return d.str(int(binary.BigEndian.Uint32(p)))
		}
	case 0xdc:
		if p := d.take(2); p != nil {
			return d.array(int(binary.BigEndian.Uint16(p)))
		}
	case 0xdd:
		if p := d.take(4); p != nil {
			return d.array(int(binary.BigEndian.Uint32(p)))
		}
	case 0xde:
		if p := d.take(2); p != nil {
			return d.mapv(int(binary.BigEndian.Uint16(p)))
		}
	case 0xdf:
		if p := d.take(4); p != nil {
			return d.mapv(int(binary.BigEndian.Uint32(p)))
		}
	default:
		if d.err == "" {
			d.err = "Bad data format in input."
		}
	}
	return lua.LNil
}

func (d *mpDecoder) str(n int) lua.LValue {
	p := d.take(n)
	if p == nil {
		return lua.LNil
	}
	return lua.LString(p)
}

func (d *mpDecoder) array(n int) lua.LValue {
	t := d.L.NewTable()
	for i := 1; i <= n && d.err == ""; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *mpDecoder) mapv(n int) lua.LValue {
	t := d.L.NewTable()
	for i := 0; i < n && d.err == ""; i++ {
		k := d.value()
		v := d.value()
		if k != lua.LNil && d.err == "" {
			t.RawSet(k, v)
		}
	}
	return t
}

// mpUnpackFull is mp_unpack_full: decode up to limit values (0: all) from offset.
func mpUnpackFull(L *lua.LState, limit, offset int) int {
	s := L.CheckString(1)
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	} else if offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	decodeAll := limit == 0 && offset == 0
	if decodeAll {
		limit = math.MaxInt32
	}
	d := &mpDecoder{L: L, b: []byte(s), pos: offset}
	var vals []lua.LValue
	for d.pos < len(d.b) && limit > 0 {
		v := d.value()
		if d.err != "" {
			L.RaiseError("%s", d.err)
		}
		vals = append(vals, v)
		limit--
	}
	if !decodeAll {
		next := d.pos
		if next >= len(d.b) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if decodeAll {
		return len(vals)
	}
	return len(vals) + 1
}

func mpUnpack(L *lua.LState) int { return mpUnpackFull(L, 0, 0) }

func mpUnpackOne(L *lua.LState) int {
	return mpUnpackFull(L, 1, L.OptInt(2, 0))
}

func mpUnpackLimit(L *lua.LState) int {
	return mpUnpackFull(L, L.CheckInt(2), L.OptInt(3, 0))
}
