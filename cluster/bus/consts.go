package bus

import "strconv"

// Fixed sizes of the 7.0 wire format (cluster.h; Redis static-asserts every offset).
const (
	Signature     = "RCmb"
	ProtoVersion  = 1    // CLUSTER_PROTO_VER
	HeaderLen     = 2256 // CLUSTERMSG_MIN_LEN: header without body
	GossipLen     = 104  // one clusterMsgDataGossip
	ExtHeaderLen  = 8    // length u32 + type u16 + unused u16
	FailLen       = HeaderLen + NameLen
	UpdateLen     = HeaderLen + 8 + NameLen + SlotBitmapLen // 4352
	NameLen       = 40                                      // CLUSTER_NAMELEN
	IPLen         = 46                                      // NET_IP_STR_LEN
	SlotCount     = 16384
	SlotBitmapLen = SlotCount / 8
	publishFixed  = 8  // channel_len + message_len
	moduleFixed   = 13 // module_id + len + type
)

// MsgType is the header "type" field.
type MsgType uint16

// Message types of Redis 7.0 (CLUSTERMSG_TYPE_*).
const (
	TypePing MsgType = iota
	TypePong
	TypeMeet
	TypeFail
	TypePublish
	TypeFailoverAuthRequest
	TypeFailoverAuthAck
	TypeUpdate
	TypeMFStart
	TypeModule
	TypePublishShard
	TypeCount // CLUSTERMSG_TYPE_COUNT; types >= this are unknown to 7.0
)

var typeStatNames = [TypeCount]string{
	"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack",
	"update", "mfstart", "module", "publishshard",
}

// StatName is the name CLUSTER INFO uses in cluster_stats_messages_<name>_sent/received,
// or "" for a type 7.0 does not know.
func (t MsgType) StatName() string {
	if t < TypeCount {
		return typeStatNames[t]
	}
	return ""
}

// String returns the stat name, or "type-N" for unknown types.
func (t MsgType) String() string {
	if t < TypeCount {
		return typeStatNames[t]
	}
	return "type-" + strconv.Itoa(int(t))
}

// HasGossip reports whether the type carries gossip entries and ping extensions.
func (t MsgType) HasGossip() bool { return t == TypePing || t == TypePong || t == TypeMeet }

// NodeFlags are the 16-bit node flags of the header and of gossip entries (§2.1).
type NodeFlags uint16

// Node flags (CLUSTER_NODE_*).
const (
	FlagMaster     NodeFlags = 1 << 0
	FlagSlave      NodeFlags = 1 << 1
	FlagPFail      NodeFlags = 1 << 2
	FlagFail       NodeFlags = 1 << 3
	FlagMyself     NodeFlags = 1 << 4
	FlagHandshake  NodeFlags = 1 << 5
	FlagNoAddr     NodeFlags = 1 << 6
	FlagMeet       NodeFlags = 1 << 7
	FlagMigrateTo  NodeFlags = 1 << 8
	FlagNoFailover NodeFlags = 1 << 9
)

// Message flags, bits of Header.MFlags[0] (CLUSTERMSG_FLAG0_*).
const (
	MFlagPaused   byte = 1 << 0
	MFlagForceAck byte = 1 << 1
	MFlagExtData  byte = 1 << 2
)

// Cluster state byte of the header.
const (
	StateOK   uint8 = 0
	StateFail uint8 = 1
)

// ExtType is a ping extension type.
type ExtType uint16

// Ping extension types. 7.0 knows only ExtHostname; the others are 7.2+ numbers that a 7.0
// node logs as unknown and skips. Decode keeps every extension raw whatever its type.
const (
	ExtHostname      ExtType = 0
	ExtHumanNodename ExtType = 1 // 7.2+
	ExtForgottenNode ExtType = 2 // 7.2+
	ExtShardID       ExtType = 3 // 7.2+
)
