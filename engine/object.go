package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/slotdb/slotdb/rdb"
)

// Whole values as rdb.Objects, both ways: RESTORE and the file loaders build a key from one
// (PutObject), DUMP, SAVE and BGREWRITEAOF read one back (ReadObject). Both go through the
// types' own APIs (hash.go, set.go, list.go, zset.go, stream*.go), so the records are exactly
// what the commands would have written. An rdb.Object holds the whole value in memory, as
// Redis's DUMP and RESTORE do; callers that stream (SAVE) do so key by key.

// ObjectLimits are the encoding thresholds a value is built with (the live
// *-max-listpack-* settings).
type ObjectLimits struct {
	Hash   HashLimits
	Set    SetLimits
	ZSet   ZSetLimits
	Stream StreamLimits
}

// DefaultObjectLimits are Redis 7.0.15's defaults.
var DefaultObjectLimits = ObjectLimits{
	Hash: DefaultHashLimits, Set: DefaultSetLimits, ZSet: DefaultZSetLimits, Stream: DefaultStreamLimits,
}

// ErrEmptyObject refuses an empty aggregate: Redis keeps no empty collections (an empty
// stream is legal).
var ErrEmptyObject = errors.New("engine: empty aggregate value")

// noLimit stands for "never convert" while a compact value is being filled.
const noLimit = math.MaxInt32

// blobType reports the RDB types stored as one ziplist/listpack blob: Redis 7.0 converts those
// on load by element count only, not by element length (rdbLoadObject).
func blobType(t byte) bool {
	switch t {
	case rdb.TypeHashZipmap, rdb.TypeHashZiplist, rdb.TypeHashListpack, rdb.TypeZSetZiplist, rdb.TypeZSetListpack:
		return true
	}
	return false
}

// PutObject stores o under key with expiry expireAt (unix ms, 0 = none), replacing whatever
// key holds, with the encoding Redis 7.0 gives the value when it loads it. Set members, hash
// fields and zset members must be unique (rdb's decoder guarantees it).
func (tx *Tx) PutObject(key []byte, o *rdb.Object, expireAt int64, lim ObjectLimits) error {
	if o.IsEmpty() {
		return ErrEmptyObject
	}
	switch o.Kind {
	case rdb.KindString:
		return tx.Put(key, &Meta{Type: TypeString, Value: o.Str, ExpireAt: expireAt})
	case rdb.KindList:
		m := &Meta{Type: TypeList, Version: tx.NewVersion(), Extra: listExtra(0, 0), ExpireAt: expireAt}
		_, err := tx.ListPush(key, m, false, o.List...)
		return err
	case rdb.KindSet:
		return tx.putSet(key, o, expireAt, lim.Set)
	case rdb.KindHash:
		return tx.putHash(key, o, expireAt, lim.Hash)
	case rdb.KindZSet:
		return tx.putZSet(key, o, expireAt, lim.ZSet)
	case rdb.KindStream:
		return tx.putStream(key, o.Stream, expireAt, lim.Stream)
	}
	return fmt.Errorf("engine: cannot store object kind %s", o.Kind)
}

func (tx *Tx) putSet(key []byte, o *rdb.Object, expireAt int64, lim SetLimits) error {
	s := tx.OpenSet(key, nil, lim)
	intset := int64(len(o.Set)) <= lim.MaxIntset
	for _, m := range o.Set {
		if !intset {
			break
		}
		intset = IsInteger(m)
	}
	if !intset {
		s.Convert()
	}
	for _, m := range o.Set {
		if err := s.AddNew(m); err != nil {
			return err
		}
	}
	s.m.ExpireAt = expireAt
	return s.Save()
}

func (tx *Tx) putHash(key []byte, o *rdb.Object, expireAt int64, lim HashLimits) error {
	listpack := int64(len(o.Hash)) <= lim.MaxEntries
	if listpack && !blobType(o.RDBType) {
		for _, f := range o.Hash {
			if len(f.Name) > lim.MaxValue || len(f.Value) > lim.MaxValue {
				listpack = false
				break
			}
		}
	}
	fill := lim
	if listpack {
		fill = HashLimits{MaxEntries: noLimit, MaxValue: noLimit}
	}
	h := tx.OpenHash(key, nil, fill)
	if !listpack {
		h.m.Flags |= FlagConverted
	}
	for _, f := range o.Hash {
		if err := h.SetNew(f.Name, f.Value); err != nil {
			return err
		}
	}
	h.lim = lim
	h.m.ExpireAt = expireAt
	return h.Save()
}

func (tx *Tx) putZSet(key []byte, o *rdb.Object, expireAt int64, lim ZSetLimits) error {
	listpack := int64(len(o.ZSet)) <= lim.MaxEntries
	if listpack && !blobType(o.RDBType) {
		for _, m := range o.ZSet {
			if len(m.Member) > lim.MaxValue {
				listpack = false
				break
			}
		}
	}
	z := tx.OpenZSet(key, nil, ZSetLimits{MaxEntries: noLimit, MaxValue: noLimit})
	if !listpack {
		z.MarkConverted()
	}
	for _, m := range o.ZSet {
		if math.IsNaN(m.Score) {
			return errors.New("engine: zset score is NaN")
		}
		if err := z.Insert(m.Member, m.Score); err != nil {
			return err
		}
	}
	z.lim = lim
	z.SetExpire(expireAt)
	return z.Save()
}

func streamID(id rdb.StreamID) StreamID { return StreamID{id.Ms, id.Seq} }
func rdbID(id StreamID) rdb.StreamID    { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }

func (tx *Tx) putStream(key []byte, st *rdb.Stream, expireAt int64, lim StreamLimits) error {
	if st == nil {
		st = &rdb.Stream{}
	}
	s := tx.NewStream(key)
	s.m.ExpireAt = expireAt
	var fv [][]byte
	prev := StreamID{}
	for i, en := range st.Entries {
		id := streamID(en.ID)
		if i > 0 && !prev.Less(id) {
			return fmt.Errorf("engine: stream entry %s not after %s", id, prev)
		}
		prev = id
		fv = fv[:0]
		for _, f := range en.Fields {
			fv = append(fv, f.Name, f.Value)
		}
		if err := s.Add(id, fv, lim); err != nil {
			return err
		}
	}
	s.H.Last = streamID(st.LastID)
	s.H.First = streamID(st.FirstID)
	s.H.MaxDeleted = streamID(st.MaxDeletedID)
	s.H.EntriesAdded = st.EntriesAdded
	for _, g := range st.Groups {
		sg, err := s.CreateGroup(g.Name, streamID(g.LastID), g.EntriesRead)
		if err != nil {
			return err
		}
		if sg == nil {
			return fmt.Errorf("engine: duplicate stream group %q", g.Name)
		}
		cons := make(map[string]*StreamConsumer, len(g.Consumers))
		for _, c := range g.Consumers {
			sc, err := s.CreateConsumer(sg, c.Name, c.SeenTime)
			if err != nil {
				return err
			}
			if sc == nil {
				return fmt.Errorf("engine: duplicate consumer %q in group %q", c.Name, g.Name)
			}
			cons[string(c.Name)] = sc
		}
		for _, p := range g.Pending {
			sc := cons[string(p.Consumer)]
			if sc == nil {
				return fmt.Errorf("engine: pending entry %s of group %q has no consumer", p.ID, g.Name)
			}
			nack := &StreamNACK{ID: streamID(p.ID), DeliveryTime: p.DeliveryTime, DeliveryCount: int64(p.DeliveryCount)}
			if err := s.SetPEL(sg, nack, nil, sc); err != nil {
				return err
			}
		}
	}
	s.Touch()
	return s.Save()
}

// ReadObject reads key's whole value (m: its metadata) as an rdb.Object, in the order Redis
// would serialize it where that order is reproducible (list order, listpack insertion order,
// intset numeric order, zset score order, stream ID order).
func (tx *Tx) ReadObject(key []byte, m *Meta) (*rdb.Object, error) {
	o := &rdb.Object{}
	switch m.Type {
	case TypeString:
		o.Kind, o.Str = rdb.KindString, append([]byte(nil), m.Value...)
		return o, nil
	case TypeList:
		o.Kind, o.Encoding = rdb.KindList, "quicklist"
		o.List = make([][]byte, 0, min(m.Count, 1<<16))
		if m.Count == 0 {
			return o, nil
		}
		err := tx.ListRange(key, m, 0, m.Count-1, false, func(v []byte) error {
			o.List = append(o.List, append([]byte(nil), v...))
			return nil
		})
		return o, err
	case TypeSet:
		s := tx.OpenSet(key, m, DefaultSetLimits)
		o.Kind, o.Encoding = rdb.KindSet, "hashtable"
		if s.Intset() {
			o.Encoding = "intset"
		}
		var err error
		o.Set, err = s.Members()
		return o, err
	case TypeHash:
		h := tx.OpenHash(key, m, DefaultHashLimits)
		o.Kind, o.Encoding = rdb.KindHash, "hashtable"
		if h.Listpack() {
			o.Encoding = "listpack"
		}
		o.Hash = make([]rdb.Field, 0, min(m.Count, 1<<16))
		err := h.Each(func(f, v []byte) bool {
			o.Hash = append(o.Hash, rdb.Field{Name: append([]byte(nil), f...), Value: append([]byte(nil), v...)})
			return true
		})
		return o, err
	case TypeZSet:
		z := tx.OpenZSet(key, m, DefaultZSetLimits)
		o.Kind, o.Encoding = rdb.KindZSet, "skiplist"
		if z.Listpack() {
			o.Encoding = "listpack"
		}
		o.ZSet = make([]rdb.ZMember, 0, min(m.Count, 1<<16))
		err := z.Each(func(member []byte, score float64) bool {
			o.ZSet = append(o.ZSet, rdb.ZMember{Member: append([]byte(nil), member...), Score: score})
			return true
		})
		return o, err
	case TypeStream:
		st, err := tx.readStream(key, m)
		o.Kind, o.Encoding, o.Stream = rdb.KindStream, "stream", st
		return o, err
	}
	return nil, fmt.Errorf("engine: cannot read type %s", m.Type)
}

func (tx *Tx) readStream(key []byte, m *Meta) (*rdb.Stream, error) {
	s, err := tx.OpenStream(key, m)
	if err != nil {
		return nil, err
	}
	st := &rdb.Stream{
		Length: uint64(s.Len), LastID: rdbID(s.H.Last), FirstID: rdbID(s.H.First),
		MaxDeletedID: rdbID(s.H.MaxDeleted), EntriesAdded: s.H.EntriesAdded, Nodes: int(s.H.Nodes),
	}
	_, err = s.Range(StreamID{}, MaxStreamID, false, 0, func(id StreamID, fv [][]byte) error {
		en := rdb.StreamEntry{ID: rdbID(id), Fields: make([]rdb.Field, 0, len(fv)/2)}
		for i := 0; i+1 < len(fv); i += 2 {
			en.Fields = append(en.Fields, rdb.Field{Name: append([]byte(nil), fv[i]...), Value: append([]byte(nil), fv[i+1]...)})
		}
		st.Entries = append(st.Entries, en)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.EachGroup(func(g *StreamGroup) error {
		rg := rdb.StreamGroup{Name: append([]byte(nil), g.Name...), LastID: rdbID(g.LastID), EntriesRead: g.EntriesRead}
		owned := map[string][]rdb.StreamID{}
		err := s.PELRange(g, nil, StreamID{}, MaxStreamID, 0, func(n *StreamNACK) error {
			rg.Pending = append(rg.Pending, rdb.StreamPending{
				ID: rdbID(n.ID), Consumer: append([]byte(nil), n.Consumer...),
				DeliveryTime: n.DeliveryTime, DeliveryCount: uint64(n.DeliveryCount),
			})
			owned[string(n.Consumer)] = append(owned[string(n.Consumer)], rdbID(n.ID))
			return nil
		})
		if err != nil {
			return err
		}
		err = s.EachConsumer(g, func(c *StreamConsumer) error {
			rg.Consumers = append(rg.Consumers, rdb.StreamConsumer{
				Name: append([]byte(nil), c.Name...), SeenTime: c.SeenTime, ActiveTime: c.SeenTime,
				Pending: owned[string(c.Name)],
			})
			return nil
		})
		st.Groups = append(st.Groups, rg)
		return err
	})
	return st, err
}
