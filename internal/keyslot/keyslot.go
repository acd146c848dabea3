// Package keyslot maps keys to Redis Cluster hash slots (CRC16/XMODEM mod 16384, with hash tags).
package keyslot

// Slots is the number of hash slots in a Redis Cluster.
const Slots = 16384

var table [256]uint16

func init() {
	for i := range table {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		table[i] = crc
	}
}

// CRC16 is the CRC16/XMODEM checksum Redis uses for slots (cluster.c keyHashSlot).
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ table[byte(crc>>8)^c]
	}
	return crc
}

// Of returns the hash slot of key. Only the part inside the first {...} is hashed when that part
// is non-empty, as in Redis.
func Of(key []byte) uint16 {
	for i, c := range key {
		if c == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						break
					}
					return CRC16(key[i+1:j]) & (Slots - 1)
				}
			}
			break
		}
	}
	return CRC16(key) & (Slots - 1)
}
