package script

import (
	"reflect"
	"regexp"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 names the variable a failed operation was applied to ("attempt to index local 't'
// (a nil value)", "attempt to call global 'f' (a nil value)", "field 'a'", "upvalue 'u'",
// "method 'm'"): luaG_typeerror asks getobjname, which reads the function's bytecode and
// debug information. gopher-lua's VM says only "attempt to index a nil value"; it compiles
// with Lua 5.1's opcodes and register allocation, so the error handler can ask the same
// question of the failing frame and put the name in.

var typeErrorRe = regexp.MustCompile(`^(.*?)attempt to (index|call|get length of|perform arithmetic on) a (\w+) value$`)

// nameTypeError rewrites a VM type error raised in the Lua frame dbg to Lua 5.1's text with
// the variable's name, when the bytecode tells it; otherwise msg is returned as it is.
//
// lhsFailed tells, for arithmetic between two registers, that the left operand was the one
// that is not a number (gopher-lua's own message says which).
func nameTypeError(L *lua.LState, dbg *lua.Debug, msg string, lhsFailed bool) string {
	m := typeErrorRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	fv, err := L.GetInfo("f", dbg, lua.LNil)
	fn, ok := fv.(*lua.LFunction)
	if err != nil || !ok || fn.IsG || fn.Proto == nil {
		return msg
	}
	pc, ok := framePC(dbg)
	if !ok || pc <= 0 || pc > len(fn.Proto.Code) {
		return msg
	}
	pc-- // the VM counts the failing instruction as executed
	inst := fn.Proto.Code[pc]
	reg := -1
	switch m[2] {
	case "index":
		switch opCode(inst) {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			reg = argB(inst)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			reg = argA(inst)
		}
	case "call":
		if op := opCode(inst); op == lua.OP_CALL || op == lua.OP_TAILCALL {
			reg = argA(inst)
		}
	case "get length of":
		if opCode(inst) == lua.OP_LEN {
			reg = argB(inst)
		}
	case "perform arithmetic on":
		// luaG_aritherror blames the first operand that is not a number; without the
		// values that is known only when the other is a constant.
		if op := opCode(inst); op >= lua.OP_ADD && op <= lua.OP_POW {
			b, c := argB(inst), argC(inst)
			switch {
			case isK(b) && !isK(c):
				reg = c
			case isK(c) && !isK(b), lhsFailed:
				reg = b
			default:
				reg = c
			}
		}
	}
	if reg < 0 {
		return msg
	}
	kind, name := objName(fn.Proto, pc, reg)
	if kind == "" {
		return msg
	}
	return m[1] + "attempt to " + m[2] + " " + kind + " '" + name + "' (a " + m[3] + " value)"
}

// framePC reads the frame's program counter, which gopher-lua keeps in an unexported field.
func framePC(dbg *lua.Debug) (int, bool) {
	f := reflect.ValueOf(dbg).Elem().FieldByName("frame")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return 0, false
	}
	pc := f.Elem().FieldByName("Pc")
	if !pc.IsValid() || pc.Kind() != reflect.Int {
		return 0, false
	}
	return int(pc.Int()), true
}

// objName is Lua 5.1's getobjname: what register reg holds at instruction pc.
func objName(p *lua.FunctionProto, pc, reg int) (kind, name string) {
	if n := localName(p, reg+1, pc); n != "" {
		return "local", n
	}
	last := lastSetter(p, pc, reg)
	if last < 0 {
		return "", ""
	}
	inst := p.Code[last]
	switch opCode(inst) {
	case lua.OP_GETGLOBAL:
		if s, ok := constString(p, argBx(inst)); ok {
			return "global", s
		}
	case lua.OP_MOVE:
		if b := argB(inst); b < argA(inst) {
			return objName(p, pc, b)
		}
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return "field", kname(p, argC(inst))
	case lua.OP_GETUPVAL:
		if b := argB(inst); b < len(p.DbgUpvalues) {
			return "upvalue", p.DbgUpvalues[b]
		}
	case lua.OP_SELF:
		return "method", kname(p, argC(inst))
	}
	return "", ""
}

// kname is Lua 5.1's: a constant string key's text, else "?".
func kname(p *lua.FunctionProto, rk int) string {
	if s, ok := rkString(p, rk); ok {
		return s
	}
	return "?"
}

// localName is luaF_getlocalname: the n-th local active at pc.
func localName(p *lua.FunctionProto, n, pc int) string {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc <= l.EndPc {
			n--
			if n == 0 {
				return l.Name
			}
		}
	}
	return ""
}

// lastSetter is symbexec's answer: the last instruction before pc that set reg, following
// forward jumps that do not pass pc.
func lastSetter(p *lua.FunctionProto, lastpc, reg int) int {
	last := -1
	for pc := 0; pc < lastpc; pc++ {
		inst := p.Code[pc]
		a := argA(inst)
		switch op := opCode(inst); op {
		case lua.OP_JMP:
			if dest := pc + 1 + argSbx(inst); pc < dest && dest <= lastpc {
				pc = dest - 1
			}
		case lua.OP_LOADNIL:
			if a <= reg && reg <= argB(inst) {
				last = pc
			}
		case lua.OP_SELF:
			if reg == a || reg == a+1 {
				last = pc
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case lua.OP_FORLOOP, lua.OP_FORPREP:
			if a <= reg && reg <= a+3 {
				last = pc
			}
		case lua.OP_VARARG:
			if b := argB(inst); reg >= a && (b == 0 || reg <= a+b-2) {
				last = pc
			}
		case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL,
			lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_NEWTABLE, lua.OP_ADD, lua.OP_SUB, lua.OP_MUL,
			lua.OP_DIV, lua.OP_MOD, lua.OP_POW, lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_CONCAT,
			lua.OP_TESTSET, lua.OP_CLOSURE:
			if reg == a {
				last = pc
			}
		}
	}
	return last
}

func constString(p *lua.FunctionProto, k int) (string, bool) {
	if k < 0 || k >= len(p.Constants) {
		return "", false
	}
	s, ok := p.Constants[k].(lua.LString)
	return string(s), ok
}

func rkString(p *lua.FunctionProto, rk int) (string, bool) {
	if !isK(rk) {
		return "", false
	}
	return constString(p, rk&^(1<<8))
}

// Instruction fields, as gopher-lua encodes them (opcode.go).
func opCode(i uint32) int { return int(i >> 26) }
func argA(i uint32) int   { return int(i>>18) & 0xff }
func argB(i uint32) int   { return int(i & 0x1ff) }
func argC(i uint32) int   { return int(i>>9) & 0x1ff }
func argBx(i uint32) int  { return int(i & 0x3ffff) }
func argSbx(i uint32) int { return argBx(i) - 0x3ffff>>1 }
func isK(rk int) bool     { return rk&(1<<8) != 0 }
