package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// parseIntset decodes an intset blob, checking width, size and that members
// are strictly increasing.
func parseIntset(b []byte) ([]int64, error) {
	if len(b) < 8 {
		return nil, errors.New("intset too short")
	}
	w := uint64(binary.LittleEndian.Uint32(b))
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if w != 2 && w != 4 && w != 8 {
		return nil, fmt.Errorf("intset: invalid encoding %d", w)
	}
	if 8+n*w != uint64(len(b)) {
		return nil, fmt.Errorf("intset: %d members of %d bytes do not fill %d bytes", n, w, len(b))
	}
	out := make([]int64, n)
	for i := range out {
		p := b[8+uint64(i)*w:]
		switch w {
		case 2:
			out[i] = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			out[i] = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			out[i] = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && out[i] <= out[i-1] {
			return nil, errors.New("intset: members not strictly increasing")
		}
	}
	return out, nil
}
