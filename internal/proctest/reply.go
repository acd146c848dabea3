package proctest

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Reply is one parsed reply, kept close to the wire so that Raw re-encodes it to the very bytes
// it was parsed from. Normalizers edit a Reply and compare the re-encoded bytes.
type Reply struct {
	Type  byte     // the RESP type byte: + - : $ * % ~ > _ , # ( ! =
	Str   string   // scalar payload: text, error, number text, bulk content ("txt:" prefix kept for =)
	Null  bool     // $-1, *-1, %-1 (RESP2) or _ (RESP3)
	Elems []*Reply // aggregate elements; maps and attributes hold key, value, key, value ...
	Attr  *Reply   // the attribute map (type |) sent before this reply, if any
}

// ParseReply parses exactly one complete reply; trailing bytes are an error.
func ParseReply(raw []byte) (*Reply, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	got, err := ReadRaw(br)
	if err != nil {
		return nil, err
	}
	if len(got) != len(raw) {
		return nil, fmt.Errorf("resp: %d trailing bytes after the reply at offset %d", len(raw)-len(got), len(got))
	}
	r, _ := build(raw, 0)
	return r, nil
}

// build turns validated raw bytes into a tree, returning the position after the reply.
func build(b []byte, p int) (*Reply, int) {
	end := p + bytes.Index(b[p:], []byte("\r\n"))
	typ, body := b[p], string(b[p+1:end])
	p = end + 2
	r := &Reply{Type: typ}
	switch typ {
	case '$', '!', '=':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			r.Null = true
			return r, p
		}
		r.Str = string(b[p : p+n])
		return r, p + n + 2
	case '*', '%', '~', '>', '|':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			r.Null = true
			return r, p
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		r.Elems = make([]*Reply, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			var e *Reply
			e, p = build(b, p)
			r.Elems = append(r.Elems, e)
		}
		if typ == '|' {
			var next *Reply
			next, p = build(b, p)
			next.Attr = r
			return next, p
		}
		return r, p
	case '_':
		r.Null = true
	}
	r.Str = body
	return r, p
}

// Raw encodes the reply back to RESP bytes.
func (r *Reply) Raw() []byte { return r.appendRaw(nil) }

func (r *Reply) appendRaw(b []byte) []byte {
	if r.Attr != nil {
		a := *r.Attr
		a.Type = '|'
		b = a.appendRaw(b)
	}
	b = append(b, r.Type)
	switch r.Type {
	case '$', '!', '=':
		if r.Null {
			return append(b, "-1\r\n"...)
		}
		b = strconv.AppendInt(b, int64(len(r.Str)), 10)
		b = append(b, "\r\n"...)
		b = append(b, r.Str...)
	case '*', '%', '~', '>', '|':
		if r.Null {
			return append(b, "-1\r\n"...)
		}
		n := len(r.Elems)
		if r.Type == '%' || r.Type == '|' {
			n /= 2
		}
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "\r\n"...)
		for _, e := range r.Elems {
			b = e.appendRaw(b)
		}
		return b
	case '_':
	default:
		b = append(b, r.Str...)
	}
	return append(b, "\r\n"...)
}

// IsAggregate reports whether the reply holds elements.
func (r *Reply) IsAggregate() bool {
	return strings.IndexByte("*%~>|", r.Type) >= 0
}

// Error is an error reply (- or !) as a Go value.
type Error string

func (e Error) Error() string { return string(e) }

// Decode parses one reply into plain Go values; see (*Reply).Value.
func Decode(raw []byte) (any, error) {
	r, err := ParseReply(raw)
	if err != nil {
		return nil, err
	}
	return r.Value(), nil
}

// Value converts the reply to Go values: simple and bulk strings to string (verbatim strings
// without their "txt:" prefix), errors to Error, integers to int64, big numbers to *big.Int,
// doubles to float64, booleans to bool, nulls to nil, arrays, sets and pushes to []any, maps
// to map[string]any (keys formatted with fmt.Sprint). Attributes are dropped.
func (r *Reply) Value() any {
	if r.Null {
		return nil
	}
	switch r.Type {
	case '+', '$':
		return r.Str
	case '=':
		if len(r.Str) >= 4 && r.Str[3] == ':' {
			return r.Str[4:]
		}
		return r.Str
	case '-', '!':
		return Error(r.Str)
	case ':':
		n, _ := strconv.ParseInt(r.Str, 10, 64)
		return n
	case '(':
		n, _ := new(big.Int).SetString(r.Str, 10)
		return n
	case ',':
		switch r.Str {
		case "inf":
			return math.Inf(1)
		case "-inf":
			return math.Inf(-1)
		}
		f, _ := strconv.ParseFloat(r.Str, 64)
		return f
	case '#':
		return r.Str == "t"
	case '%':
		m := make(map[string]any, len(r.Elems)/2)
		for i := 0; i+1 < len(r.Elems); i += 2 {
			m[fmt.Sprint(r.Elems[i].Value())] = r.Elems[i+1].Value()
		}
		return m
	}
	out := make([]any, len(r.Elems))
	for i, e := range r.Elems {
		out[i] = e.Value()
	}
	return out
}
