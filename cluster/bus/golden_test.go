package bus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// Shape of vectors.json (only the fields the checks use).
type vectorFile struct {
	Nodes   map[string]string `json:"nodes"`
	Vectors []struct {
		File   string    `json:"file"`
		SHA256 string    `json:"sha256"`
		Length int       `json:"length"`
		Header vecHeader `json:"header"`
	} `json:"vectors"`
	Streams []struct {
		File     string `json:"file"`
		Length   int    `json:"length"`
		Messages []struct {
			Offset int `json:"offset"`
			Length int `json:"length"`
			Type   int `json:"type"`
		} `json:"messages"`
	} `json:"streams"`
}

type vecHeader struct {
	Sig          string   `json:"sig"`
	Totlen       int      `json:"totlen"`
	Ver          int      `json:"ver"`
	Port         int      `json:"port"`
	Count        int      `json:"count"`
	Type         int      `json:"type"`
	TypeName     string   `json:"type_name"`
	CurrentEpoch uint64   `json:"currentEpoch"`
	ConfigEpoch  uint64   `json:"configEpoch"`
	Offset       uint64   `json:"offset"`
	Sender       string   `json:"sender"`
	MySlots      [][2]int `json:"myslots"`
	SlaveOf      *string  `json:"slaveof"`
	MyIP         string   `json:"myip"`
	Extensions   int      `json:"extensions"`
	NotUsedZero  bool     `json:"notused1_allzero"`
	PPort        int      `json:"pport"`
	CPort        int      `json:"cport"`
	Flags        int      `json:"flags"`
	FlagNames    []string `json:"flag_names"`
	State        int      `json:"state"`
	MFlags       [3]int   `json:"mflags"`
	BodyLen      int      `json:"body_len"`
	Body         vecBody  `json:"body"`
}

type vecBody struct {
	Gossip []struct {
		Nodename     string   `json:"nodename"`
		PingSent     uint32   `json:"ping_sent"`
		PongReceived uint32   `json:"pong_received"`
		IP           string   `json:"ip"`
		Port         int      `json:"port"`
		CPort        int      `json:"cport"`
		Flags        int      `json:"flags"`
		FlagNames    []string `json:"flag_names"`
		PPort        int      `json:"pport"`
		NotUsed1     int      `json:"notused1"`
	} `json:"gossip"`
	Ext []struct {
		OffsetInMsg int     `json:"offset_in_msg"`
		Length      int     `json:"length"`
		Type        int     `json:"type"`
		Unused      int     `json:"unused"`
		Hostname    *string `json:"hostname"`
		PayloadHex  *string `json:"payload_hex"`
	} `json:"ext"`
	TrailingBytes int      `json:"trailing_bytes"`
	About         string   `json:"about"`
	ChannelLen    int      `json:"channel_len"`
	MessageLen    int      `json:"message_len"`
	Channel       string   `json:"channel"`
	Message       string   `json:"message"`
	ConfigEpoch   uint64   `json:"configEpoch"`
	Nodename      string   `json:"nodename"`
	Slots         [][2]int `json:"slots"`
}

func loadVectors(t *testing.T) *vectorFile {
	t.Helper()
	var v vectorFile
	if err := json.Unmarshal(readCorpus(t, "vectors.json"), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) < 25 {
		t.Fatalf("vectors.json lists %d vectors, want >= 25", len(v.Vectors))
	}
	return &v
}

// flagNames maps the names vectors.json uses to our constants.
var flagNames = map[string]NodeFlags{
	"master": FlagMaster, "slave": FlagSlave, "pfail": FlagPFail, "fail": FlagFail,
	"myself": FlagMyself, "handshake": FlagHandshake, "noaddr": FlagNoAddr, "meet": FlagMeet,
	"migrate_to": FlagMigrateTo, "nofailover": FlagNoFailover,
}

func flagsFromNames(t *testing.T, names []string) NodeFlags {
	var f NodeFlags
	for _, n := range names {
		bit, ok := flagNames[n]
		if !ok {
			t.Fatalf("unknown flag name %q in vectors.json", n)
		}
		f |= bit
	}
	return f
}

func rangesOf(r [][2]int) []SlotRange {
	out := []SlotRange{}
	for _, x := range r {
		out = append(out, SlotRange{x[0], x[1]})
	}
	return out
}

func ranges(b *SlotBitmap) []SlotRange {
	r := b.Ranges()
	if r == nil {
		r = []SlotRange{}
	}
	return r
}

// TestGoldenVectors decodes every captured message, checks every field against
// vectors.json, and re-encodes it byte for byte.
func TestGoldenVectors(t *testing.T) {
	v := loadVectors(t)
	seen := map[string]bool{}
	for _, vec := range v.Vectors {
		seen[vec.File] = true
		t.Run(vec.File, func(t *testing.T) {
			raw := readCorpus(t, vec.File)
			sum := sha256.Sum256(raw)
			if hex.EncodeToString(sum[:]) != vec.SHA256 || len(raw) != vec.Length {
				t.Fatalf("corpus file differs from vectors.json (sha256/length)")
			}
			m, err := Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkHeader(t, &m.Header, &vec.Header, len(raw))
			checkBody(t, m, &vec.Header)
			if got := Encode(m); !bytes.Equal(got, raw) {
				t.Fatalf("re-encode differs from capture (first diff at %d)", firstDiff(got, raw))
			}
			if m.Len() != len(raw) {
				t.Fatalf("Len() = %d, want %d", m.Len(), len(raw))
			}
		})
	}
	// Every .bin next to vectors.json must be covered (stream files by TestStream).
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "*.bin"))
	for _, f := range files {
		name := filepath.Base(f)
		if !seen[name] && name != "stream-1.bin" {
			t.Errorf("%s has no entry in vectors.json", name)
		}
	}
}

func checkHeader(t *testing.T, h *Header, w *vecHeader, n int) {
	t.Helper()
	if w.Sig != Signature || w.Totlen != n || w.BodyLen != n-HeaderLen {
		t.Errorf("vector sig/totlen/body_len inconsistent: %q %d %d", w.Sig, w.Totlen, w.BodyLen)
	}
	type kv struct {
		name      string
		got, want any
	}
	slaveOf := NodeName{}
	if w.SlaveOf != nil {
		copy(slaveOf[:], *w.SlaveOf)
	}
	checks := []kv{
		{"ver", int(h.Ver), w.Ver},
		{"port", int(h.Port), w.Port},
		{"type", int(h.Type), w.Type},
		{"type name", typeNameJSON(h.Type), w.TypeName},
		{"count", int(h.Count), w.Count},
		{"currentEpoch", h.CurrentEpoch, w.CurrentEpoch},
		{"configEpoch", h.ConfigEpoch, w.ConfigEpoch},
		{"offset", h.Offset, w.Offset},
		{"sender", h.Sender.String(), w.Sender},
		{"slaveof", h.SlaveOf, slaveOf},
		{"slaveof zero", h.SlaveOf.IsZero(), w.SlaveOf == nil},
		{"myip", h.MyIP.String(), w.MyIP},
		{"extensions", int(h.Extensions), w.Extensions},
		{"notused1 zero", h.NotUsed1 == [30]byte{}, w.NotUsedZero},
		{"pport", int(h.PPort), w.PPort},
		{"cport", int(h.CPort), w.CPort},
		{"flags", int(h.Flags), w.Flags},
		{"flag names", h.Flags, flagsFromNames(t, w.FlagNames)},
		{"state", int(h.State), w.State},
		{"mflags", [3]int{int(h.MFlags[0]), int(h.MFlags[1]), int(h.MFlags[2])}, w.MFlags},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got, want := ranges(&h.MySlots), rangesOf(w.MySlots); !slices.Equal(got, want) {
		t.Errorf("myslots = %v, want %v", got, want)
	}
}

// typeNameJSON is the naming vectors.json uses (the Redis constant suffix).
func typeNameJSON(t MsgType) string {
	names := []string{"PING", "PONG", "MEET", "FAIL", "PUBLISH", "FAILOVER_AUTH_REQUEST",
		"FAILOVER_AUTH_ACK", "UPDATE", "MFSTART", "MODULE", "PUBLISHSHARD"}
	if int(t) < len(names) {
		return names[t]
	}
	return ""
}

func checkBody(t *testing.T, m *Message, w *vecHeader) {
	t.Helper()
	b := &w.Body
	switch m.Header.Type {
	case TypePing, TypePong, TypeMeet:
		if len(m.Gossip) != len(b.Gossip) {
			t.Fatalf("gossip entries = %d, want %d", len(m.Gossip), len(b.Gossip))
		}
		for i, g := range m.Gossip {
			wg := b.Gossip[i]
			if g.Name.String() != wg.Nodename || g.PingSent != wg.PingSent ||
				g.PongReceived != wg.PongReceived || g.IP.String() != wg.IP ||
				int(g.Port) != wg.Port || int(g.CPort) != wg.CPort || int(g.Flags) != wg.Flags ||
				g.Flags != flagsFromNames(t, wg.FlagNames) ||
				int(g.PPort) != wg.PPort || int(g.NotUsed1) != wg.NotUsed1 {
				t.Errorf("gossip[%d] = %+v, want %+v", i, g, wg)
			}
		}
		if len(m.Extensions) != len(b.Ext) {
			t.Fatalf("extensions = %d, want %d", len(m.Extensions), len(b.Ext))
		}
		off := HeaderLen + GossipLen*len(m.Gossip)
		var wantHost *string
		for i, e := range m.Extensions {
			we := b.Ext[i]
			if off != we.OffsetInMsg || ExtHeaderLen+len(e.Data) != we.Length ||
				int(e.Type) != we.Type || int(e.Unused) != we.Unused {
				t.Errorf("ext[%d] at %d len %d type %d unused %d, want %+v",
					i, off, ExtHeaderLen+len(e.Data), e.Type, e.Unused, we)
			}
			host, isHost := e.Hostname()
			if isHost != (we.Hostname != nil) || isHost && host != *we.Hostname {
				t.Errorf("ext[%d] hostname %q/%v, want %v", i, host, isHost, we.Hostname)
			}
			if we.PayloadHex != nil && hex.EncodeToString(e.Data) != *we.PayloadHex {
				t.Errorf("ext[%d] payload %x, want %s", i, e.Data, *we.PayloadHex)
			}
			if we.Hostname != nil {
				wantHost = we.Hostname
			}
			off += ExtHeaderLen + len(e.Data)
		}
		host, ok := m.Hostname()
		if ok != (wantHost != nil) || ok && host != *wantHost {
			t.Errorf("Hostname() = %q, %v", host, ok)
		}
		if b.TrailingBytes != 0 {
			t.Errorf("vector has trailing bytes")
		}
	case TypeFail:
		if m.FailName.String() != b.About {
			t.Errorf("fail about %s, want %s", m.FailName, b.About)
		}
	case TypePublish, TypePublishShard:
		if string(m.Channel) != b.Channel || string(m.Payload) != b.Message ||
			len(m.Channel) != b.ChannelLen || len(m.Payload) != b.MessageLen {
			t.Errorf("publish %q %q, want %q %q", m.Channel, m.Payload, b.Channel, b.Message)
		}
	case TypeUpdate:
		if m.Update.ConfigEpoch != b.ConfigEpoch || m.Update.Name.String() != b.Nodename {
			t.Errorf("update %d %s, want %d %s", m.Update.ConfigEpoch, m.Update.Name, b.ConfigEpoch, b.Nodename)
		}
		if got, want := ranges(&m.Update.Slots), rangesOf(b.Slots); !slices.Equal(got, want) {
			t.Errorf("update slots %v, want %v", got, want)
		}
	case TypeFailoverAuthRequest, TypeFailoverAuthAck, TypeMFStart:
		if w.BodyLen != 0 {
			t.Errorf("header-only type with body_len %d", w.BodyLen)
		}
	default:
		t.Errorf("corpus has unexpected type %d", m.Header.Type)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
