package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The bit library (LuaBitOp 1.0.2 as bundled with Redis): 32-bit operations on numbers.

func openBit(L *lua.LState) int {
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"tobit":  func(L *lua.LState) int { L.Push(bitRet(bitArg(L, 1))); return 1 },
		"bnot":   func(L *lua.LState) int { L.Push(bitRet(^bitArg(L, 1))); return 1 },
		"band":   bitFold(func(a, b int32) int32 { return a & b }),
		"bor":    bitFold(func(a, b int32) int32 { return a | b }),
		"bxor":   bitFold(func(a, b int32) int32 { return a ^ b }),
		"lshift": bitShift(func(b uint32, n uint) uint32 { return b << n }),
		"rshift": bitShift(func(b uint32, n uint) uint32 { return b >> n }),
		"arshift": bitShift(func(b uint32, n uint) uint32 {
			return uint32(int32(b) >> n)
		}),
		"rol": bitShift(func(b uint32, n uint) uint32 { return b<<n | b>>(32-n) }),
		"ror": bitShift(func(b uint32, n uint) uint32 { return b>>n | b<<(32-n) }),
		"bswap": func(L *lua.LState) int {
			b := uint32(bitArg(L, 1))
			b = b>>24 | (b>>8)&0xff00 | (b&0xff00)<<8 | b<<24
			L.Push(bitRet(int32(b)))
			return 1
		},
		"tohex": func(L *lua.LState) int {
			b := uint32(bitArg(L, 1))
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = bitArg(L, 2)
			}
			hex := "0123456789abcdef"
			if n < 0 {
				n = -n
				hex = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = hex[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	L.SetGlobal("bit", t)
	L.Push(t)
	return 1
}

// bitArg is barg: the number's low 32 bits after rounding to nearest (the 2^52+2^51 trick).
func bitArg(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	f = math.RoundToEven(f)
	return int32(uint32(uint64(int64(math.Mod(f, 1<<52)))))
}

func bitRet(b int32) lua.LNumber { return lua.LNumber(b) }

func bitFold(op func(a, b int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := bitArg(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			b = op(b, bitArg(L, i))
		}
		L.Push(bitRet(b))
		return 1
	}
}

func bitShift(op func(b uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := uint32(bitArg(L, 1))
		n := uint(bitArg(L, 2)) & 31
		L.Push(bitRet(int32(op(b, n))))
		return 1
	}
}
