package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/slotdb/slotdb/server/resp"
)

// replyReader parses RESP2/RESP3 replies and remembers the raw bytes of the last one, so a
// reply can be stored both as a typed tree and byte for byte.
type replyReader struct {
	br  *bufio.Reader
	raw bytes.Buffer
}

func (r *replyReader) line() (string, error) {
	s, err := r.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	r.raw.WriteString(s)
	if len(s) < 2 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("bad line %q", s)
	}
	return s[:len(s)-2], nil
}

// next reads one whole reply; raw holds exactly its bytes afterwards.
func (r *replyReader) next() (resp.Value, error) {
	r.raw.Reset()
	return r.value()
}

func (r *replyReader) value() (resp.Value, error) {
	l, err := r.line()
	if err != nil {
		return resp.Value{}, err
	}
	if l == "" {
		return resp.Value{}, fmt.Errorf("empty line")
	}
	body := l[1:]
	count := func() (int, error) { return strconv.Atoi(body) }
	switch l[0] {
	case '+':
		return resp.Value{Kind: resp.KindSimple, Str: body}, nil
	case '-':
		return resp.Value{Kind: resp.KindError, Str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return resp.Value{Kind: resp.KindInt, Int: n}, err
	case '_':
		return resp.Value{Kind: resp.KindNull}, nil
	case ',':
		f, err := strconv.ParseFloat(body, 64)
		return resp.Value{Kind: resp.KindDouble, Float: f}, err
	case '#':
		v := resp.Value{Kind: resp.KindBool}
		if body == "t" {
			v.Int = 1
		}
		return v, nil
	case '$', '=':
		n, err := count()
		if err != nil {
			return resp.Value{}, err
		}
		if n < 0 {
			return resp.Value{Kind: resp.KindNull}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return resp.Value{}, err
		}
		r.raw.Write(buf)
		if l[0] == '=' {
			return resp.Value{Kind: resp.KindVerbatim, Str: string(buf[4:n])}, nil
		}
		return resp.Value{Kind: resp.KindBulk, Str: string(buf[:n])}, nil
	case '*', '~', '%':
		n, err := count()
		if err != nil {
			return resp.Value{}, err
		}
		if n < 0 {
			return resp.Value{Kind: resp.KindNull}, nil
		}
		kind := map[byte]resp.Kind{'*': resp.KindArray, '~': resp.KindSet, '%': resp.KindMap}[l[0]]
		if kind == resp.KindMap {
			n *= 2
		}
		v := resp.Value{Kind: kind, Elems: make([]resp.Value, 0, n)}
		for i := 0; i < n; i++ {
			e, err := r.value()
			if err != nil {
				return resp.Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		return v, nil
	}
	return resp.Value{}, fmt.Errorf("unsupported reply type %q", l[0])
}
