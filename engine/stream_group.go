package engine

import (
	"bytes"
	"encoding/binary"
)

// Consumer groups, consumers and pending entries (layout in stream.go). A group record keeps
// its PEL size and consumer count, a consumer record its PEL size, so XINFO and XPENDING's
// summary read counters; XPENDING, XCLAIM, XAUTOCLAIM and XACK are seeks and range scans over
// the 'P' and 'C' records.

// InvalidEntriesRead is SCG_INVALID_ENTRIES_READ: the group's read counter is unknown.
const InvalidEntriesRead = -1

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Pending     int64 // PEL size
	Consumers   int64

	dirty, deleted bool
}

// StreamConsumer is a group's consumer.
type StreamConsumer struct {
	Group, Name []byte
	SeenTime    int64 // unix ms
	Pending     int64

	dirty, deleted bool
}

// StreamNACK is a pending entry: delivered to Consumer, not acknowledged.
type StreamNACK struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount int64
	Consumer      []byte
}

func groupSub(name []byte) []byte { return append([]byte{skGroup}, name...) }

func lenPrefixed(kind byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n+16)
	b = append(b, kind)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func consumerSub(group, name []byte) []byte {
	return append(lenPrefixed(skConsumer, group), name...)
}

func pelSub(group []byte, id StreamID) []byte {
	b := lenPrefixed(skPEL, group)
	return append(b, id.bytes()...)
}

func consPELSub(group, consumer []byte, id StreamID) []byte {
	b := lenPrefixed(skConsPEL, group, consumer)
	return append(b, id.bytes()...)
}

func (g *StreamGroup) encode() []byte {
	b := make([]byte, 40)
	g.LastID.put(b)
	binary.BigEndian.PutUint64(b[16:], uint64(g.EntriesRead))
	binary.BigEndian.PutUint64(b[24:], uint64(g.Pending))
	binary.BigEndian.PutUint64(b[32:], uint64(g.Consumers))
	return b
}

func decodeGroup(name, b []byte) (*StreamGroup, error) {
	if len(b) != 40 {
		return nil, ErrCorruptStream
	}
	return &StreamGroup{
		Name: append([]byte(nil), name...), LastID: decodeID(b),
		EntriesRead: int64(binary.BigEndian.Uint64(b[16:])),
		Pending:     int64(binary.BigEndian.Uint64(b[24:])),
		Consumers:   int64(binary.BigEndian.Uint64(b[32:])),
	}, nil
}

func (c *StreamConsumer) encode() []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(c.SeenTime))
	binary.BigEndian.PutUint64(b[8:], uint64(c.Pending))
	return b
}

func decodeConsumer(group, name, b []byte) (*StreamConsumer, error) {
	if len(b) != 16 {
		return nil, ErrCorruptStream
	}
	return &StreamConsumer{
		Group: append([]byte(nil), group...), Name: append([]byte(nil), name...),
		SeenTime: int64(binary.BigEndian.Uint64(b)), Pending: int64(binary.BigEndian.Uint64(b[8:])),
	}, nil
}

func encodeNACK(n *StreamNACK) []byte {
	b := make([]byte, 16, 16+len(n.Consumer))
	binary.BigEndian.PutUint64(b, uint64(n.DeliveryTime))
	binary.BigEndian.PutUint64(b[8:], uint64(n.DeliveryCount))
	return append(b, n.Consumer...)
}

func decodeNACK(id StreamID, b []byte) (*StreamNACK, error) {
	if len(b) < 16 {
		return nil, ErrCorruptStream
	}
	return &StreamNACK{ID: id, DeliveryTime: int64(binary.BigEndian.Uint64(b)),
		DeliveryCount: int64(binary.BigEndian.Uint64(b[8:])), Consumer: append([]byte(nil), b[16:]...)}, nil
}

// Group returns the named group, or nil.
func (s *Stream) Group(name []byte) (*StreamGroup, error) {
	if g, ok := s.groups[string(name)]; ok {
		if g.deleted {
			return nil, nil
		}
		return g, nil
	}
	v, ok, err := s.tx.GetElem(s.key, s.m, TagElem, groupSub(name))
	if err != nil || !ok {
		return nil, err
	}
	g, err := decodeGroup(name, v)
	if err != nil {
		return nil, err
	}
	s.cacheGroup(g)
	return g, nil
}

func (s *Stream) cacheGroup(g *StreamGroup) {
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	s.groups[string(g.Name)] = g
}

// CreateGroup adds a group; it returns nil when the name is taken.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) (*StreamGroup, error) {
	if g, err := s.Group(name); err != nil || g != nil {
		return nil, err
	}
	g := &StreamGroup{Name: append([]byte(nil), name...), LastID: last, EntriesRead: entriesRead, dirty: true}
	s.cacheGroup(g)
	s.H.Groups++
	s.Touch()
	return g, nil
}

// MarkGroup records a change to g for Save.
func (s *Stream) MarkGroup(g *StreamGroup) { g.dirty = true }

// DestroyGroup removes a group with its consumers and PEL; it reports whether it existed.
func (s *Stream) DestroyGroup(name []byte) (bool, error) {
	g, err := s.Group(name)
	if err != nil || g == nil {
		return false, err
	}
	g.deleted = true
	for _, kind := range []byte{skPEL, skConsPEL, skConsumer} {
		p := lenPrefixed(kind, name)
		if err := s.tx.DelElemRange(s.key, s.m, TagElem, p, prefixEnd(p)); err != nil {
			return false, err
		}
	}
	for k, c := range s.consumers {
		if bytes.Equal(c.Group, name) {
			delete(s.consumers, k)
		}
	}
	if err := s.tx.DelElem(s.key, s.m, TagElem, groupSub(name)); err != nil {
		return false, err
	}
	s.H.Groups--
	s.Touch()
	return true, nil
}

// EachGroup calls fn for every group in name order.
func (s *Stream) EachGroup(fn func(g *StreamGroup) error) error {
	it, err := s.iter(skGroup, nil, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		name := it.Sub()[1:]
		g := s.groups[string(name)]
		if g == nil {
			if g, err = decodeGroup(name, it.Value()); err != nil {
				return err
			}
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return it.Error()
}

func consumerKey(group, name []byte) string { return string(group) + "\x00" + string(name) }

// Consumer returns the group's consumer, or nil.
func (s *Stream) Consumer(g *StreamGroup, name []byte) (*StreamConsumer, error) {
	if c, ok := s.consumers[consumerKey(g.Name, name)]; ok {
		if c.deleted {
			return nil, nil
		}
		return c, nil
	}
	v, ok, err := s.tx.GetElem(s.key, s.m, TagElem, consumerSub(g.Name, name))
	if err != nil || !ok {
		return nil, err
	}
	c, err := decodeConsumer(g.Name, name, v)
	if err != nil {
		return nil, err
	}
	s.cacheConsumer(c)
	return c, nil
}

func (s *Stream) cacheConsumer(c *StreamConsumer) {
	if s.consumers == nil {
		s.consumers = map[string]*StreamConsumer{}
	}
	s.consumers[consumerKey(c.Group, c.Name)] = c
}

// CreateConsumer adds a consumer seen at now; it returns nil when it exists.
func (s *Stream) CreateConsumer(g *StreamGroup, name []byte, now int64) (*StreamConsumer, error) {
	if c, err := s.Consumer(g, name); err != nil || c != nil {
		return nil, err
	}
	c := &StreamConsumer{Group: g.Name, Name: append([]byte(nil), name...), SeenTime: now, dirty: true}
	s.cacheConsumer(c)
	g.Consumers++
	g.dirty = true
	return c, nil
}

// TouchConsumer looks a consumer up, creating it when missing, and marks it seen at now
// (streamLookupConsumer + streamCreateConsumer). created reports a new consumer.
func (s *Stream) TouchConsumer(g *StreamGroup, name []byte, now int64) (c *StreamConsumer, created bool, err error) {
	c, err = s.Consumer(g, name)
	if err != nil {
		return nil, false, err
	}
	if c == nil {
		c, err = s.CreateConsumer(g, name, now)
		return c, true, err
	}
	c.SeenTime = now
	c.dirty = true
	return c, false, nil
}

// DeleteConsumer removes a consumer and its pending entries; it returns how many it had.
func (s *Stream) DeleteConsumer(g *StreamGroup, c *StreamConsumer) (int64, error) {
	p := lenPrefixed(skConsPEL, g.Name, c.Name)
	it, err := s.tx.Iter(s.key, s.m, TagElem, IterBounds{Lower: p, Upper: prefixEnd(p)})
	if err != nil {
		return 0, err
	}
	var ids []StreamID
	for ok := it.First(); ok; ok = it.Next() {
		ids = append(ids, decodeID(it.Sub()[len(p):]))
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.tx.DelElem(s.key, s.m, TagElem, pelSub(g.Name, id)); err != nil {
			return 0, err
		}
	}
	if err := s.tx.DelElemRange(s.key, s.m, TagElem, p, prefixEnd(p)); err != nil {
		return 0, err
	}
	if err := s.tx.DelElem(s.key, s.m, TagElem, consumerSub(g.Name, c.Name)); err != nil {
		return 0, err
	}
	c.deleted = true
	g.Pending -= int64(len(ids))
	g.Consumers--
	g.dirty = true
	return int64(len(ids)), nil
}

// EachConsumer calls fn for the group's consumers in name order.
func (s *Stream) EachConsumer(g *StreamGroup, fn func(c *StreamConsumer) error) error {
	p := lenPrefixed(skConsumer, g.Name)
	it, err := s.tx.Iter(s.key, s.m, TagElem, IterBounds{Lower: p, Upper: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		name := it.Sub()[len(p):]
		c := s.consumers[consumerKey(g.Name, name)]
		if c == nil {
			if c, err = decodeConsumer(g.Name, name, it.Value()); err != nil {
				return err
			}
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return it.Error()
}

// PEL returns the pending entry id of group g, or nil.
func (s *Stream) PEL(g *StreamGroup, id StreamID) (*StreamNACK, error) {
	v, ok, err := s.tx.GetElem(s.key, s.m, TagElem, pelSub(g.Name, id))
	if err != nil || !ok {
		return nil, err
	}
	return decodeNACK(id, v)
}

// PELRange calls fn for g's pending entries in [start, end] in ID order, only those of
// consumer when it is not nil, at most count when count > 0.
func (s *Stream) PELRange(g *StreamGroup, consumer []byte, start, end StreamID, count int64, fn func(n *StreamNACK) error) error {
	if end.Less(start) {
		return nil
	}
	var p []byte
	if consumer != nil {
		p = lenPrefixed(skConsPEL, g.Name, consumer)
	} else {
		p = lenPrefixed(skPEL, g.Name)
	}
	lower := append(append([]byte(nil), p...), start.bytes()...)
	upper := prefixEnd(p)
	if next, ok := end.Incr(); ok {
		upper = append(append([]byte(nil), p...), next.bytes()...)
	}
	it, err := s.tx.Iter(s.key, s.m, TagElem, IterBounds{Lower: lower, Upper: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	var n int64
	for ok := it.First(); ok && (count <= 0 || n < count); ok = it.Next() {
		id := decodeID(it.Sub()[len(p):])
		var nack *StreamNACK
		if consumer != nil {
			if nack, err = s.PEL(g, id); err != nil {
				return err
			}
			if nack == nil {
				return ErrCorruptStream
			}
		} else if nack, err = decodeNACK(id, it.Value()); err != nil {
			return err
		}
		if err := fn(nack); err != nil {
			return err
		}
		n++
	}
	return it.Error()
}

// PELEdges returns the smallest and greatest pending IDs of g (XPENDING's summary).
func (s *Stream) PELEdges(g *StreamGroup) (first, last StreamID, err error) {
	p := lenPrefixed(skPEL, g.Name)
	it, err := s.tx.Iter(s.key, s.m, TagElem, IterBounds{Lower: p, Upper: prefixEnd(p)})
	if err != nil {
		return first, last, err
	}
	defer it.Close()
	if it.First() {
		first = decodeID(it.Sub()[len(p):])
	}
	if it.Last() {
		last = decodeID(it.Sub()[len(p):])
	}
	return first, last, it.Error()
}

// SetPEL stores nack as pending for consumer c (moving it from its previous consumer prev,
// nil when it was not pending).
func (s *Stream) SetPEL(g *StreamGroup, nack *StreamNACK, prev *StreamNACK, c *StreamConsumer) error {
	if prev == nil {
		g.Pending++
		g.dirty = true
	}
	if prev == nil || !bytes.Equal(prev.Consumer, c.Name) {
		if prev != nil {
			if err := s.dropFromConsumer(g, prev); err != nil {
				return err
			}
		}
		if err := s.tx.SetElem(s.key, s.m, TagElem, consPELSub(g.Name, c.Name, nack.ID), nil); err != nil {
			return err
		}
		c.Pending++
		c.dirty = true
	}
	nack.Consumer = c.Name
	return s.tx.SetElem(s.key, s.m, TagElem, pelSub(g.Name, nack.ID), encodeNACK(nack))
}

func (s *Stream) dropFromConsumer(g *StreamGroup, n *StreamNACK) error {
	if err := s.tx.DelElem(s.key, s.m, TagElem, consPELSub(g.Name, n.Consumer, n.ID)); err != nil {
		return err
	}
	old, err := s.Consumer(g, n.Consumer)
	if err != nil {
		return err
	}
	if old != nil {
		old.Pending--
		old.dirty = true
	}
	return nil
}

// Ack removes a pending entry (XACK, or a claim of a deleted entry); it reports whether it
// was pending.
func (s *Stream) Ack(g *StreamGroup, id StreamID) (bool, error) {
	n, err := s.PEL(g, id)
	if err != nil || n == nil {
		return false, err
	}
	if err := s.dropFromConsumer(g, n); err != nil {
		return false, err
	}
	if err := s.tx.DelElem(s.key, s.m, TagElem, pelSub(g.Name, id)); err != nil {
		return false, err
	}
	g.Pending--
	g.dirty = true
	return true, nil
}

// EntryExists reports whether id is a live entry.
func (s *Stream) EntryExists(id StreamID) (bool, error) {
	_, ok, err := s.tx.GetElem(s.key, s.m, TagElem, idSub(skEntry, id))
	return ok, err
}

// rangeHasTombstones is streamRangeHasTombstones with no end.
func (s *Stream) rangeHasTombstones(start StreamID) bool {
	if s.Len == 0 || s.H.MaxDeleted.IsZero() {
		return false
	}
	if s.H.MaxDeleted.Less(s.H.First) {
		return false
	}
	return start.Cmp(s.H.MaxDeleted) <= 0
}

// EstimateDistance is streamEstimateDistanceFromFirstEverEntry: the logical read counter of
// id, or InvalidEntriesRead.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	h := &s.H
	if h.EntriesAdded == 0 {
		return 0
	}
	if s.Len == 0 && id.Cmp(h.Last) < 1 {
		return int64(h.EntriesAdded)
	}
	cmpLast := id.Cmp(h.Last)
	if cmpLast == 0 {
		return int64(h.EntriesAdded)
	} else if cmpLast > 0 {
		return InvalidEntriesRead
	}
	cmpFirst := id.Cmp(h.First)
	if h.MaxDeleted.IsZero() || h.MaxDeleted.Less(h.First) {
		if cmpFirst < 0 {
			return int64(h.EntriesAdded) - s.Len
		} else if cmpFirst == 0 {
			return int64(h.EntriesAdded) - s.Len + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is streamReplyWithCGLag's value; ok is false when it cannot be known.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	h := &s.H
	switch {
	case h.EntriesAdded == 0:
		return 0, true
	case g.EntriesRead != InvalidEntriesRead && !s.rangeHasTombstones(g.LastID):
		return int64(h.EntriesAdded) - g.EntriesRead, true
	}
	er := s.EstimateDistance(g.LastID)
	if er == InvalidEntriesRead {
		return 0, false
	}
	return int64(h.EntriesAdded) - er, true
}

// advanceGroup moves g's last-delivered ID to id, keeping its read counter as
// streamReplyWithRange does.
func (s *Stream) advanceGroup(g *StreamGroup, id StreamID) {
	if g.EntriesRead != InvalidEntriesRead && !s.rangeHasTombstones(g.LastID) {
		g.EntriesRead++
	} else if s.H.EntriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
	g.dirty = true
}

// StreamEntry is an entry read out of a stream (copied).
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte // field, value, ...; nil for a pending entry that no longer exists
}

// ReadGroup serves XREADGROUP with ">": the entries after g's last-delivered ID, at most
// count (0: all), delivered to consumer c at now, pending unless noack.
func (s *Stream) ReadGroup(g *StreamGroup, c *StreamConsumer, count int64, noack bool, now int64) ([]StreamEntry, error) {
	start, ok := g.LastID.Incr()
	if !ok {
		return nil, nil
	}
	var out []StreamEntry
	_, err := s.Range(start, MaxStreamID, false, count, func(id StreamID, fv [][]byte) error {
		out = append(out, StreamEntry{ID: id, Fields: cloneFields(fv)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range out {
		if g.LastID.Less(e.ID) {
			s.advanceGroup(g, e.ID)
		}
		if noack {
			continue
		}
		prev, err := s.PEL(g, e.ID)
		if err != nil {
			return nil, err
		}
		if err := s.SetPEL(g, &StreamNACK{ID: e.ID, DeliveryTime: now, DeliveryCount: 1}, prev, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadHistory serves XREADGROUP with an ID: c's pending entries from start, at most count,
// delivered again at now; entries deleted since delivery come back with nil Fields.
func (s *Stream) ReadHistory(g *StreamGroup, c *StreamConsumer, start StreamID, count, now int64) ([]StreamEntry, error) {
	p := lenPrefixed(skConsPEL, g.Name, c.Name)
	it, err := s.tx.Iter(s.key, s.m, TagElem, IterBounds{Lower: append(append([]byte(nil), p...), start.bytes()...), Upper: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	var ids []StreamID
	for ok := it.First(); ok && (count <= 0 || int64(len(ids)) < count); ok = it.Next() {
		ids = append(ids, decodeID(it.Sub()[len(p):]))
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return nil, err
	}
	out := make([]StreamEntry, 0, len(ids))
	for _, id := range ids {
		fv, ok, err := s.Entry(id)
		if err != nil {
			return nil, err
		}
		if ok {
			n, err := s.PEL(g, id)
			if err != nil {
				return nil, err
			}
			if n != nil {
				n.DeliveryTime = now
				n.DeliveryCount++
				if err := s.tx.SetElem(s.key, s.m, TagElem, pelSub(g.Name, id), encodeNACK(n)); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, StreamEntry{ID: id, Fields: cloneFields(fv)})
	}
	return out, nil
}

func cloneFields(fv [][]byte) [][]byte {
	if fv == nil {
		return nil
	}
	out := make([][]byte, len(fv))
	for i, b := range fv {
		out[i] = bytes.Clone(b)
		if out[i] == nil {
			out[i] = []byte{}
		}
	}
	return out
}
