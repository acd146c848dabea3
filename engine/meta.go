package engine

import (
	"encoding/binary"
	"errors"
)

// Type is a key's data type, as TYPE reports it.
type Type byte

const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

func (t Type) String() string {
	return [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}[t]
}

// Meta flags.
const (
	// FlagRaw marks a string that Redis would hold as "raw" whatever its length (it was grown
	// in place by APPEND, SETRANGE, SETBIT...).
	FlagRaw = 1 << iota
	// FlagConverted marks a collection that left its compact encoding (a listpack hash, an
	// intset set): Redis never converts back, whatever the collection shrinks to.
	FlagConverted
	// FlagNotInt marks a string Redis created without trying the integer encoding
	// (INCRBYFLOAT's result is "embstr" even when it looks like an integer).
	FlagNotInt
)

// Meta is a key's metadata record, decoded. Values handed out by the engine are immutable:
// copy before changing.
type Meta struct {
	Type     Type
	Flags    byte
	ExpireAt int64 // unix ms; 0 = persistent
	// Strings keep their value inline.
	Value []byte
	// Collections: a version that prefixes their element records, and their size.
	Version uint64
	Count   int64
	Extra   []byte // type-specific header (list head/tail, stream ids, ...)
	// acc is the key's access stamp (access.go), in memory only and never encoded: shared by
	// the Metas of successive versions of one key, so that an overwrite keeps it as Redis's
	// dbSetValue keeps the LFU counter. Nil on Metas not handed out by the cache.
	acc *accessStamp
}

// Expired reports whether the key is logically gone at now (unix ms).
func (m *Meta) Expired(now int64) bool { return m.ExpireAt != 0 && m.ExpireAt <= now }

// Layout: type(1) flags(1) expireAt(8) then for strings the value, for collections
// version(8) count(8) extra.
func (m *Meta) encode() []byte {
	if m.Type == TypeString {
		b := make([]byte, 10+len(m.Value))
		b[0], b[1] = byte(m.Type), m.Flags
		binary.BigEndian.PutUint64(b[2:], uint64(m.ExpireAt))
		copy(b[10:], m.Value)
		return b
	}
	b := make([]byte, 26+len(m.Extra))
	b[0], b[1] = byte(m.Type), m.Flags
	binary.BigEndian.PutUint64(b[2:], uint64(m.ExpireAt))
	binary.BigEndian.PutUint64(b[10:], m.Version)
	binary.BigEndian.PutUint64(b[18:], uint64(m.Count))
	copy(b[26:], m.Extra)
	return b
}

var errCorruptMeta = errors.New("engine: corrupt metadata record")

func decodeMeta(b []byte) (*Meta, error) {
	if len(b) < 10 || b[0] == 0 || b[0] > byte(TypeStream) {
		return nil, errCorruptMeta
	}
	m := &Meta{Type: Type(b[0]), Flags: b[1], ExpireAt: int64(binary.BigEndian.Uint64(b[2:]))}
	if m.Type == TypeString {
		m.Value = append([]byte(nil), b[10:]...)
		return m, nil
	}
	if len(b) < 26 {
		return nil, errCorruptMeta
	}
	m.Version = binary.BigEndian.Uint64(b[10:])
	m.Count = int64(binary.BigEndian.Uint64(b[18:]))
	if len(b) > 26 {
		m.Extra = append([]byte(nil), b[26:]...)
	}
	return m, nil
}

// size approximates the memory a cached Meta holds.
func (m *Meta) size() int { return 64 + len(m.Value) + len(m.Extra) }
