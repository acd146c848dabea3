package rdb

import (
	"encoding/binary"
)

// streamID reads an ID stored as two LENs.
func (d *decoder) streamID() StreamID {
	ms := d.length()
	return StreamID{Ms: ms, Seq: d.length()}
}

// rawID reads a 128-bit big-endian ID (PEL entries).
func (d *decoder) rawID() StreamID {
	var b [16]byte
	d.fixed(b[:])
	return StreamID{binary.BigEndian.Uint64(b[:]), binary.BigEndian.Uint64(b[8:])}
}

// stream decodes types 15, 19 and 21 (section 3.6 of the format doc).
func (d *decoder) stream(t byte) *Stream {
	s := &Stream{}
	nodes := d.count()
	s.Nodes = nodes
	seenNodes := make(map[StreamID]struct{})
	for i := 0; i < nodes; i++ {
		off := d.off
		key := d.str()
		if len(key) != 16 {
			d.failAt(off, "stream node key is %d bytes, not 16", len(key))
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		if _, dup := seenNodes[master]; dup {
			d.failAt(off, "duplicate stream node key %s", master)
		}
		seenNodes[master] = struct{}{}
		lpOff := d.off
		es := d.listpack(lpOff)
		if len(es) == 0 {
			d.failAt(lpOff, "empty stream listpack")
		}
		s.Entries = d.streamNode(lpOff, master, es, s.Entries)
	}
	s.Length = d.length()
	if s.Length > 0 && nodes == 0 {
		d.fail("stream has %d entries but no listpacks", s.Length)
	}
	s.LastID = d.streamID()
	if t >= TypeStreamListpacks2 {
		s.FirstID = d.streamID()
		s.MaxDeletedID = d.streamID()
		s.EntriesAdded = d.length()
	} else {
		if len(s.Entries) > 0 {
			s.FirstID = s.Entries[0].ID
		}
		s.EntriesAdded = s.Length
	}
	ng := d.count()
	groupNames := make(map[string]struct{})
	for i := 0; i < ng; i++ {
		off := d.off
		g := StreamGroup{Name: d.str(), EntriesRead: -1}
		if _, dup := groupNames[string(g.Name)]; dup {
			d.failAt(off, "duplicate stream group %q", g.Name)
		}
		groupNames[string(g.Name)] = struct{}{}
		g.LastID = d.streamID()
		if t >= TypeStreamListpacks2 {
			g.EntriesRead = int64(d.length()) // 2^64-1 becomes -1: unknown
		}
		np := d.count()
		pel := make(map[StreamID]int, min(np, 1024))
		g.Pending = make([]StreamPending, 0, min(np, 1024))
		for j := 0; j < np; j++ {
			off := d.off
			p := StreamPending{ID: d.rawID(), DeliveryTime: d.i64le()}
			p.DeliveryCount = d.length()
			if _, dup := pel[p.ID]; dup {
				d.failAt(off, "duplicate PEL entry %s", p.ID)
			}
			pel[p.ID] = len(g.Pending)
			g.Pending = append(g.Pending, p)
		}
		nc := d.count()
		consumers := make(map[string]struct{})
		for j := 0; j < nc; j++ {
			off := d.off
			c := StreamConsumer{Name: d.str(), SeenTime: d.i64le()}
			if _, dup := consumers[string(c.Name)]; dup {
				d.failAt(off, "duplicate consumer %q", c.Name)
			}
			consumers[string(c.Name)] = struct{}{}
			c.ActiveTime = c.SeenTime
			if t >= TypeStreamListpacks3 {
				c.ActiveTime = d.i64le()
			}
			n := d.count()
			c.Pending = make([]StreamID, 0, min(n, 1024))
			for k := 0; k < n; k++ {
				off := d.off
				id := d.rawID()
				idx, ok := pel[id]
				if !ok {
					d.failAt(off, "consumer PEL entry %s not in the group PEL", id)
				}
				if g.Pending[idx].Consumer != nil {
					d.failAt(off, "PEL entry %s owned twice", id)
				}
				g.Pending[idx].Consumer = c.Name
				c.Pending = append(c.Pending, id)
			}
			g.Consumers = append(g.Consumers, c)
		}
		s.Groups = append(s.Groups, g)
	}
	return s
}

// streamNode appends the live entries of one node listpack to out.
func (d *decoder) streamNode(off int64, master StreamID, es []lpEntry, out []StreamEntry) []StreamEntry {
	pos := 0
	next := func() lpEntry {
		if pos >= len(es) {
			d.failAt(off, "stream listpack truncated")
		}
		pos++
		return es[pos-1]
	}
	nextInt := func() int64 {
		v, ok := next().int()
		if !ok {
			d.failAt(off, "stream listpack: integer expected")
		}
		return v
	}
	count, deleted := nextInt(), nextInt()
	nf := nextInt()
	if count < 0 || deleted < 0 || nf < 0 || nf > int64(len(es)) || count+deleted > int64(len(es)) {
		d.failAt(off, "stream listpack: bad master entry")
	}
	fields := make([][]byte, nf)
	for i := range fields {
		fields[i] = next().bytes()
	}
	if nextInt() != 0 {
		d.failAt(off, "stream listpack: bad master entry terminator")
	}
	for r := int64(0); r < count+deleted; r++ {
		flags := nextInt()
		id := StreamID{master.Ms + uint64(nextInt()), master.Seq + uint64(nextInt())}
		var fs []Field
		var want int64
		if flags&2 != 0 { // SAMEFIELDS
			fs = make([]Field, nf)
			for i := range fs {
				fs[i] = Field{Name: fields[i], Value: next().bytes()}
			}
			want = 3 + nf
		} else {
			n := nextInt()
			if n < 0 || n > int64(len(es)) {
				d.failAt(off, "stream listpack: bad field count %d", n)
			}
			fs = make([]Field, n)
			for i := range fs {
				fs[i].Name = next().bytes()
				fs[i].Value = next().bytes()
			}
			want = 4 + 2*n
		}
		if nextInt() != want {
			d.failAt(off, "stream listpack: bad entry count for %s", id)
		}
		if flags&1 == 0 {
			out = append(out, StreamEntry{ID: id, Fields: fs})
		}
	}
	if pos != len(es) {
		d.failAt(off, "stream listpack: %d trailing entries", len(es)-pos)
	}
	return out
}
