package rdb

import (
	"encoding/binary"
	"hash/crc64"
)

// Redis checksums RDB files and DUMP payloads with the "Jones" CRC-64
// (reflected polynomial 0x95ac9329ac4bc9b5), initial value 0 and no final
// xor. Go's hash/crc64 inverts the register before and after each update,
// and only has a fast path for its own two polynomials (byte at a time below
// 2 KiB for others), so the update is done here, 8 bytes at a time
// (slicing-by-8, as Redis's crcspeed).
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

var crcSlices = func() *[8][256]uint64 {
	t := new([8][256]uint64)
	t[0] = *crcTable
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][byte(crc)] ^ (crc >> 8)
			t[j][i] = crc
		}
	}
	return t
}()

// CRC64 extends crc (0 to start) with p, as Redis's crc64(crc, p, len).
func CRC64(crc uint64, p []byte) uint64 {
	t := crcSlices
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ (crc >> 8)
	}
	return crc
}

// crc64Byte extends crc with one byte; the reader calls it per byte, where
// going through CRC64 would cost a slice header.
func crc64Byte(crc uint64, b byte) uint64 {
	return crcTable[byte(crc)^b] ^ (crc >> 8)
}
