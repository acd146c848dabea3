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
	str := func(s string) {
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
	return nil
}

// Unmarshal decodes what Marshal produced.
func Unmarshal(data []byte) (resp.Value, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return resp.Value{}, fmt.Errorf("valjson: %w", err)
	}
	return FromAny(raw)
}

// FromAny converts a value decoded by encoding/json (with UseNumber) into a resp.Value.
func FromAny(raw any) (resp.Value, error) {
	switch x := raw.(type) {
	case nil:
		return resp.Value{Kind: resp.KindNull}, nil
	case string:
		return resp.Value{Kind: resp.KindBulk, Str: x}, nil
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return resp.Value{}, fmt.Errorf("valjson: bad integer %q", x)
		}
		return resp.Value{Kind: resp.KindInt, Int: n}, nil
	case []any:
		es, err := fromList(x)
		return resp.Value{Kind: resp.KindArray, Elems: es}, err
	case map[string]any:
		if len(x) != 1 {
			return resp.Value{}, fmt.Errorf("valjson: tagged object with %d keys", len(x))
		}
		for tag, body := range x {
			return fromTagged(tag, body)
		}
	}
	return resp.Value{}, fmt.Errorf("valjson: unexpected JSON %T", raw)
}

func fromTagged(tag string, body any) (resp.Value, error) {
	s, isStr := body.(string)
	switch tag {
	case "+", "-", "=", ",":
		if !isStr {
			return resp.Value{}, fmt.Errorf("valjson: %q needs a string", tag)
		}
		switch tag {
		case "+":
			return resp.Value{Kind: resp.KindSimple, Str: s}, nil
		case "-":
			return resp.Value{Kind: resp.KindError, Str: s}, nil
		case "=":
			return resp.Value{Kind: resp.KindVerbatim, Str: s}, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return resp.Value{}, fmt.Errorf("valjson: bad double %q", s)
		}
		return resp.Value{Kind: resp.KindDouble, Float: f}, nil
	case "#":
		b, ok := body.(bool)
		if !ok {
			return resp.Value{}, fmt.Errorf("valjson: %q needs a bool", tag)
		}
		v := resp.Value{Kind: resp.KindBool}
		if b {
			v.Int = 1
		}
		return v, nil
	case "%", "~":
		l, ok := body.([]any)
		if !ok {
			return resp.Value{}, fmt.Errorf("valjson: %q needs a list", tag)
		}
		es, err := fromList(l)
		if err != nil {
			return resp.Value{}, err
		}
		if tag == "%" {
			if len(es)%2 != 0 {
				return resp.Value{}, fmt.Errorf("valjson: map with odd element count %d", len(es))
			}
			return resp.Value{Kind: resp.KindMap, Elems: es}, nil
		}
		return resp.Value{Kind: resp.KindSet, Elems: es}, nil
	}
	return resp.Value{}, fmt.Errorf("valjson: unknown tag %q", tag)
}

func fromList(l []any) ([]resp.Value, error) {
	es := make([]resp.Value, len(l))
	for i, e := range l {
		v, err := FromAny(e)
		if err != nil {
			return nil, err
		}
		es[i] = v
	}
	return es, nil
}
