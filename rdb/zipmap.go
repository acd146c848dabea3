package rdb

import (
	"encoding/binary"
	"errors"
)

// parseZipmap decodes a zipmap blob (Redis ≤ 2.4 hashes).
func parseZipmap(b []byte) ([]Field, error) {
	if len(b) < 2 || b[len(b)-1] != 0xFF {
		return nil, errors.New("zipmap: bad size or end marker")
	}
	errCross := errors.New("zipmap: entry crosses the end")
	end := uint64(len(b) - 1)
	p := uint64(1)
	readLen := func() (uint64, error) {
		if p >= end {
			return 0, errCross
		}
		switch v := b[p]; {
		case v < 254:
			p++
			return uint64(v), nil
		case v == 254:
			if p+5 > end {
				return 0, errCross
			}
			n := uint64(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
			return n, nil
		}
		return 0, errors.New("zipmap: unexpected end marker")
	}
	var out []Field
	for p < end {
		kl, err := readLen()
		if err != nil {
			return nil, err
		}
		if p+kl > end {
			return nil, errCross
		}
		k := b[p : p+kl]
		p += kl
		vl, err := readLen()
		if err != nil {
			return nil, err
		}
		if p >= end {
			return nil, errCross
		}
		free := uint64(b[p])
		p++
		if p+vl+free > end {
			return nil, errCross
		}
		out = append(out, Field{Name: k, Value: b[p : p+vl]})
		p += vl + free
	}
	if b[0] < 254 && int(b[0]) != len(out) {
		return nil, errors.New("zipmap: count does not match entries")
	}
	if len(out) == 0 {
		return nil, errors.New("zipmap: no entries")
	}
	return out, nil
}
