package script

import (
	"bytes"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/slotdb/slotdb/server/resp"
)

// Replies to Lua (redisProtocolToLuaType): integers become numbers, bulk strings strings,
// null bulk and null array false, status {ok=...}, error {err=...}, arrays tables; RESP3
// adds map {map={...}}, set {set={k=true}}, null nil, bool, double {double=n},
// big number {big_number="..."}, verbatim {verbatim_string={format=, string=}}.

// replyToLua converts one raw RESP reply. The reply comes from our own commands, so a
// malformed one is a bug; it converts to nil rather than failing the script.
func replyToLua(L *lua.LState, b []byte) lua.LValue {
	p := replyParser{L: L, b: b}
	return p.value()
}

type replyParser struct {
	L   *lua.LState
	b   []byte
	pos int
}

func (p *replyParser) line() []byte {
	i := bytes.Index(p.b[p.pos:], []byte("\r\n"))
	if i < 0 {
		l := p.b[p.pos:]
		p.pos = len(p.b)
		return l
	}
	l := p.b[p.pos : p.pos+i]
	p.pos += i + 2
	return l
}

func (p *replyParser) bulk(n int) []byte {
	if n < 0 || p.pos+n > len(p.b) {
		p.pos = len(p.b)
		return nil
	}
	s := p.b[p.pos : p.pos+n]
	p.pos += n + 2
	return s
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

func (p *replyParser) value() lua.LValue {
	if p.pos >= len(p.b) {
		return lua.LNil
	}
	L := p.L
	t := p.b[p.pos]
	p.pos++
	l := p.line()
	switch t {
	case ':':
		n, _ := strconv.ParseInt(string(l), 10, 64)
		return lua.LNumber(n)
	case '$':
		n := atoi(l)
		if n < 0 {
			return lua.LFalse
		}
		return lua.LString(p.bulk(n))
	case '+':
		return fieldTable(L, "ok", lua.LString(l))
	case '-':
		return errorReplyTable(L, "-"+string(l))
	case '*':
		n := atoi(l)
		if n < 0 {
			return lua.LFalse
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			t.RawSetInt(i, p.value())
		}
		return t
	case '%':
		n := atoi(l)
		m := L.NewTable()
		for i := 0; i < n; i++ {
			k := p.value()
			v := p.value()
			if k != lua.LNil {
				m.RawSet(k, v)
			}
		}
		return fieldTable(L, "map", m)
	case '~':
		n := atoi(l)
		s := L.NewTable()
		for i := 0; i < n; i++ {
			if k := p.value(); k != lua.LNil {
				s.RawSet(k, lua.LTrue)
			}
		}
		return fieldTable(L, "set", s)
	case '_':
		return lua.LNil
	case '#':
		return lua.LBool(len(l) > 0 && l[0] == 't')
	case ',':
		return fieldTable(L, "double", lua.LNumber(parseDouble(string(l))))
	case '(':
		return fieldTable(L, "big_number", lua.LString(l))
	case '=':
		s := p.bulk(atoi(l))
		v := L.NewTable()
		if len(s) >= 4 {
			v.RawSetString("string", lua.LString(s[4:]))
			v.RawSetString("format", lua.LString(s[:3]))
		}
		return fieldTable(L, "verbatim_string", v)
	case '|': // attributes are skipped, the value after them is the reply
		n := atoi(l)
		for i := 0; i < 2*n; i++ {
			p.value()
		}
		return p.value()
	}
	return lua.LNil
}

func parseDouble(s string) float64 {
	switch s {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func fieldTable(L *lua.LState, field string, v lua.LValue) *lua.LTable {
	t := L.CreateTable(0, 1)
	t.RawSetString(field, v)
	return t
}

// errorReplyTable is luaPushErrorBuff: "-CODE msg" or "msg" becomes {err="CODE msg"}
// (code ERR when there is none), trailing CR/LF trimmed.
func errorReplyTable(L *lua.LState, s string) *lua.LTable {
	code, msg := "ERR", s
	if len(s) > 0 && s[0] == '-' {
		if i := bytes.IndexByte([]byte(s), ' '); i < 0 {
			msg = s[1:]
		} else {
			code, msg = s[1:i], s[i+1:]
		}
	}
	msg = trimCRLF(msg)
	return fieldTable(L, "err", lua.LString(code+" "+msg))
}

// trimCRLF is sdstrim(s, "\r\n"): both ends.
func trimCRLF(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == '\r' || s[i] == '\n') {
		i++
	}
	for j > i && (s[j-1] == '\r' || s[j-1] == '\n') {
		j--
	}
	return s[i:j]
}

// writeReply is luaReplyToRedisReply: the script's return value to the caller's reply.
// scriptProto is the script client's protocol (redis.setresp), which decides how booleans
// convert; w.Proto is the caller's.
func writeReply(w *resp.Writer, v lua.LValue, scriptProto int, depth int) {
	if depth > 1000 {
		w.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.Bulk([]byte(v))
	case lua.LBool:
		if scriptProto == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(luaToInt64(float64(v)))
	case *lua.LTable:
		writeTable(w, v, scriptProto, depth)
	default:
		w.Null()
	}
}

// luaToInt64 is C's (long long) cast of a double as x86-64 does it: out of range and NaN
// give the "integer indefinite" value.
func luaToInt64(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

func writeTable(w *resp.Writer, t *lua.LTable, scriptProto int, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(e))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(mapCRLF(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		n := mapCRLF(string(s))
		if w.Proto == 3 {
			w.Raw([]byte("(" + n + "\r\n"))
		} else {
			w.BulkString(n)
		}
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			if w.Proto == 3 {
				format := string(f) + "   "
				w.Raw([]byte("=" + strconv.Itoa(len(s)+4) + "\r\n" + format[:3] + ":" + string(s) + "\r\n"))
			} else {
				w.Bulk([]byte(s))
			}
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var body resp.Writer
		body.Proto = w.Proto
		n := 0
		m.ForEach(func(k, v lua.LValue) {
			writeReply(&body, k, scriptProto, depth+1)
			writeReply(&body, v, scriptProto, depth+1)
			n++
		})
		w.Map(n)
		w.Raw(body.Buf)
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		var body resp.Writer
		body.Proto = w.Proto
		n := 0
		s.ForEach(func(k, _ lua.LValue) {
			writeReply(&body, k, scriptProto, depth+1)
			n++
		})
		w.Set(n)
		w.Raw(body.Buf)
		return
	}
	var body resp.Writer
	body.Proto = w.Proto
	n := 0
	for i := 1; ; i++ {
		e := t.RawGetInt(i)
		if e == lua.LNil {
			break
		}
		writeReply(&body, e, scriptProto, depth+1)
		n++
	}
	w.Array(n)
	w.Raw(body.Buf)
}

// mapCRLF replaces CR and LF with spaces (sdsmapchars "\r\n" -> "  ").
func mapCRLF(s string) string {
	if !bytes.ContainsAny([]byte(s), "\r\n") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}
