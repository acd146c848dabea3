package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Streams keep every record under the key's version with the element tag; a leading byte per
// record kind keeps the kinds apart and each kind ordered:
//
//	'E' id(16)                          -> entry: uvarint n, then n times uvarint len|bytes
//	                                       (field, value, field, value, ...)
//	'L' master id(16)                   -> listpack node model (stream_node.go)
//	'G' group                           -> group: last-id(16) entries-read(8) pending(8) consumers(8)
//	'P' len(group)u32 group id(16)      -> group PEL: delivery-time(8) delivery-count(8) consumer
//	'C' len(group)u32 group len(c)u32 c id(16) -> ""  (the consumer's PEL, an index of 'P')
//	'N' len(group)u32 group consumer    -> consumer: seen-time(8) pending(8)
//
// IDs are 16 bytes big-endian (ms, seq), so byte order is ID order; group and consumer names
// sort as Redis's radix trees do (bytewise). Meta.Count is the stream length; Meta.Extra is the
// header: last-id(16) first-id(16) max-deleted-id(16) entries-added(8) groups(8) nodes(8).
//
// Only live entries have 'E' records. Redis keeps deleted entries inside its listpack nodes as
// tombstones, and that shows: MAXLEN ~ / MINID ~ remove whole nodes only, XINFO reports the node
// count. So each Redis node is modelled by an 'L' record (live and deleted counts, byte size,
// last ID, master fields) and nodes open and fill exactly as streamAppendItem's do
// (stream-node-max-entries / -bytes): approximate trimming then removes the same entries as
// Redis. Every command is a seek or a range scan; nothing loads the whole stream, and deleting
// the key drops all records with range tombstones.

// ErrCorruptStream reports a stream record that cannot be decoded.
var ErrCorruptStream = errors.New("engine: corrupt stream record")

// Record kinds (the first byte of a stream sub-key).
const (
	skEntry    = 'E'
	skNode     = 'L'
	skGroup    = 'G'
	skPEL      = 'P'
	skConsPEL  = 'C'
	skConsumer = 'N'
)

// StreamID is an entry ID.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp compares two IDs: -1, 0 or 1.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports a < b.
func (a StreamID) Less(b StreamID) bool { return a.Cmp(b) < 0 }

// IsZero reports a == 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// String formats the ID as Redis does: ms-seq.
func (a StreamID) String() string {
	return string(a.Append(nil))
}

// Append appends the ID's text to b.
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// Incr returns the next ID; ok is false when a is the largest ID.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return StreamID{}, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous ID; ok is false when a is 0-0.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return MaxStreamID, false
		}
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

func (a StreamID) put(b []byte) {
	binary.BigEndian.PutUint64(b, a.Ms)
	binary.BigEndian.PutUint64(b[8:], a.Seq)
}

func (a StreamID) bytes() []byte {
	b := make([]byte, 16)
	a.put(b)
	return b
}

func decodeID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

func idSub(kind byte, id StreamID) []byte {
	b := make([]byte, 17)
	b[0] = kind
	id.put(b[1:])
	return b
}

// StreamHeader is the stream's metadata beside its length.
type StreamHeader struct {
	Last, First, MaxDeleted StreamID
	EntriesAdded            uint64
	Groups                  int64
	Nodes                   int64 // listpack nodes (XINFO radix-tree-keys)
}

const streamHeaderLen = 72

func (h *StreamHeader) encode() []byte {
	b := make([]byte, streamHeaderLen)
	h.Last.put(b)
	h.First.put(b[16:])
	h.MaxDeleted.put(b[32:])
	binary.BigEndian.PutUint64(b[48:], h.EntriesAdded)
	binary.BigEndian.PutUint64(b[56:], uint64(h.Groups))
	binary.BigEndian.PutUint64(b[64:], uint64(h.Nodes))
	return b
}

func decodeStreamHeader(b []byte) (StreamHeader, error) {
	if len(b) != streamHeaderLen {
		return StreamHeader{}, ErrCorruptStream
	}
	return StreamHeader{
		Last: decodeID(b), First: decodeID(b[16:]), MaxDeleted: decodeID(b[32:]),
		EntriesAdded: binary.BigEndian.Uint64(b[48:]),
		Groups:       int64(binary.BigEndian.Uint64(b[56:])),
		Nodes:        int64(binary.BigEndian.Uint64(b[64:])),
	}, nil
}

// StreamLimits are the node sizes of stream-node-max-entries and stream-node-max-bytes.
type StreamLimits struct{ MaxEntries, MaxBytes int64 }

// DefaultStreamLimits are Redis's defaults.
var DefaultStreamLimits = StreamLimits{MaxEntries: 100, MaxBytes: 4096}

// Stream is one stream being read or changed inside a transaction. Changes to the header,
// groups and consumers are written by Save.
type Stream struct {
	tx  *Tx
	key []byte
	m   *Meta
	H   StreamHeader
	Len int64

	created   bool
	tail      *streamNode                // the tail node as last written by this Stream, or nil
	groups    map[string]*StreamGroup    // loaded groups (dirty ones are written by Save)
	consumers map[string]*StreamConsumer // by group\x00consumer
	dirty     bool
}

// OpenStream opens the stream m of key (the caller has checked the type).
func (tx *Tx) OpenStream(key []byte, m *Meta) (*Stream, error) {
	if m.Type != TypeStream {
		return nil, ErrCorruptStream
	}
	h, err := decodeStreamHeader(m.Extra)
	if err != nil {
		return nil, err
	}
	return &Stream{tx: tx, key: key, m: m, H: h, Len: m.Count}, nil
}

// NewStream starts an empty stream at key; Save stores it.
func (tx *Tx) NewStream(key []byte) *Stream {
	m := &Meta{Type: TypeStream, Version: tx.NewVersion()}
	return &Stream{tx: tx, key: key, m: m, created: true, dirty: true}
}

// Meta is the stream's metadata as last saved.
func (s *Stream) Meta() *Meta { return s.m }

// Save writes the header and any changed groups and consumers.
func (s *Stream) Save() error {
	for _, g := range s.groups {
		if g.dirty && !g.deleted {
			if err := s.tx.SetElem(s.key, s.m, TagElem, groupSub(g.Name), g.encode()); err != nil {
				return err
			}
			g.dirty = false
		}
	}
	for _, c := range s.consumers {
		if c.dirty && !c.deleted {
			if err := s.tx.SetElem(s.key, s.m, TagElem, consumerSub(c.Group, c.Name), c.encode()); err != nil {
				return err
			}
			c.dirty = false
		}
	}
	if !s.dirty {
		return nil
	}
	n := *s.m
	n.Count = s.Len
	n.Extra = s.H.encode()
	if err := s.tx.Put(s.key, &n); err != nil {
		return err
	}
	s.m = &n
	s.dirty = false
	s.created = false
	return nil
}

// Touch marks the header changed (for callers that edit H directly).
func (s *Stream) Touch() { s.dirty = true }

// encodeEntry lays out an entry's field/value list.
func encodeEntry(fv [][]byte) []byte {
	n := binary.MaxVarintLen64
	for _, b := range fv {
		n += binary.MaxVarintLen64 + len(b)
	}
	out := make([]byte, 0, n)
	out = binary.AppendUvarint(out, uint64(len(fv)))
	for _, b := range fv {
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

// decodeEntry splits an entry value; the slices alias b.
func decodeEntry(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, ErrCorruptStream
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, ErrCorruptStream
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, ErrCorruptStream
	}
	return out, nil
}

// Add appends an entry with the given ID (already checked to be greater than the last ID)
// and field/value pairs.
func (s *Stream) Add(id StreamID, fv [][]byte, lim StreamLimits) error {
	if err := s.nodeAppend(id, fv, lim); err != nil {
		return err
	}
	if err := s.tx.SetElem(s.key, s.m, TagElem, idSub(skEntry, id), encodeEntry(fv)); err != nil {
		return err
	}
	s.Len++
	s.H.EntriesAdded++
	s.H.Last = id
	if s.Len == 1 {
		s.H.First = id
	}
	s.Touch()
	return nil
}

// NextID is streamNextID: now's milliseconds, or the last ID's plus one in sequence when the
// clock is not ahead. ok is false when no ID is left.
func (s *Stream) NextID(nowMs uint64) (StreamID, bool) {
	if nowMs > s.H.Last.Ms {
		return StreamID{nowMs, 0}, true
	}
	return s.H.Last.Incr()
}

func (s *Stream) iter(kind byte, lower, upper []byte) (*ElemIter, error) {
	b := IterBounds{Lower: lower, Upper: upper}
	if b.Lower == nil {
		b.Lower = []byte{kind}
	}
	if b.Upper == nil {
		b.Upper = []byte{kind + 1}
	}
	return s.tx.Iter(s.key, s.m, TagElem, b)
}

// entryBounds are the sub-key bounds of entries in [start, end].
func entryBounds(start, end StreamID) (lower, upper []byte) {
	lower = idSub(skEntry, start)
	if next, ok := end.Incr(); ok {
		upper = idSub(skEntry, next)
	} else {
		upper = []byte{skEntry + 1}
	}
	return lower, upper
}

// Range calls fn for the entries with IDs in [start, end], in order (reverse when rev), at
// most count of them when count > 0. fv aliases the iterator: valid during the call.
func (s *Stream) Range(start, end StreamID, rev bool, count int64, fn func(id StreamID, fv [][]byte) error) (int64, error) {
	if end.Less(start) {
		return 0, nil
	}
	lo, up := entryBounds(start, end)
	it, err := s.iter(skEntry, lo, up)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	ok := it.First()
	if rev {
		ok = it.Last()
	}
	for ; ok && (count <= 0 || n < count); ok = step(it, !rev) {
		fv, err := decodeEntry(it.Value())
		if err != nil {
			return n, err
		}
		if err := fn(decodeID(it.Sub()[1:]), fv); err != nil {
			return n, err
		}
		n++
	}
	return n, it.Error()
}

// Entry returns the entry id's field/value list (copied), or ok false.
func (s *Stream) Entry(id StreamID) ([][]byte, bool, error) {
	v, ok, err := s.tx.GetElem(s.key, s.m, TagElem, idSub(skEntry, id))
	if err != nil || !ok {
		return nil, false, err
	}
	fv, err := decodeEntry(v)
	return fv, err == nil, err
}

// edge returns the first (or last) live entry's ID.
func (s *Stream) edge(last bool) (StreamID, bool, error) {
	it, err := s.iter(skEntry, nil, nil)
	if err != nil {
		return StreamID{}, false, err
	}
	defer it.Close()
	ok := it.First()
	if last {
		ok = it.Last()
	}
	if !ok {
		return StreamID{}, false, it.Error()
	}
	return decodeID(it.Sub()[1:]), true, nil
}

// LastLiveID is the last live entry's ID (0-0 when empty): the last-entry of XINFO.
func (s *Stream) LastLiveID() (StreamID, error) {
	id, _, err := s.edge(true)
	return id, err
}

// Delete removes entry id (XDEL); it reports whether it existed.
func (s *Stream) Delete(id StreamID) (bool, error) {
	sub := idSub(skEntry, id)
	_, ok, err := s.tx.GetElem(s.key, s.m, TagElem, sub)
	if err != nil || !ok {
		return false, err
	}
	if err := s.tx.DelElem(s.key, s.m, TagElem, sub); err != nil {
		return false, err
	}
	if err := s.nodeDelete(id); err != nil {
		return false, err
	}
	s.Len--
	if s.H.MaxDeleted.Less(id) {
		s.H.MaxDeleted = id
	}
	if s.Len == 0 {
		s.H.First = StreamID{}
	} else if id == s.H.First {
		first, _, err := s.edge(false)
		if err != nil {
			return false, err
		}
		s.H.First = first
	}
	s.Touch()
	return true, nil
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs are the trimming options of XADD and XTRIM.
type TrimArgs struct {
	Strategy int
	Approx   bool
	Limit    int64 // 0: no limit
	MaxLen   int64
	MinID    StreamID
}

// Trim is streamTrim: it removes whole nodes from the head while they qualify, then (unless
// Approx) entries of the first node that does not; it returns the number removed.
func (s *Stream) Trim(a TrimArgs) (int64, error) {
	if a.Strategy == TrimNone {
		return 0, nil
	}
	var deleted int64
	for {
		if a.Strategy == TrimMaxLen && s.Len <= a.MaxLen {
			break
		}
		n, ok, err := s.firstNode()
		if err != nil {
			return deleted, err
		}
		if !ok {
			break
		}
		if a.Limit != 0 && deleted+n.live > a.Limit {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = s.Len-n.live >= a.MaxLen
		} else {
			remove = n.last.Less(a.MinID)
		}
		if remove {
			if err := s.dropNode(n); err != nil {
				return deleted, err
			}
			s.Len -= n.live
			deleted += n.live
			continue
		}
		if a.Approx {
			break
		}
		d, err := s.trimInNode(n, a)
		deleted += d
		if err != nil {
			return deleted, err
		}
		break
	}
	if s.Len == 0 {
		s.H.First = StreamID{}
	} else if deleted > 0 {
		first, _, err := s.edge(false)
		if err != nil {
			return deleted, err
		}
		s.H.First = first
	}
	if deleted > 0 {
		s.Touch()
	}
	return deleted, nil
}

// trimInNode deletes n's entries from its start while the strategy asks for it.
func (s *Stream) trimInNode(n *streamNode, a TrimArgs) (int64, error) {
	lo, up := entryBounds(n.master, n.last)
	it, err := s.iter(skEntry, lo, up)
	if err != nil {
		return 0, err
	}
	var del [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		if a.Strategy == TrimMaxLen {
			if s.Len-int64(len(del)) <= a.MaxLen {
				break
			}
		} else if decodeID(it.Sub()[1:]).Cmp(a.MinID) >= 0 {
			break
		}
		del = append(del, bytes.Clone(it.Sub()))
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return 0, err
	}
	for _, sub := range del {
		if err := s.tx.DelElem(s.key, s.m, TagElem, sub); err != nil {
			return 0, err
		}
	}
	d := int64(len(del))
	if d == 0 {
		return 0, nil
	}
	s.Len -= d
	n.live -= d
	n.deleted += d
	return d, s.putNode(n)
}
