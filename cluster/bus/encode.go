package bus

import "encoding/binary"

var be = binary.BigEndian

// Len returns the encoded length (the totlen field) of m.
func (m *Message) Len() int {
	switch t := m.Header.Type; {
	case t.HasGossip():
		n := HeaderLen + GossipLen*min(len(m.Gossip), 0xffff)
		for _, e := range m.Extensions[:min(len(m.Extensions), 0xffff)] {
			n += ExtHeaderLen + pad8(len(e.Data))
		}
		return n
	case t == TypeFail:
		return FailLen
	case t == TypePublish || t == TypePublishShard:
		return HeaderLen + publishFixed + len(m.Channel) + len(m.Payload)
	case t == TypeFailoverAuthRequest || t == TypeFailoverAuthAck || t == TypeMFStart:
		return HeaderLen
	case t == TypeUpdate:
		return UpdateLen
	case t == TypeModule:
		return HeaderLen + moduleFixed + len(m.Module.Payload)
	default:
		return HeaderLen + len(m.Body)
	}
}

func pad8(n int) int { return (n + 7) &^ 7 }

// Encode returns the wire bytes of m. For PING/PONG/MEET the count and extensions header
// fields are taken from len(Gossip) and len(Extensions) (at most 65535 of each are written);
// every other field, MFlags included, is written as stored (see SyncExtFlag).
func Encode(m *Message) []byte {
	return m.AppendTo(make([]byte, 0, m.Len()))
}

// AppendTo appends the wire bytes of m to dst.
func (m *Message) AppendTo(dst []byte) []byte {
	total := m.Len()
	start := len(dst)
	dst = append(dst, make([]byte, total)...)
	b := dst[start:]
	h := &m.Header

	count, exts := h.Count, h.Extensions
	gossip, extList := m.Gossip, m.Extensions
	if h.Type.HasGossip() {
		gossip = gossip[:min(len(gossip), 0xffff)]
		extList = extList[:min(len(extList), 0xffff)]
		count, exts = uint16(len(gossip)), uint16(len(extList))
	}

	copy(b[0:4], Signature)
	be.PutUint32(b[4:], uint32(total))
	be.PutUint16(b[8:], h.Ver)
	be.PutUint16(b[10:], h.Port)
	be.PutUint16(b[12:], uint16(h.Type))
	be.PutUint16(b[14:], count)
	be.PutUint64(b[16:], h.CurrentEpoch)
	be.PutUint64(b[24:], h.ConfigEpoch)
	be.PutUint64(b[32:], h.Offset)
	copy(b[40:80], h.Sender[:])
	copy(b[80:2128], h.MySlots[:])
	copy(b[2128:2168], h.SlaveOf[:])
	copy(b[2168:2214], h.MyIP[:])
	be.PutUint16(b[2214:], exts)
	copy(b[2216:2246], h.NotUsed1[:])
	be.PutUint16(b[2246:], h.PPort)
	be.PutUint16(b[2248:], h.CPort)
	be.PutUint16(b[2250:], uint16(h.Flags))
	b[2252] = h.State
	copy(b[2253:2256], h.MFlags[:])

	body := b[HeaderLen:]
	switch t := h.Type; {
	case t.HasGossip():
		for i := range gossip {
			putGossip(body[i*GossipLen:], &gossip[i])
		}
		p := body[len(gossip)*GossipLen:]
		for _, e := range extList {
			n := ExtHeaderLen + pad8(len(e.Data))
			be.PutUint32(p, uint32(n))
			be.PutUint16(p[4:], uint16(e.Type))
			be.PutUint16(p[6:], e.Unused)
			copy(p[ExtHeaderLen:], e.Data)
			p = p[n:]
		}
	case t == TypeFail:
		copy(body, m.FailName[:])
	case t == TypePublish || t == TypePublishShard:
		be.PutUint32(body, uint32(len(m.Channel)))
		be.PutUint32(body[4:], uint32(len(m.Payload)))
		copy(body[8:], m.Channel)
		copy(body[8+len(m.Channel):], m.Payload)
	case t == TypeUpdate:
		be.PutUint64(body, m.Update.ConfigEpoch)
		copy(body[8:48], m.Update.Name[:])
		copy(body[48:], m.Update.Slots[:])
	case t == TypeModule:
		binary.LittleEndian.PutUint64(body, m.Module.ModuleID)
		be.PutUint32(body[8:], uint32(len(m.Module.Payload)))
		body[12] = m.Module.Type
		copy(body[13:], m.Module.Payload)
	case t == TypeFailoverAuthRequest || t == TypeFailoverAuthAck || t == TypeMFStart:
	default:
		copy(body, m.Body)
	}
	return dst
}

func putGossip(p []byte, g *GossipEntry) {
	copy(p[0:40], g.Name[:])
	be.PutUint32(p[40:], g.PingSent)
	be.PutUint32(p[44:], g.PongReceived)
	copy(p[48:94], g.IP[:])
	be.PutUint16(p[94:], g.Port)
	be.PutUint16(p[96:], g.CPort)
	be.PutUint16(p[98:], uint16(g.Flags))
	be.PutUint16(p[100:], g.PPort)
	be.PutUint16(p[102:], g.NotUsed1)
}
