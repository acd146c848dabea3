package hll

import "encoding/binary"

// Seed is the MurmurHash64A seed Redis hashes HLL elements with.
const Seed = 0xadc83b19

// MurmurHash64A is Redis's MurmurHash2 64-bit variant (endian neutral: 8-byte blocks are read
// little endian).
func MurmurHash64A(key []byte, seed uint32) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// PatLen returns the register an element hashes to and the length of the 000..1 pattern of
// the remaining hash bits (1..Q+1), as hllPatLen.
func PatLen(ele []byte) (index int, count uint8) {
	hash := MurmurHash64A(ele, Seed)
	index = int(hash & pMask)
	hash >>= P
	hash |= 1 << Q // the loop ends and count stays <= Q+1
	count = 1
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}
