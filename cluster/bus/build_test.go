package bus

import (
	"bytes"
	"testing"
)

func mustName(t *testing.T, s string) NodeName {
	n, err := ParseNodeName(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Messages built field by field through the API must equal the captured bytes, so Encode
// is checked independently of Decode.
func TestBuildMatchesCapture(t *testing.T) {
	n30001 := mustName(t, "9fb37fc6082fb665f61f1f988437d2ce89fa8f5c")
	n30002 := mustName(t, "231c3114ec243df6da138bd063818531e02ac833")
	n30006 := mustName(t, "be88ec7b0ffd0fba03b7eb28578f076391bb9599")
	var slots2 SlotBitmap
	slots2.SetRange(SlotRange{5461, 10922})

	meet1 := &Message{
		Header: Header{
			Ver: ProtoVersion, Port: 30002, Type: TypeMeet, CurrentEpoch: 2, ConfigEpoch: 2,
			Sender: n30002, MySlots: slots2, CPort: 40002, Flags: FlagMaster | FlagMyself,
			State: StateFail,
		},
		Extensions: []Extension{HostnameExt("node2.cluster.test")},
	}
	meet1.SyncExtFlag()

	publish := &Message{
		Header: Header{
			Ver: ProtoVersion, Port: 30002, Type: TypePublish, CurrentEpoch: 6, ConfigEpoch: 2,
			Offset: 2498, Sender: n30002, MySlots: slots2, CPort: 40002,
			Flags: FlagMaster | FlagMyself | FlagMigrateTo, State: StateOK,
		},
		Channel: []byte("news"), Payload: []byte("hello from 30002"),
	}

	update := &Message{
		Header: Header{
			Ver: ProtoVersion, Port: 30006, Type: TypeUpdate, CurrentEpoch: 7, ConfigEpoch: 7,
			Offset: 2498, Sender: n30006, MySlots: slots2, CPort: 40006,
			Flags: FlagMaster | FlagMyself | FlagMigrateTo, State: StateOK,
		},
		Update: UpdateBody{ConfigEpoch: 7, Name: n30006, Slots: slots2},
	}

	var slots1 SlotBitmap
	slots1.SetRange(SlotRange{0, 5460})
	ackHeader := Header{
		Ver: ProtoVersion, Port: 30001, Type: TypeFailoverAuthAck, CurrentEpoch: 8, ConfigEpoch: 1,
		Offset: 2676, Sender: n30001, MySlots: slots1, CPort: 40001,
		Flags: FlagMaster | FlagMyself | FlagMigrateTo, State: StateFail,
	}

	ping2 := &Message{
		Header: Header{
			Ver: ProtoVersion, Port: 30001, Type: TypePing, CurrentEpoch: 6, ConfigEpoch: 1,
			Offset: 2662, Sender: n30001, MySlots: slots1, CPort: 40001,
			Flags: FlagMaster | FlagMyself | FlagMigrateTo, State: StateOK,
		},
		Gossip: []GossipEntry{
			{Name: mustName(t, "83016c8c59d8d28a5110494a5417e69cd3078419"), PingSent: 1795304203, PongReceived: 1795304202,
				IP: MakeIP("127.0.0.1"), Port: 30005, CPort: 40005, Flags: FlagSlave},
			{Name: n30002, PongReceived: 1795304203, IP: MakeIP("127.0.0.1"), Port: 30002, CPort: 40002,
				Flags: FlagMaster | FlagMigrateTo},
			{Name: mustName(t, "adc1d0bc6ed409d57d4233e68d6f3d74c45382f1"), PongReceived: 1795304202,
				IP: MakeIP("127.0.0.1"), Port: 30004, CPort: 40004, Flags: FlagSlave},
		},
		Extensions: []Extension{HostnameExt("node1.cluster.test")},
	}
	ping2.SyncExtFlag()

	cases := []struct {
		file string
		m    *Message
	}{
		{"meet-1.bin", meet1},
		{"publish-1.bin", publish},
		{"update-1.bin", update},
		{"auth-ack-1.bin", &Message{Header: ackHeader}},
		{"ping-2.bin", ping2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			want := readCorpus(t, c.file)
			if got := Encode(c.m); !bytes.Equal(got, want) {
				t.Fatalf("built message differs from capture at byte %d (len %d vs %d)",
					firstDiff(got, want), len(got), len(want))
			}
		})
	}
}

func TestEncodeDerivesCounts(t *testing.T) {
	m := &Message{Header: Header{Ver: 1, Type: TypePong, Count: 99, Extensions: 99}}
	m.Gossip = make([]GossipEntry, 2)
	m.Extensions = []Extension{{Type: ExtShardID, Data: []byte{1, 2, 3}}} // padded to 8
	m.SyncExtFlag()
	b := Encode(m)
	if len(b) != HeaderLen+2*GossipLen+16 || be.Uint16(b[14:]) != 2 || be.Uint16(b[2214:]) != 1 {
		t.Fatalf("len %d count %d ext %d", len(b), be.Uint16(b[14:]), be.Uint16(b[2214:]))
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Extensions[0].Data, []byte{1, 2, 3, 0, 0, 0, 0, 0}) || got.Extensions[0].Type != ExtShardID {
		t.Fatalf("ext %+v", got.Extensions[0])
	}
	if _, ok := got.Hostname(); ok {
		t.Fatal("no hostname extension, Hostname() must report false")
	}
	m.Extensions = nil
	m.SyncExtFlag()
	if m.Header.MFlags[0]&MFlagExtData != 0 {
		t.Fatal("SyncExtFlag left EXT_DATA set without extensions")
	}
}

func TestHostnameExt(t *testing.T) {
	cases := []struct {
		name    string
		wantLen int
	}{
		{"", 8}, {"a", 8}, {"1234567", 8}, {"12345678", 16}, {"node1.cluster.test", 24},
	}
	for _, c := range cases {
		e := HostnameExt(c.name)
		if len(e.Data) != c.wantLen || e.Data[len(c.name)] != 0 {
			t.Errorf("%q: payload %d bytes, want %d", c.name, len(e.Data), c.wantLen)
		}
		if h, ok := e.Hostname(); !ok || h != c.name {
			t.Errorf("%q: Hostname() = %q %v", c.name, h, ok)
		}
	}
}

func TestSlotBitmap(t *testing.T) {
	var b SlotBitmap
	b.SetRange(SlotRange{0, 7})
	if b[0] != 0xff || b[1] != 0 {
		t.Fatalf("slots 0-7: byte0 %#x byte1 %#x", b[0], b[1])
	}
	b.Set(8)
	if b[1] != 0x01 {
		t.Fatalf("slot 8 must be bit 0 of byte 1, got %#x", b[1])
	}
	b.Set(16383)
	if b[2047] != 0x80 {
		t.Fatalf("slot 16383 must be bit 7 of byte 2047, got %#x", b[2047])
	}
	b.Set(-1)
	b.Set(16384)
	b.Clear(3)
	got := b.Ranges()
	want := []SlotRange{{0, 2}, {4, 8}, {16383, 16383}}
	if len(got) != len(want) {
		t.Fatalf("ranges %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranges %v, want %v", got, want)
		}
	}
	if b.Count() != 9 || !b.Has(16383) || b.Has(3) || b.Has(16384) || b.Has(-1) {
		t.Fatalf("count %d", b.Count())
	}
	var full SlotBitmap
	full.SetRange(SlotRange{-5, 20000})
	if full.Count() != SlotCount || len(full.Ranges()) != 1 {
		t.Fatal("full range")
	}
}

func TestNamesAndTypes(t *testing.T) {
	for _, s := range []string{"", "9fb37fc6082fb665f61f1f988437d2ce89fa8f5", "9FB37FC6082FB665F61F1F988437D2CE89FA8F5C",
		"9fb37fc6082fb665f61f1f988437d2ce89fa8f5c0", "9fb37fc6082fb665f61f1f988437d2ce89fa8f-c"} {
		if _, err := ParseNodeName(s); err == nil {
			t.Errorf("ParseNodeName(%q) accepted", s)
		}
	}
	if n := mustName(t, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"); n.IsZero() || n.String()[0] != 'z' {
		t.Error("a-z ids are valid")
	}
	if ip := MakeIP("2001:db8:85a3:8d3:1319:8a2e:370:7348:ffff:ffff:ffff"); len(ip.String()) != IPLen-1 {
		t.Errorf("MakeIP must keep a terminating NUL, got %d chars", len(ip.String()))
	}
	want := []string{"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"}
	for i, w := range want {
		if MsgType(i).StatName() != w || MsgType(i).String() != w {
			t.Errorf("type %d: %q", i, MsgType(i).StatName())
		}
	}
	if TypeCount != 11 || MsgType(11).String() != "type-11" {
		t.Error("type count")
	}
}
