package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// decoder reads RDB primitives from a byte stream, tracking the offset and
// the running CRC64 of everything consumed.
type decoder struct {
	r   io.Reader
	br  io.ByteReader
	off int64
	crc uint64
	// slab hands out small strings: one allocation per 64 KiB instead of one per string
	// (each string is capped at its length, so appending to one never touches the next).
	slab []byte
}

func (d *decoder) fail(format string, args ...any) {
	panic(failure{&Error{Offset: d.off, Msg: fmt.Sprintf(format, args...)}})
}

func (d *decoder) failAt(off int64, format string, args ...any) {
	panic(failure{&Error{Offset: off, Msg: fmt.Sprintf(format, args...)}})
}

func (d *decoder) ioFail(err error) {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		d.fail("unexpected end of input (short read)")
	}
	d.fail("read error: %v", err)
}

func (d *decoder) byte() byte {
	b, err := d.br.ReadByte()
	if err != nil {
		d.ioFail(err)
	}
	d.off++
	d.crc = crc64Byte(d.crc, b)
	return b
}

// fixed fills p completely.
func (d *decoder) fixed(p []byte) {
	n, err := io.ReadFull(d.r, p)
	d.crc = CRC64(d.crc, p[:n])
	d.off += int64(n)
	if err != nil {
		d.ioFail(err)
	}
}

// bytes reads n bytes. Memory grows with what is actually read, so a
// hostile length fails at end of input instead of allocating it up front.
func (d *decoder) bytes(n uint64) []byte {
	const chunk = 1 << 20
	if n <= 1024 {
		if uint64(len(d.slab)) < n {
			d.slab = make([]byte, 64<<10)
		}
		p := d.slab[:n:n]
		d.slab = d.slab[n:]
		d.fixed(p)
		return p
	}
	if n <= chunk {
		p := make([]byte, n)
		d.fixed(p)
		return p
	}
	var p []byte
	for rem := n; rem > 0; {
		c := min(rem, chunk)
		start := len(p)
		p = append(p, make([]byte, c)...)
		d.fixed(p[start:])
		rem -= c
	}
	return p
}

func (d *decoder) u32le() uint32 {
	var b [4]byte
	d.fixed(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (d *decoder) i64le() int64 {
	var b [8]byte
	d.fixed(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]))
}

// lenOrEnc reads an RDB length; enc reports a special string encoding whose
// number is returned instead of a length.
func (d *decoder) lenOrEnc() (n uint64, enc bool) {
	start := d.off
	b := d.byte()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(d.byte()), false
	case 3:
		return uint64(b & 0x3f), true
	}
	switch b {
	case 0x80:
		var p [4]byte
		d.fixed(p[:])
		return uint64(binary.BigEndian.Uint32(p[:])), false
	case 0x81:
		var p [8]byte
		d.fixed(p[:])
		return binary.BigEndian.Uint64(p[:]), false
	}
	d.failAt(start, "unknown length encoding 0x%02x", b)
	return 0, false
}

func (d *decoder) length() uint64 {
	start := d.off
	n, enc := d.lenOrEnc()
	if enc {
		d.failAt(start, "expected a length, found string encoding %d", n)
	}
	return n
}

// count reads a length used as an element count or size and checks it fits
// in an int.
func (d *decoder) count() int {
	start := d.off
	n := d.length()
	if n > math.MaxInt32 {
		d.failAt(start, "length %d out of range", n)
	}
	return int(n)
}

// str reads an RDB string in any of its encodings.
func (d *decoder) str() []byte {
	start := d.off
	n, enc := d.lenOrEnc()
	if !enc {
		return d.bytes(n)
	}
	switch n {
	case 0:
		return strconv.AppendInt(nil, int64(int8(d.byte())), 10)
	case 1:
		var p [2]byte
		d.fixed(p[:])
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p[:]))), 10)
	case 2:
		return strconv.AppendInt(nil, int64(int32(d.u32le())), 10)
	case 3:
		clen := d.length()
		ulen := d.length()
		// The output of LZF is at most ~132x its input; check before reading.
		if ulen > clen*132+32 {
			d.failAt(start, "LZF string: length %d impossible for %d compressed bytes", ulen, clen)
		}
		c := d.bytes(clen)
		out, err := LZFDecompress(c, int(ulen))
		if err != nil {
			d.failAt(start, "%v", err)
		}
		return out
	}
	d.failAt(start, "unknown RDB string encoding type %d", n)
	return nil
}

// stringDouble reads a type 3 score: a length byte then ASCII text.
func (d *decoder) stringDouble() float64 {
	start := d.off
	n := d.byte()
	switch n {
	case 253:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 255:
		return math.Inf(-1)
	}
	var p [255]byte
	d.fixed(p[:n])
	f, ok := parseScore(p[:n])
	if !ok {
		d.failAt(start, "invalid double %q", p[:n])
	}
	return f
}

func (d *decoder) binaryDouble() float64 {
	var b [8]byte
	d.fixed(b[:])
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
}

// parseScore parses a score the way strtod would for the texts Redis
// writes ("inf", "-inf", "%.17g" output, integers).
func parseScore(p []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true // strtod saturates to ±HUGE_VAL / 0
		}
		return 0, false
	}
	return f, true
}
