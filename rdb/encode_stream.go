package rdb

import (
	"bytes"
	"encoding/binary"
)

// stream writes type 19 (21 for version 11) with nodes built like
// t_stream.c: a master entry holding the node's first field list, then one
// record per entry, SAMEFIELDS when the fields equal the master's.
func (e *encoder) stream(s *Stream) {
	if s == nil {
		s = &Stream{}
	}
	t := byte(TypeStreamListpacks2)
	if e.version >= 11 {
		t = TypeStreamListpacks3
	}
	e.byte(t)

	type node struct {
		master StreamID
		lp     []byte
	}
	var nodes []node
	for i := 0; i < len(s.Entries); {
		master := s.Entries[i].ID
		fields := s.Entries[i].Fields
		// Records go to a second builder; the master entry needs the count.
		body := newListpack()
		body.b = body.b[:0]
		n := 0
		for ; i < len(s.Entries) && n < e.limits.StreamNodeMaxEntries; i, n = i+1, n+1 {
			if n > 0 && len(body.b) >= e.limits.StreamNodeMaxBytes {
				break
			}
			en := s.Entries[i]
			same := len(en.Fields) == len(fields)
			for j := 0; same && j < len(fields); j++ {
				same = bytes.Equal(en.Fields[j].Name, fields[j].Name)
			}
			flags := int64(0)
			if same {
				flags = 2
			}
			body.addInt(flags)
			body.addInt(int64(en.ID.Ms - master.Ms))
			body.addInt(int64(en.ID.Seq - master.Seq))
			if same {
				for _, f := range en.Fields {
					body.add(f.Value)
				}
				body.addInt(3 + int64(len(fields)))
			} else {
				body.addInt(int64(len(en.Fields)))
				for _, f := range en.Fields {
					body.add(f.Name)
					body.add(f.Value)
				}
				body.addInt(4 + 2*int64(len(en.Fields)))
			}
		}
		lp := newListpack()
		lp.addInt(int64(n))
		lp.addInt(0)
		lp.addInt(int64(len(fields)))
		for _, f := range fields {
			lp.add(f.Name)
		}
		lp.addInt(0)
		lp.b = append(lp.b, body.b...)
		lp.n += body.n
		nodes = append(nodes, node{master, lp.finish()})
	}
	e.length(uint64(len(nodes)))
	for _, n := range nodes {
		var key [16]byte
		binary.BigEndian.PutUint64(key[:], n.master.Ms)
		binary.BigEndian.PutUint64(key[8:], n.master.Seq)
		e.str(key[:])
		e.str(n.lp)
	}
	e.length(uint64(len(s.Entries)))
	e.id(s.LastID)
	e.id(s.FirstID)
	e.id(s.MaxDeletedID)
	e.length(s.EntriesAdded)
	e.length(uint64(len(s.Groups)))
	for _, g := range s.Groups {
		e.str(g.Name)
		e.id(g.LastID)
		e.length(uint64(g.EntriesRead)) // -1 (unknown) becomes 2^64-1
		e.length(uint64(len(g.Pending)))
		for _, p := range g.Pending {
			e.rawID(p.ID)
			e.i64le(p.DeliveryTime)
			e.length(p.DeliveryCount)
		}
		e.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			e.str(c.Name)
			e.i64le(c.SeenTime)
			if t == TypeStreamListpacks3 {
				e.i64le(c.ActiveTime)
			}
			e.length(uint64(len(c.Pending)))
			for _, id := range c.Pending {
				e.rawID(id)
			}
		}
	}
}

func (e *encoder) id(id StreamID) {
	e.length(id.Ms)
	e.length(id.Seq)
}

func (e *encoder) rawID(id StreamID) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, id.Ms)
	e.buf = binary.BigEndian.AppendUint64(e.buf, id.Seq)
}
