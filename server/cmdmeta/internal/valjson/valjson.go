// Package valjson stores resp.Value trees as JSON without losing their RESP3 types, so the
// captured COMMAND replies can live in the repo as a readable, diffable file.
//
// Encoding: a bulk string is a JSON string, an integer a JSON number, a null is null and an
// array a JSON array. The other kinds are one-key objects naming the RESP3 type byte:
// {"+":"simple"}, {"-":"ERR error"}, {"%":[k1,v1,k2,v2]}, {"~":[...]}, {",":"1.5"},
// {"#":true}, {"=":"verbatim"}.
package valjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/slotdb/slotdb/server/resp"
)

// Marshal encodes v compactly.
func Marshal(v resp.Value) ([]byte, error) {
	var b bytes.Buffer
	if err := encode(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v resp.Value) error {
	var bad error
	str := func(s string) {
		if !utf8.ValidString(s) {
			// encoding/json would silently replace the bytes.
			bad = fmt.Errorf("valjson: string %q is not valid UTF-8", s)
		}
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	list := func(es []resp.Value) error {
		b.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encode(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	tagged := func(tag string) { b.WriteString(`{"` + tag + `":`) }
	switch v.Kind {
	case resp.KindBulk:
		str(v.Str)
	case resp.KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.KindNull:
		b.WriteString("null")
	case resp.KindArray:
		return list(v.Elems)
	case resp.KindSimple:
		tagged("+")
		str(v.Str)
		b.WriteByte('}')
	case resp.KindError:
		tagged("-")
		str(v.Str)
		b.WriteByte('}')
	case resp.KindVerbatim:
		tagged("=")
		str(v.Str)
		b.WriteByte('}')
	case resp.KindDouble:
		tagged(",")
		str(strconv.FormatFloat(v.Float, 'g', -1, 64))
		b.WriteByte('}')
	case resp.KindBool:
		tagged("#")
		b.WriteString(strconv.FormatBool(v.Int != 0))
		b.WriteByte('}')
	case resp.KindMap, resp.KindSet:
		if v.Kind == resp.KindMap {
			if len(v.Elems)%2 != 0 {
				return fmt.Errorf("valjson: map with odd element count %d", len(v.Elems))
			}
			tagged("%")
		} else {
			tagged("~")
		}
		if err := list(v.Elems); err != nil {
			return err
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("valjson: unknown kind %d", v.Kind)
	}
	return bad
}

// Unmarshal decodes what Marshal produced. It is a small hand-written scanner rather than
// encoding/json into interface values, which was ten times slower on the embedded table.
func Unmarshal(data []byte) (resp.Value, error) {
	d := decoder{b: data}
	v, err := d.value(0)
	if err != nil {
		return resp.Value{}, err
	}
	d.space()
	if d.i != len(d.b) {
		return resp.Value{}, d.errf("trailing data")
	}
	return v, nil
}

// maxDepth bounds recursion on hostile input.
const maxDepth = 64

type decoder struct {
	b []byte
	i int
}

func (d *decoder) errf(format string, args ...any) error {
	return fmt.Errorf("valjson: offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) lit(s string) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		d.i += len(s)
		return true
	}
	return false
}

func (d *decoder) value(depth int) (resp.Value, error) {
	if depth > maxDepth {
		return resp.Value{}, d.errf("nested too deep")
	}
	d.space()
	if d.i >= len(d.b) {
		return resp.Value{}, d.errf("unexpected end")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		s, err := d.str()
		return resp.Value{Kind: resp.KindBulk, Str: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i + 1
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(string(d.b[d.i:j]), 10, 64)
		if err != nil {
			return resp.Value{}, d.errf("bad integer")
		}
		d.i = j
		return resp.Value{Kind: resp.KindInt, Int: n}, nil
	case c == 'n':
		if d.lit("null") {
			return resp.Value{Kind: resp.KindNull}, nil
		}
	case c == '[':
		d.i++
		es, err := d.list(depth)
		return resp.Value{Kind: resp.KindArray, Elems: es}, err
	case c == '{':
		d.i++
		return d.tagged(depth)
	}
	return resp.Value{}, d.errf("unexpected %q", d.b[d.i])
}

// list reads elements up to the closing bracket (the opening one is consumed).
func (d *decoder) list(depth int) ([]resp.Value, error) {
	es := []resp.Value{}
	d.space()
	if d.lit("]") {
		return es, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		es = append(es, v)
		d.space()
		if d.lit("]") {
			return es, nil
		}
		if !d.lit(",") {
			return nil, d.errf("expected , or ]")
		}
	}
}

func (d *decoder) tagged(depth int) (resp.Value, error) {
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return resp.Value{}, d.errf("expected tag")
	}
	tag, err := d.str()
	if err != nil {
		return resp.Value{}, err
	}
	d.space()
	if !d.lit(":") {
		return resp.Value{}, d.errf("expected :")
	}
	d.space()
	var v resp.Value
	switch tag {
	case "+", "-", "=", ",":
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return resp.Value{}, d.errf("%q needs a string", tag)
		}
		s, err := d.str()
		if err != nil {
			return resp.Value{}, err
		}
		switch tag {
		case "+":
			v = resp.Value{Kind: resp.KindSimple, Str: s}
		case "-":
			v = resp.Value{Kind: resp.KindError, Str: s}
		case "=":
			v = resp.Value{Kind: resp.KindVerbatim, Str: s}
		default:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return resp.Value{}, d.errf("bad double %q", s)
			}
			v = resp.Value{Kind: resp.KindDouble, Float: f}
		}
	case "#":
		switch {
		case d.lit("true"):
			v = resp.Value{Kind: resp.KindBool, Int: 1}
		case d.lit("false"):
			v = resp.Value{Kind: resp.KindBool}
		default:
			return resp.Value{}, d.errf("%q needs a bool", tag)
		}
	case "%", "~":
		if !d.lit("[") {
			return resp.Value{}, d.errf("%q needs a list", tag)
		}
		es, err := d.list(depth)
		if err != nil {
			return resp.Value{}, err
		}
		v = resp.Value{Kind: resp.KindSet, Elems: es}
		if tag == "%" {
			if len(es)%2 != 0 {
				return resp.Value{}, d.errf("map with odd element count %d", len(es))
			}
			v.Kind = resp.KindMap
		}
	default:
		return resp.Value{}, d.errf("unknown tag %q", tag)
	}
	d.space()
	if !d.lit("}") {
		return resp.Value{}, d.errf("expected }")
	}
	return v, nil
}

// str reads a JSON string; only strings with escapes go through encoding/json.
func (d *decoder) str() (string, error) {
	start := d.i
	escaped := false
	for j := start + 1; j < len(d.b); j++ {
		switch d.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			d.i = j + 1
			if !escaped {
				return string(d.b[start+1 : j]), nil
			}
			var s string
			if err := json.Unmarshal(d.b[start:j+1], &s); err != nil {
				d.i = start
				return "", d.errf("bad string: %v", err)
			}
			return s, nil
		}
	}
	return "", d.errf("unterminated string")
}
