package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// parseZiplist decodes and fully validates a ziplist blob (RDB ≤ 9).
func parseZiplist(b []byte) ([]lpEntry, error) {
	if len(b) < 11 {
		return nil, errors.New("ziplist too short")
	}
	if binary.LittleEndian.Uint32(b) != uint32(len(b)) || uint64(len(b)) > 1<<32-1 {
		return nil, errors.New("ziplist header size does not match blob size")
	}
	if b[len(b)-1] != 0xFF {
		return nil, errors.New("ziplist does not end with 0xFF")
	}
	tail := uint64(binary.LittleEndian.Uint32(b[4:]))
	num := int(binary.LittleEndian.Uint16(b[8:]))
	end := uint64(len(b) - 1)
	var out []lpEntry
	p, prev, last := uint64(10), uint64(0), uint64(10)
	for p < end {
		start := p
		var prevlen uint64
		if b[p] < 254 {
			prevlen = uint64(b[p])
			p++
		} else if b[p] == 254 {
			if p+5 > end {
				return nil, fmt.Errorf("ziplist entry at %d crosses the end", start)
			}
			prevlen = uint64(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
		} else {
			return nil, fmt.Errorf("ziplist: bad prevlen at %d", start)
		}
		if prevlen != prev {
			return nil, fmt.Errorf("ziplist: prevlen %d at %d, previous entry is %d bytes", prevlen, start, prev)
		}
		if p >= end {
			return nil, fmt.Errorf("ziplist entry at %d crosses the end", start)
		}
		b0 := b[p]
		var hdr, data uint64
		var e lpEntry
		isStr := false
		switch b0 >> 6 {
		case 0:
			hdr, data, isStr = 1, uint64(b0&0x3f), true
		case 1:
			if p+2 > end {
				return nil, fmt.Errorf("ziplist entry at %d crosses the end", start)
			}
			hdr, data, isStr = 2, uint64(b0&0x3f)<<8|uint64(b[p+1]), true
		case 2:
			if b0 != 0x80 || p+5 > end {
				return nil, fmt.Errorf("ziplist: bad string header at %d", p)
			}
			hdr, data, isStr = 5, uint64(binary.BigEndian.Uint32(b[p+1:])), true
		default:
			hdr = 1
			switch {
			case b0 == 0xC0:
				data = 2
			case b0 == 0xD0:
				data = 4
			case b0 == 0xE0:
				data = 8
			case b0 == 0xF0:
				data = 3
			case b0 == 0xFE:
				data = 1
			case b0 >= 0xF1 && b0 <= 0xFD:
				e = lpEntry{i: int64(b0&0x0f) - 1, isInt: true}
			default:
				return nil, fmt.Errorf("ziplist: invalid encoding 0x%02x at %d", b0, p)
			}
		}
		if p+hdr+data > end {
			return nil, fmt.Errorf("ziplist entry at %d crosses the end", start)
		}
		d := b[p+hdr : p+hdr+data]
		if isStr {
			e.s = d
		} else if data > 0 {
			var u uint64
			for i := len(d) - 1; i >= 0; i-- {
				u = u<<8 | uint64(d[i])
			}
			shift := 64 - 8*data
			e = lpEntry{i: int64(u<<shift) >> shift, isInt: true}
		}
		p += hdr + data
		out = append(out, e)
		prev, last = p-start, start
	}
	if tail != last {
		return nil, fmt.Errorf("ziplist: tail offset %d, last entry at %d", tail, last)
	}
	if num != 65535 && num != len(out) {
		return nil, fmt.Errorf("ziplist header count %d, found %d entries", num, len(out))
	}
	return out, nil
}
