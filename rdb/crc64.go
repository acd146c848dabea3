package rdb

import "hash/crc64"

// Redis checksums RDB files and DUMP payloads with the "Jones" CRC-64
// (reflected polynomial 0x95ac9329ac4bc9b5), initial value 0 and no final
// xor. Go's hash/crc64 inverts the register before and after each update,
// so we undo that to get Redis's exact value.
var crcTable = crc64.MakeTable(0x95AC9329AC4BC9B5)

// CRC64 extends crc (0 to start) with p, as Redis's crc64(crc, p, len).
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}

// crc64Byte extends crc with one byte; the reader calls it per byte, where
// going through CRC64 would cost a slice header and two inversions.
func crc64Byte(crc uint64, b byte) uint64 {
	return crcTable[byte(crc)^b] ^ (crc >> 8)
}
