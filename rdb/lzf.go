package rdb

import (
	"errors"
	"sync"
)

// LZF as in liblzf 3.x, the variant Redis compiles (HLOG 16, "very fast").

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

var errLZF = errors.New("invalid LZF compressed string")

// LZFDecompress expands in, which must decode to exactly outLen bytes.
func LZFDecompress(in []byte, outLen int) ([]byte, error) {
	if outLen < 0 {
		return nil, errLZF
	}
	// Each 2-3 input bytes can produce at most 264 output bytes, so a larger
	// claimed length is corrupt; refusing it early bounds the allocation.
	if outLen > len(in)*132+32 {
		return nil, errLZF
	}
	out := make([]byte, 0, outLen)
	ip := 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			n := ctrl + 1
			if ip+n > len(in) || len(out)+n > outLen {
				return nil, errLZF
			}
			out = append(out, in[ip:ip+n]...)
			ip += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return nil, errLZF
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errLZF
		}
		ref := len(out) - ((ctrl&0x1f)<<8 + int(in[ip])) - 1
		ip++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, errLZF
		}
		// Byte by byte: overlapping references encode runs.
		for i := 0; i < n; i++ {
			out = append(out, out[ref+i])
		}
	}
	if len(out) != outLen {
		return nil, errLZF
	}
	return out, nil
}

var lzfTables = sync.Pool{New: func() any { return new([lzfHSize]int32) }}

func lzfIdx(h uint32) uint32 {
	return ((h^(h<<5))>>(3*8-lzfHLog) - h*5) & (lzfHSize - 1)
}

// LZFCompress compresses in into at most maxOut bytes, following liblzf's
// lzf_compress. It returns nil when the output would not fit (Redis then
// stores the string uncompressed).
func LZFCompress(in []byte, maxOut int) []byte {
	if len(in) == 0 || maxOut <= 0 {
		return nil
	}
	htab := lzfTables.Get().(*[lzfHSize]int32)
	defer lzfTables.Put(htab)
	clear(htab[:]) // position 0 is never referenced, so 0 means "empty"

	out := make([]byte, maxOut)
	op, ip, lit := 1, 0, 0 // out[0] is the pending literal-run header
	inEnd := len(in)
	hval := uint32(in[0])<<8 | uint32(safeAt(in, 1))
	for ip < inEnd-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := &htab[lzfIdx(hval)]
		ref := int(*slot)
		*slot = int32(ip)
		off := ip - ref - 1
		if ref > 0 && off >= 0 && off < lzfMaxOff &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			n := 2
			maxLen := inEnd - ip - n
			if maxLen > lzfMaxRef {
				maxLen = lzfMaxRef
			}
			if op+3+1 >= maxOut {
				if op-b2i(lit == 0)+3+1 >= maxOut {
					return nil
				}
			}
			out[op-lit-1] = byte(lit - 1)
			op -= b2i(lit == 0)
			// liblzf's unrolled first 16 steps ignore maxLen (they may match
			// up to the input's end); mirrored for identical output.
			matched := false
			if maxLen > 16 {
				for k := 0; k < 16; k++ {
					n++
					if in[ref+n] != in[ip+n] {
						matched = true
						break
					}
				}
			}
			for !matched {
				n++
				if n >= maxLen || in[ref+n] != in[ip+n] {
					break
				}
			}
			n -= 2
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++
			ip += n + 1
			if ip >= inEnd-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = int32(ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = int32(ip)
			ip++
			continue
		}
		if op >= maxOut {
			return nil
		}
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > maxOut {
		return nil
	}
	for ip < inEnd {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	op -= b2i(lit == 0)
	return out[:op]
}

func safeAt(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
