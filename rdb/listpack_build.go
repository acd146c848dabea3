package rdb

import (
	"encoding/binary"
)

// lpBuilder appends entries to a listpack the way Redis's lpAppend does.
type lpBuilder struct {
	b []byte
	n int
}

func newListpack() *lpBuilder {
	return &lpBuilder{b: make([]byte, 6, 64)}
}

// add stores s as an integer when it is canonical int64 text, else as a
// string, like lpAppend.
func (l *lpBuilder) add(s []byte) {
	if v, ok := parseCanonicalInt(s); ok {
		l.addInt(v)
		return
	}
	start := len(l.b)
	n := len(s)
	switch {
	case n < 64:
		l.b = append(l.b, 0x80|byte(n))
	case n < 4096:
		l.b = append(l.b, 0xE0|byte(n>>8), byte(n))
	default:
		l.b = append(l.b, 0xF0)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(n))
	}
	l.b = append(l.b, s...)
	l.backlen(start)
}

func (l *lpBuilder) addInt(v int64) {
	start := len(l.b)
	switch {
	case v >= 0 && v <= 127:
		l.b = append(l.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		l.b = append(l.b, 0xC0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		l.b = append(l.b, 0xF1, byte(v), byte(v>>8))
	case v >= -8388608 && v <= 8388607:
		l.b = append(l.b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -2147483648 && v <= 2147483647:
		l.b = append(l.b, 0xF3)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(v))
	default:
		l.b = append(l.b, 0xF4)
		l.b = binary.LittleEndian.AppendUint64(l.b, uint64(v))
	}
	l.backlen(start)
}

// backlen appends the backlen of the entry starting at start.
func (l *lpBuilder) backlen(start int) {
	size := uint64(len(l.b) - start)
	n := lpBacklenSize(size)
	for i := n; i > 0; i-- {
		b := byte(size>>(7*(i-1))) & 0x7f
		if i != n { // every byte but the most significant one has bit 7 set
			b |= 0x80
		}
		l.b = append(l.b, b)
	}
	l.n++
}

// size is the listpack's size once finished.
func (l *lpBuilder) size() int { return len(l.b) + 1 }

func (l *lpBuilder) finish() []byte {
	l.b = append(l.b, 0xFF)
	binary.LittleEndian.PutUint32(l.b, uint32(len(l.b)))
	n := l.n
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(l.b[4:], uint16(n))
	return l.b
}
