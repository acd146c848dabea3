package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// lpEntry is one listpack or ziplist element: a string or an integer.
type lpEntry struct {
	s     []byte
	i     int64
	isInt bool
}

// bytes renders the element as Redis returns it (integers as decimal text).
func (e lpEntry) bytes() []byte {
	if e.isInt {
		return strconv.AppendInt(nil, e.i, 10)
	}
	return e.s
}

// int returns the element as an integer, also from its text form.
func (e lpEntry) int() (int64, bool) {
	if e.isInt {
		return e.i, true
	}
	return parseCanonicalInt(e.s)
}

// lpBacklenSize is the number of bytes Redis uses for the backlen of an
// entry of size l; the thresholds are deliberately strict (16383 -> 3).
func lpBacklenSize(l uint64) uint64 {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// parseListpack decodes and fully validates a listpack blob.
func parseListpack(b []byte) ([]lpEntry, error) {
	if len(b) < 7 {
		return nil, errors.New("listpack too short")
	}
	if binary.LittleEndian.Uint32(b) != uint32(len(b)) || uint64(len(b)) > 1<<32-1 {
		return nil, fmt.Errorf("listpack header size %d does not match blob size %d", binary.LittleEndian.Uint32(b), len(b))
	}
	if b[len(b)-1] != 0xFF {
		return nil, errors.New("listpack does not end with 0xFF")
	}
	num := int(binary.LittleEndian.Uint16(b[4:]))
	end := uint64(len(b) - 1)
	var out []lpEntry
	if num != 65535 {
		out = make([]lpEntry, 0, min(num, len(b)/2))
	}
	p := uint64(6)
	for p < end {
		b0 := b[p]
		var e lpEntry
		var size uint64 // encoding + data
		need := func(n uint64) error {
			if p+n > end {
				return fmt.Errorf("listpack entry at %d crosses the end", p)
			}
			return nil
		}
		switch {
		case b0&0x80 == 0:
			e, size = lpEntry{i: int64(b0), isInt: true}, 1
		case b0&0xC0 == 0x80:
			size = 1 + uint64(b0&0x3f)
			if err := need(size); err != nil {
				return nil, err
			}
			e.s = b[p+1 : p+size]
		case b0&0xE0 == 0xC0:
			size = 2
			if err := need(size); err != nil {
				return nil, err
			}
			u := int64(b0&0x1f)<<8 | int64(b[p+1])
			if u >= 4096 {
				u -= 8192
			}
			e = lpEntry{i: u, isInt: true}
		case b0&0xF0 == 0xE0:
			if err := need(2); err != nil {
				return nil, err
			}
			size = 2 + (uint64(b0&0x0f)<<8 | uint64(b[p+1]))
			if err := need(size); err != nil {
				return nil, err
			}
			e.s = b[p+2 : p+size]
		case b0 == 0xF0:
			if err := need(5); err != nil {
				return nil, err
			}
			size = 5 + uint64(binary.LittleEndian.Uint32(b[p+1:]))
			if err := need(size); err != nil {
				return nil, err
			}
			e.s = b[p+5 : p+size]
		case b0 >= 0xF1 && b0 <= 0xF4:
			w := [...]uint64{2, 3, 4, 8}[b0-0xF1]
			size = 1 + w
			if err := need(size); err != nil {
				return nil, err
			}
			var u uint64
			for i := w; i > 0; i-- {
				u = u<<8 | uint64(b[p+i])
			}
			shift := 64 - 8*w
			e = lpEntry{i: int64(u<<shift) >> shift, isInt: true}
		default:
			return nil, fmt.Errorf("listpack: invalid entry encoding 0x%02x at %d", b0, p)
		}
		bl := lpBacklenSize(size)
		if err := need(size + bl); err != nil {
			return nil, err
		}
		// Decode the backlen from its last byte leftwards.
		q := p + size + bl - 1
		var v uint64
		var shift uint
		for n := uint64(0); ; n++ {
			if n == bl {
				return nil, fmt.Errorf("listpack: bad backlen at %d", p+size)
			}
			v |= uint64(b[q-n]&0x7f) << shift
			shift += 7
			if b[q-n]&0x80 == 0 {
				if n+1 != bl {
					return nil, fmt.Errorf("listpack: bad backlen at %d", p+size)
				}
				break
			}
		}
		if v != size {
			return nil, fmt.Errorf("listpack: backlen %d does not match entry size %d at %d", v, size, p)
		}
		out = append(out, e)
		p += size + bl
	}
	if num != 65535 && num != len(out) {
		return nil, fmt.Errorf("listpack header count %d, found %d entries", num, len(out))
	}
	return out, nil
}
