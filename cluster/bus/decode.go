package bus

import (
	"bytes"
	"encoding/binary"
)

// Decode parses exactly one message; buf must hold totlen bytes, no more, no less. It
// applies the receiver checks of Redis 7.0 (§4.8, §4.2) and returns a *DecodeError (match
// the kind with errors.Is) for anything 7.0 would drop or close the link on, plus a few
// inputs 7.0 would misread (extensions without EXT_DATA, extension lengths below 8).
// The returned message does not alias buf.
func Decode(buf []byte) (*Message, error) {
	if len(buf) < 8 {
		return nil, errorf(ErrTruncated, len(buf), "need 8 bytes of prefix, have %d", len(buf))
	}
	if !bytes.Equal(buf[:4], []byte(Signature)) {
		return nil, errorf(ErrSignature, 0, "got %q", buf[:4])
	}
	totlen := be.Uint32(buf[4:])
	if totlen < HeaderLen {
		return nil, errorf(ErrFrameLength, 4, "totlen %d below the %d-byte header", totlen, HeaderLen)
	}
	if uint64(totlen) > uint64(len(buf)) {
		return nil, errorf(ErrTruncated, len(buf), "totlen %d but only %d bytes", totlen, len(buf))
	}
	if uint64(totlen) < uint64(len(buf)) {
		return nil, errorf(ErrTrailing, int(totlen), "totlen %d but %d bytes", totlen, len(buf))
	}
	m := &Message{}
	h := &m.Header
	h.Ver = be.Uint16(buf[8:])
	if h.Ver != ProtoVersion {
		return nil, errorf(ErrVersion, 8, "version %d", h.Ver)
	}
	decodeHeader(h, buf)
	body := buf[HeaderLen:]
	var err error
	switch t := h.Type; {
	case t.HasGossip():
		err = decodePing(m, body)
	case t == TypeFail:
		if err = wantLen(t, len(buf), FailLen); err == nil {
			copy(m.FailName[:], body)
		}
	case t == TypePublish || t == TypePublishShard:
		err = decodePublish(m, body)
	case t == TypeFailoverAuthRequest || t == TypeFailoverAuthAck || t == TypeMFStart:
		err = wantLen(t, len(buf), HeaderLen)
	case t == TypeUpdate:
		if err = wantLen(t, len(buf), UpdateLen); err == nil {
			m.Update.ConfigEpoch = be.Uint64(body)
			copy(m.Update.Name[:], body[8:48])
			copy(m.Update.Slots[:], body[48:])
		}
	case t == TypeModule:
		err = decodeModule(m, body)
	default:
		// 7.0 trusts totlen for unknown types; keep the body as is.
		m.Body = bytes.Clone(body)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func decodeHeader(h *Header, b []byte) {
	h.Port = be.Uint16(b[10:])
	h.Type = MsgType(be.Uint16(b[12:]))
	h.Count = be.Uint16(b[14:])
	h.CurrentEpoch = be.Uint64(b[16:])
	h.ConfigEpoch = be.Uint64(b[24:])
	h.Offset = be.Uint64(b[32:])
	copy(h.Sender[:], b[40:80])
	copy(h.MySlots[:], b[80:2128])
	copy(h.SlaveOf[:], b[2128:2168])
	copy(h.MyIP[:], b[2168:2214])
	h.Extensions = be.Uint16(b[2214:])
	copy(h.NotUsed1[:], b[2216:2246])
	h.PPort = be.Uint16(b[2246:])
	h.CPort = be.Uint16(b[2248:])
	h.Flags = NodeFlags(be.Uint16(b[2250:]))
	h.State = b[2252]
	copy(h.MFlags[:], b[2253:2256])
}

func wantLen(t MsgType, got, want int) error {
	if got != want {
		return errorf(ErrLength, 4, "%s message has totlen %d, want %d", t, got, want)
	}
	return nil
}

func decodePing(m *Message, body []byte) error {
	h := &m.Header
	gossipEnd := int(h.Count) * GossipLen
	if gossipEnd > len(body) {
		return errorf(ErrLength, 14, "count %d needs %d bytes, totlen %d",
			h.Count, HeaderLen+gossipEnd, HeaderLen+len(body))
	}
	if h.Count > 0 {
		m.Gossip = make([]GossipEntry, h.Count)
		for i := range m.Gossip {
			getGossip(&m.Gossip[i], body[i*GossipLen:])
		}
	}
	rest := body[gossipEnd:]
	if h.MFlags[0]&MFlagExtData == 0 {
		// 7.0 computes the length without extensions but still walks h.Extensions
		// entries past the packet; refuse that instead of reading garbage.
		if h.Extensions != 0 {
			return errorf(ErrExtension, 2214, "%d extensions but EXT_DATA flag clear", h.Extensions)
		}
		if len(rest) != 0 {
			return errorf(ErrLength, 4, "%s with count %d has totlen %d, want %d",
				h.Type, h.Count, HeaderLen+len(body), HeaderLen+gossipEnd)
		}
		return nil
	}
	off := HeaderLen + gossipEnd
	for i := 0; i < int(h.Extensions); i++ {
		if len(rest) < ExtHeaderLen {
			return errorf(ErrExtension, off, "extension %d of %d: %d bytes left, need %d",
				i, h.Extensions, len(rest), ExtHeaderLen)
		}
		n := be.Uint32(rest)
		if n%8 != 0 || n < ExtHeaderLen || uint64(n) > uint64(len(rest)) {
			return errorf(ErrExtension, off, "extension %d length %d (must be a multiple of 8, >= 8, <= %d)",
				i, n, len(rest))
		}
		m.Extensions = append(m.Extensions, Extension{
			Type:   ExtType(be.Uint16(rest[4:])),
			Unused: be.Uint16(rest[6:]),
			Data:   bytes.Clone(rest[ExtHeaderLen:n]),
		})
		rest = rest[n:]
		off += int(n)
	}
	if len(rest) != 0 {
		return errorf(ErrLength, off, "%d bytes after the last of %d extensions", len(rest), h.Extensions)
	}
	return nil
}

func getGossip(g *GossipEntry, p []byte) {
	copy(g.Name[:], p[0:40])
	g.PingSent = be.Uint32(p[40:])
	g.PongReceived = be.Uint32(p[44:])
	copy(g.IP[:], p[48:94])
	g.Port = be.Uint16(p[94:])
	g.CPort = be.Uint16(p[96:])
	g.Flags = NodeFlags(be.Uint16(p[98:]))
	g.PPort = be.Uint16(p[100:])
	g.NotUsed1 = be.Uint16(p[102:])
}

func decodePublish(m *Message, body []byte) error {
	if len(body) < publishFixed {
		return errorf(ErrLength, 4, "%s totlen %d below %d", m.Header.Type, HeaderLen+len(body), HeaderLen+publishFixed)
	}
	clen, mlen := uint64(be.Uint32(body)), uint64(be.Uint32(body[4:]))
	if publishFixed+clen+mlen != uint64(len(body)) {
		return errorf(ErrLength, HeaderLen, "channel_len %d + message_len %d do not fill totlen %d",
			clen, mlen, HeaderLen+len(body))
	}
	m.Channel = bytes.Clone(body[publishFixed : publishFixed+clen])
	m.Payload = bytes.Clone(body[publishFixed+clen:])
	return nil
}

func decodeModule(m *Message, body []byte) error {
	if len(body) < moduleFixed {
		return errorf(ErrLength, 4, "module totlen %d below %d", HeaderLen+len(body), HeaderLen+moduleFixed)
	}
	n := uint64(be.Uint32(body[8:]))
	if moduleFixed+n != uint64(len(body)) {
		return errorf(ErrLength, HeaderLen+8, "module len %d does not fill totlen %d", n, HeaderLen+len(body))
	}
	m.Module.ModuleID = binary.LittleEndian.Uint64(body)
	m.Module.Type = body[12]
	m.Module.Payload = bytes.Clone(body[moduleFixed:])
	return nil
}
