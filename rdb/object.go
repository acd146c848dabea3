package rdb

import (
	"fmt"
	"strconv"
)

// Kind is the data type of a value, as TYPE reports it.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Object is one decoded value. Only the field matching Kind is set.
// Element order is the order stored in the file; sets and hashes have no
// meaningful order and zset members need not be sorted.
type Object struct {
	Kind Kind
	// Encoding is what OBJECT ENCODING would report after Redis 7.0 loaded
	// the value with default thresholds (e.g. "int", "embstr", "listpack").
	Encoding string
	// RDBType is the object type byte read from the file or payload
	// (informational; the writer picks its own).
	RDBType byte

	Str    []byte
	List   [][]byte
	Set    [][]byte
	Hash   []Field
	ZSet   []ZMember
	Stream *Stream
}

// Field is one hash field.
type Field struct {
	Name, Value []byte
}

// ZMember is one sorted-set member.
type ZMember struct {
	Member []byte
	Score  float64
}

// StreamID is a stream entry ID.
type StreamID struct {
	Ms, Seq uint64
}

func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Stream is a whole stream: live entries plus metadata and consumer groups.
type Stream struct {
	Entries      []StreamEntry
	Length       uint64 // live entries, as stored
	LastID       StreamID
	FirstID      StreamID // recorded first entry ID (derived for type 15)
	MaxDeletedID StreamID
	EntriesAdded uint64
	// Nodes is the number of listpack nodes the value was stored in.
	Nodes  int
	Groups []StreamGroup
}

// StreamEntry is one live stream entry.
type StreamEntry struct {
	ID     StreamID
	Fields []Field
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name   []byte
	LastID StreamID
	// EntriesRead is -1 when unknown (stored as 2^64-1; absent in type 15).
	EntriesRead int64
	Pending     []StreamPending
	Consumers   []StreamConsumer
}

// StreamPending is one entry of a group's pending entries list.
type StreamPending struct {
	ID            StreamID
	Consumer      []byte // owner, from the consumers' PELs
	DeliveryTime  int64  // unix ms
	DeliveryCount uint64
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Name     []byte
	SeenTime int64 // unix ms
	// ActiveTime is stored only by type 21 (7.2); older types copy SeenTime.
	ActiveTime int64
	Pending    []StreamID
}

// Len returns the number of elements (1 for a string).
func (o *Object) Len() int {
	switch o.Kind {
	case KindString:
		return 1
	case KindList:
		return len(o.List)
	case KindSet:
		return len(o.Set)
	case KindZSet:
		return len(o.ZSet)
	case KindHash:
		return len(o.Hash)
	case KindStream:
		return 1
	}
	return 0
}

// IsEmpty reports an empty aggregate. Redis skips such keys when loading a
// file ("empty keys skipped") and refuses them in RESTORE; an empty stream
// is legal.
func (o *Object) IsEmpty() bool {
	return o.Kind != KindString && o.Kind != KindStream && o.Len() == 0
}

// Thresholds deciding compact encodings; the defaults are Redis 7.0's.
type Limits struct {
	HashMaxListpackEntries int
	HashMaxListpackValue   int
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
	SetMaxIntsetEntries    int
	SetMaxListpackEntries  int // RDB 11 (7.2) only
	SetMaxListpackValue    int
	ListMaxListpackSize    int // bytes per quicklist node (list-max-listpack-size -2)
	StreamNodeMaxBytes     int
	StreamNodeMaxEntries   int
}

// DefaultLimits are Redis 7.0's defaults.
var DefaultLimits = Limits{
	HashMaxListpackEntries: 128,
	HashMaxListpackValue:   64,
	ZSetMaxListpackEntries: 128,
	ZSetMaxListpackValue:   64,
	SetMaxIntsetEntries:    512,
	SetMaxListpackEntries:  128,
	SetMaxListpackValue:    64,
	ListMaxListpackSize:    8192,
	StreamNodeMaxBytes:     4096,
	StreamNodeMaxEntries:   100,
}

// loadEncoding sets o.Encoding to what Redis 7.0 reports after loading o.
// Values stored as ziplist/listpack blobs are converted on load by element
// count only; the others are also checked for long elements.
func (o *Object) loadEncoding() {
	l := DefaultLimits
	if t := o.RDBType; t == TypeZSetZiplist || t == TypeHashZiplist || t == TypeHashListpack || t == TypeZSetListpack {
		l.HashMaxListpackValue, l.ZSetMaxListpackValue = 1<<62, 1<<62
	}
	switch o.Kind {
	case KindString:
		if _, ok := parseCanonicalInt(o.Str); ok {
			o.Encoding = "int"
		} else if len(o.Str) <= 44 {
			o.Encoding = "embstr"
		} else {
			o.Encoding = "raw"
		}
	case KindList:
		o.Encoding = "quicklist"
	case KindSet:
		o.Encoding = "hashtable"
		if len(o.Set) <= l.SetMaxIntsetEntries {
			o.Encoding = "intset"
			for _, m := range o.Set {
				if _, ok := parseCanonicalInt(m); !ok {
					o.Encoding = "hashtable"
					break
				}
			}
		}
	case KindZSet:
		o.Encoding = "listpack"
		if len(o.ZSet) > l.ZSetMaxListpackEntries {
			o.Encoding = "skiplist"
		}
		for _, m := range o.ZSet {
			if len(m.Member) > l.ZSetMaxListpackValue {
				o.Encoding = "skiplist"
			}
		}
	case KindHash:
		o.Encoding = "listpack"
		if len(o.Hash) > l.HashMaxListpackEntries {
			o.Encoding = "hashtable"
		}
		for _, f := range o.Hash {
			if len(f.Name) > l.HashMaxListpackValue || len(f.Value) > l.HashMaxListpackValue {
				o.Encoding = "hashtable"
			}
		}
	case KindStream:
		o.Encoding = "stream"
	}
}

// parseCanonicalInt parses s when it is the canonical decimal text of an
// int64 (Redis's string2ll: no sign "+", no leading zeros, no "-0", no
// spaces), which is when Redis stores it as an integer.
func parseCanonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	p := s
	neg := false
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
