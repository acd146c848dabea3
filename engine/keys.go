package engine

import (
	"encoding/binary"
	"math"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// Record tags, the byte after db|slot (design.md "Key encoding").
const (
	tagMeta   = 'm' // one per user key: type, expiry, inline string value or collection header
	tagElem   = 'e' // collection element
	tagScore  = 'z' // sorted-set score index
	tagExpire = 'x' // expiry index: expire-at ms, user key
)

// localPrefix starts node-local records (counters, db map, markers). No user db uses it.
const localPrefix = 0xFF

// MaxDatabases is bounded by the one-byte db prefix, less the node-local byte.
const MaxDatabases = 255

// Node-local record kinds, after localPrefix.
const (
	localCounter = 'c' // db | slot -> key and volatile-key counters (merge operands)
	localDBMap   = 'd' // logical -> physical db map (SWAPDB)
	localMarker  = 'k' // named markers (loaded files, replication state)
)

func slotPrefix(db byte, slot uint16, tag byte) []byte {
	return []byte{db, byte(slot >> 8), byte(slot), tag}
}

// metaKey is db|slot|m|key.
func metaKey(db byte, slot uint16, key []byte) []byte {
	b := make([]byte, 4+len(key))
	b[0], b[1], b[2], b[3] = db, byte(slot>>8), byte(slot), tagMeta
	copy(b[4:], key)
	return b
}

// expireKey is db|slot|x|at(8)|key: ordered by time within a slot.
func expireKey(db byte, slot uint16, at int64, key []byte) []byte {
	b := make([]byte, 12+len(key))
	b[0], b[1], b[2], b[3] = db, byte(slot>>8), byte(slot), tagExpire
	binary.BigEndian.PutUint64(b[4:], uint64(at))
	copy(b[12:], key)
	return b
}

// elemPrefix is db|slot|tag|len(key)|key|version: the range of one collection's records.
func elemPrefix(db byte, slot uint16, tag byte, key []byte, version uint64) []byte {
	b := make([]byte, 4+4+len(key)+8)
	b[0], b[1], b[2], b[3] = db, byte(slot>>8), byte(slot), tag
	binary.BigEndian.PutUint32(b[4:], uint32(len(key)))
	copy(b[8:], key)
	binary.BigEndian.PutUint64(b[8+len(key):], version)
	return b
}

func counterKey(db byte, slot uint16) []byte {
	return []byte{localPrefix, localCounter, db, byte(slot >> 8), byte(slot)}
}

// prefixEnd returns the smallest key greater than every key starting with p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xFF: no upper bound
}

// EncodeScore maps a float64 to 8 bytes whose byte order is the numeric order.
func EncodeScore(f float64) [8]byte {
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], u)
	return b
}

// DecodeScore inverts EncodeScore.
func DecodeScore(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}

// Slot is the hash slot of a key.
func Slot(key []byte) uint16 { return keyslot.Of(key) }
