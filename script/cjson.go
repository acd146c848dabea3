package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library (lua-cjson 2.1.0 as bundled with Redis): numbers as "%.14g", '/'
// escaped, sparse arrays over ratio 2 and safe 10 refused, depth 1000 both ways.

type cjsonConfig struct {
	sparseConvert bool
	sparseRatio   int
	sparseSafe    int
	encodeDepth   int
	decodeDepth   int
	precision     int
	encodeInvalid int // 0 off, 1 on, 2 null
	decodeInvalid bool
	keepBuffer    bool
}

var char2escape = func() [256]string {
	var t [256]string
	const hex = "0123456789abcdef"
	for i := 0; i < 0x20; i++ {
		t[i] = `\u00` + string(hex[i>>4]) + string(hex[i&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'], t[0x7f] = `\"`, `\\`, `\/`, `\u007f`
	return t
}()

func openCjson(L *lua.LState) int {
	cfg := &cjsonConfig{sparseRatio: 2, sparseSafe: 10, encodeDepth: 1000, decodeDepth: 1000, precision: 14, decodeInvalid: true, keepBuffer: true}
	null := L.NewUserData()
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "?", "expected 1 argument")
		}
		e := cjsonEncoder{L: L, cfg: cfg, null: null}
		e.value(L.Get(1), 0)
		L.Push(lua.LString(e.b))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "?", "expected 1 argument")
		}
		d := cjsonDecoder{L: L, cfg: cfg, null: null, s: L.CheckString(1)}
		L.Push(d.decode())
		return 1
	}))
	intOpt := func(p *int, min, max int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				n := L.CheckInt(1)
				if n < min || n > max {
					L.ArgError(1, "expected integer between "+strconv.Itoa(min)+" and "+strconv.Itoa(max))
				}
				*p = n
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	t.RawSetString("encode_max_depth", L.NewFunction(intOpt(&cfg.encodeDepth, 1, math.MaxInt32)))
	t.RawSetString("decode_max_depth", L.NewFunction(intOpt(&cfg.decodeDepth, 1, math.MaxInt32)))
	t.RawSetString("encode_number_precision", L.NewFunction(intOpt(&cfg.precision, 1, 14)))
	t.RawSetString("encode_sparse_array", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			cfg.sparseConvert = L.ToBool(1)
		}
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			cfg.sparseRatio = L.CheckInt(2)
		}
		if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
			cfg.sparseSafe = L.CheckInt(3)
		}
		L.Push(lua.LBool(cfg.sparseConvert))
		L.Push(lua.LNumber(cfg.sparseRatio))
		L.Push(lua.LNumber(cfg.sparseSafe))
		return 3
	}))
	t.RawSetString("encode_keep_buffer", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			cfg.keepBuffer = L.ToBool(1)
		}
		L.Push(lua.LBool(cfg.keepBuffer))
		return 1
	}))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			if s, ok := L.Get(1).(lua.LString); ok && s == "null" {
				cfg.encodeInvalid = 2
			} else if L.ToBool(1) {
				cfg.encodeInvalid = 1
			} else {
				cfg.encodeInvalid = 0
			}
		}
		switch cfg.encodeInvalid {
		case 2:
			L.Push(lua.LString("null"))
		default:
			L.Push(lua.LBool(cfg.encodeInvalid == 1))
		}
		return 1
	}))
	t.RawSetString("decode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			cfg.decodeInvalid = L.ToBool(1)
		}
		L.Push(lua.LBool(cfg.decodeInvalid))
		return 1
	}))
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	L.SetGlobal("cjson", t)
	L.Push(t)
	return 1
}

type cjsonEncoder struct {
	L    *lua.LState
	cfg  *cjsonConfig
	null *lua.LUserData
	b    []byte
}

func (e *cjsonEncoder) fail(v lua.LValue, reason string) {
	e.L.RaiseError("Cannot serialise %s: %s", v.Type().String(), reason)
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		e.str(string(v))
	case lua.LNumber:
		e.number(v)
	case lua.LBool:
		if v {
			e.b = append(e.b, "true"...)
		} else {
			e.b = append(e.b, "false"...)
		}
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeDepth {
			e.L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(v); n > 0 {
			e.b = append(e.b, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					e.b = append(e.b, ',')
				}
				e.value(v.RawGetInt(i), depth)
			}
			e.b = append(e.b, ']')
			return
		}
		e.b = append(e.b, '{')
		first := true
		v.ForEach(func(k, val lua.LValue) {
			if !first {
				e.b = append(e.b, ',')
			}
			first = false
			switch k := k.(type) {
			case lua.LNumber:
				e.b = append(e.b, '"')
				e.number(k)
				e.b = append(e.b, '"', ':')
			case lua.LString:
				e.str(string(k))
				e.b = append(e.b, ':')
			default:
				e.fail(k, "table key must be a number or string")
			}
			e.value(val, depth)
		})
		e.b = append(e.b, '}')
	default:
		if v == lua.LNil || v == e.null {
			e.b = append(e.b, "null"...)
			return
		}
		e.fail(v, "type not supported")
	}
}

func (e *cjsonEncoder) number(n lua.LNumber) {
	f := float64(n)
	if math.IsInf(f, 0) || f != f {
		switch e.cfg.encodeInvalid {
		case 0:
			e.fail(n, "must not be NaN or Inf")
		case 2:
			e.b = append(e.b, "null"...)
			return
		}
	}
	e.b = append(e.b, strconv.FormatFloat(f, 'g', e.cfg.precision, 64)...)
}

func (e *cjsonEncoder) str(s string) {
	e.b = append(e.b, '"')
	for i := 0; i < len(s); i++ {
		if esc := char2escape[s[i]]; esc != "" {
			e.b = append(e.b, esc...)
		} else {
			e.b = append(e.b, s[i])
		}
	}
	e.b = append(e.b, '"')
}

// arrayLength is lua_array_length: the largest key when every key is an integer >= 1, -1
// otherwise (or for a sparse array when conversion is on).
func (e *cjsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0, 0
	array := true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
			array = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !array {
		return -1
	}
	if e.cfg.sparseRatio > 0 && max > items*e.cfg.sparseRatio && max > e.cfg.sparseSafe {
		if !e.cfg.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

type cjsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	null  *lua.LUserData
	s     string
	pos   int
	depth int
}

type jsonToken struct {
	kind  string // T_OBJ_BEGIN ...
	index int
	val   lua.LValue
	err   string
}

func (d *cjsonDecoder) fail(exp string, t jsonToken) {
	found := t.kind
	if t.kind == "T_ERROR" {
		found = t.err
	}
	d.L.RaiseError("Expected %s but found %s at character %d", exp, found, t.index+1)
}

func (d *cjsonDecoder) decode() lua.LValue {
	t := d.next()
	v := d.value(t)
	t = d.next()
	if t.kind != "T_END" {
		d.fail("the end", t)
	}
	return v
}

func (d *cjsonDecoder) next() jsonToken {
	for d.pos < len(d.s) {
		c := d.s[d.pos]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		d.pos++
	}
	t := jsonToken{index: d.pos}
	if d.pos >= len(d.s) {
		t.kind = "T_END"
		return t
	}
	c := d.s[d.pos]
	single := map[byte]string{'{': "T_OBJ_BEGIN", '}': "T_OBJ_END", '[': "T_ARR_BEGIN", ']': "T_ARR_END", ',': "T_COMMA", ':': "T_COLON"}
	if k, ok := single[c]; ok {
		d.pos++
		t.kind = k
		return t
	}
	switch {
	case c == '"':
		d.string(&t)
	case c == '-' || (c >= '0' && c <= '9') || (d.cfg.decodeInvalid && invalidNumber(d.s[d.pos:])):
		d.number(&t)
	case len(d.s)-d.pos >= 4 && d.s[d.pos:d.pos+4] == "true":
		d.pos += 4
		t.kind, t.val = "T_BOOLEAN", lua.LTrue
	case len(d.s)-d.pos >= 5 && d.s[d.pos:d.pos+5] == "false":
		d.pos += 5
		t.kind, t.val = "T_BOOLEAN", lua.LFalse
	case len(d.s)-d.pos >= 4 && d.s[d.pos:d.pos+4] == "null":
		d.pos += 4
		t.kind, t.val = "T_NULL", d.null
	default:
		t.kind, t.err = "T_ERROR", "invalid token"
	}
	return t
}

// invalidNumber reports an "inf"/"nan" spelling, which decode_invalid_numbers accepts.
func invalidNumber(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "inf") || strings.HasPrefix(l, "nan")
}

func (d *cjsonDecoder) number(t *jsonToken) {
	start := d.pos
	end := start
	for end < len(d.s) {
		c := d.s[end]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
			c == 'x' || c == 'X' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
			c == 'i' || c == 'I' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'y' || c == 'Y' {
			end++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(d.s[start:end], 64)
	if err != nil && f == 0 {
		t.kind, t.err = "T_ERROR", "invalid number"
		return
	}
	d.pos = end
	t.kind, t.val = "T_NUMBER", lua.LNumber(f)
}

func (d *cjsonDecoder) string(t *jsonToken) {
	d.pos++ // opening quote
	var b []byte
	for {
		if d.pos >= len(d.s) {
			t.kind, t.err, t.index = "T_ERROR", "unexpected end of string", d.pos
			return
		}
		c := d.s[d.pos]
		if c == '"' {
			d.pos++
			break
		}
		if c != '\\' {
			b = append(b, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.s) {
			t.kind, t.err, t.index = "T_ERROR", "unexpected end of string", d.pos
			return
		}
		esc := d.s[d.pos+1]
		switch esc {
		case '"', '\\', '/':
			b = append(b, esc)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n := d.unicode(d.pos)
			if n == 0 {
				t.kind, t.err, t.index = "T_ERROR", "invalid unicode escape code", d.pos
				return
			}
			b = utf8.AppendRune(b, r)
			d.pos += n
			continue
		default:
			t.kind, t.err, t.index = "T_ERROR", "invalid escape code", d.pos
			return
		}
		d.pos += 2
	}
	t.kind, t.val = "T_STRING", lua.LString(b)
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	return rune(v), err == nil
}

// unicode decodes \uXXXX (with a surrogate pair) at i; n is the bytes consumed, 0 if bad.
func (d *cjsonDecoder) unicode(i int) (rune, int) {
	r, ok := hex4(d.s[i+2:])
	if !ok {
		return 0, 0
	}
	if r >= 0xd800 && r <= 0xdbff {
		if i+12 > len(d.s) || d.s[i+6] != '\\' || d.s[i+7] != 'u' {
			return 0, 0
		}
		lo, ok := hex4(d.s[i+8:])
		if !ok || lo < 0xdc00 || lo > 0xdfff {
			return 0, 0
		}
		return (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000, 12
	}
	if r >= 0xdc00 && r <= 0xdfff {
		return 0, 0
	}
	return r, 6
}

func (d *cjsonDecoder) descend(t jsonToken) {
	d.depth++
	if d.depth > d.cfg.decodeDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, t.index+1)
	}
}

func (d *cjsonDecoder) value(t jsonToken) lua.LValue {
	switch t.kind {
	case "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL":
		return t.val
	case "T_OBJ_BEGIN":
		d.descend(t)
		tb := d.L.NewTable()
		t = d.next()
		if t.kind == "T_OBJ_END" {
			d.depth--
			return tb
		}
		for {
			if t.kind != "T_STRING" {
				d.fail("object key string", t)
			}
			key := t.val
			t = d.next()
			if t.kind != "T_COLON" {
				d.fail("colon", t)
			}
			tb.RawSet(key, d.value(d.next()))
			t = d.next()
			if t.kind == "T_OBJ_END" {
				break
			}
			if t.kind != "T_COMMA" {
				d.fail("comma or object end", t)
			}
			t = d.next()
		}
		d.depth--
		return tb
	case "T_ARR_BEGIN":
		d.descend(t)
		tb := d.L.NewTable()
		t = d.next()
		if t.kind == "T_ARR_END" {
			d.depth--
			return tb
		}
		for i := 1; ; i++ {
			tb.RawSetInt(i, d.value(t))
			t = d.next()
			if t.kind == "T_ARR_END" {
				break
			}
			if t.kind != "T_COMMA" {
				d.fail("comma or array end", t)
			}
			t = d.next()
		}
		d.depth--
		return tb
	}
	d.fail("value", t)
	return lua.LNil
}
