package bus

// Header is the fixed 2256-byte clusterMsg header (§2). The signature and totlen are not
// stored: Decode checks them and Encode computes them.
type Header struct {
	Ver          uint16 // always ProtoVersion on the wire; Decode rejects anything else
	Port         uint16 // sender's announced client port
	Type         MsgType
	Count        uint16 // gossip entries; for PING/PONG/MEET Encode writes len(Message.Gossip)
	CurrentEpoch uint64
	ConfigEpoch  uint64 // a replica sends its master's
	Offset       uint64 // replication offset
	Sender       NodeName
	MySlots      SlotBitmap // a replica sends its master's
	SlaveOf      NodeName   // all zero for a master
	MyIP         IP         // empty unless cluster-announce-ip
	Extensions   uint16     // for PING/PONG/MEET Encode writes len(Message.Extensions)
	NotUsed1     [30]byte   // reserved, zero from Redis; kept for exact re-encoding
	PPort        uint16
	CPort        uint16
	Flags        NodeFlags // sender's own flags, unmasked (includes FlagMyself)
	State        uint8     // StateOK or StateFail
	MFlags       [3]byte   // MFlags[0] holds MFlag*; the other two bytes are unused
}

// GossipEntry is one 104-byte clusterMsgDataGossip (§4.1).
type GossipEntry struct {
	Name         NodeName
	PingSent     uint32 // seconds (ms/1000), not milliseconds
	PongReceived uint32 // seconds
	IP           IP
	Port         uint16
	CPort        uint16
	Flags        NodeFlags
	PPort        uint16
	NotUsed1     uint16
}

// Extension is one ping extension (§4.2), kept raw whatever its type. Data is the payload
// after the 8-byte extension header; Encode zero-pads it to a multiple of 8.
type Extension struct {
	Type   ExtType
	Unused uint16
	Data   []byte
}

// HostnameExt builds the 7.0 hostname extension: name, NUL, zero padding to 8 bytes.
func HostnameExt(name string) Extension {
	data := make([]byte, (len(name)+1+7)&^7)
	copy(data, name)
	return Extension{Type: ExtHostname, Data: data}
}

// Hostname returns the payload of a hostname extension up to its first NUL.
func (e Extension) Hostname() (string, bool) {
	if e.Type != ExtHostname {
		return "", false
	}
	for i, c := range e.Data {
		if c == 0 {
			return string(e.Data[:i]), true
		}
	}
	return string(e.Data), true
}

// UpdateBody is the UPDATE body (§4.6).
type UpdateBody struct {
	ConfigEpoch uint64
	Name        NodeName
	Slots       SlotBitmap
}

// ModuleBody is the MODULE body (§4.7).
type ModuleBody struct {
	// ModuleID is copied in the sender's host byte order by Redis; it is read and written
	// little-endian here (every platform Redis runs on in practice), which round-trips the
	// bytes whatever they are.
	ModuleID uint64
	Type     uint8
	Payload  []byte
}

// Message is one bus message. Only the body fields belonging to Header.Type are used by
// Encode and filled by Decode.
type Message struct {
	Header Header

	Gossip     []GossipEntry // PING, PONG, MEET
	Extensions []Extension   // PING, PONG, MEET

	FailName NodeName // FAIL: the node declared failed

	Channel []byte // PUBLISH, PUBLISHSHARD
	Payload []byte // PUBLISH, PUBLISHSHARD: the published message

	Update UpdateBody // UPDATE
	Module ModuleBody // MODULE

	Body []byte // types 7.0 does not know (>= TypeCount): the raw body
}

// Hostname returns the hostname announced by a PING/PONG/MEET: the last hostname
// extension, as 7.0 keeps the last one it walks over. A message without one clears the
// sender's hostname on a 7.0 receiver (§4.2).
func (m *Message) Hostname() (string, bool) {
	if !m.Header.Type.HasGossip() {
		return "", false
	}
	name, ok := "", false
	for _, e := range m.Extensions {
		if h, isHost := e.Hostname(); isHost {
			name, ok = h, true
		}
	}
	return name, ok
}

// SyncExtFlag sets MFlagExtData exactly when the message carries extensions, the way 7.0
// builds PING/PONG/MEET (pitfall 6: a receiver validates by the flag but walks by count).
func (m *Message) SyncExtFlag() {
	if m.Header.Type.HasGossip() && len(m.Extensions) > 0 {
		m.Header.MFlags[0] |= MFlagExtData
	} else {
		m.Header.MFlags[0] &^= MFlagExtData
	}
}
