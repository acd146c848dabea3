package nodesconf

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

const (
	idA  = "9fb37fc6082fb665f61f1f988437d2ce89fa8f5c"
	idB  = "be88ec7b0ffd0fba03b7eb28578f076391bb9599"
	meOK = idA + " 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n"
)

func TestParseErrors(t *testing.T) {
	other := func(fields string) string { return meOK + idB + " " + fields + "\n" }
	cases := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"no myself", idB + " 127.0.0.1:1@2 master - 0 0 0 connected\n", 0, "no node is flagged myself"},
		{"only blank lines", "\n\n\n", 0, "no node is flagged myself"},
		{"vars only", "vars currentEpoch 1 lastVoteEpoch 1\n", 0, "myself"},
		{"seven fields", meOK + idB + " 127.0.0.1:1@2 master - 0 0 0\n", 2, "7 fields, need at least 8"},
		{"short id", "abc 127.0.0.1:1@2 myself,master - 0 0 0 connected\n", 1, "invalid node id"},
		{"uppercase id", strings.ToUpper(idA) + " 127.0.0.1:1@2 myself,master - 0 0 0 connected\n", 1, "invalid node id"},
		{"no colon", other("127.0.0.1 master - 0 0 0 connected"), 2, "no ':'"},
		{"bad port", other("127.0.0.1:x@2 master - 0 0 0 connected"), 2, "port"},
		{"port too big", other("127.0.0.1:65536@2 master - 0 0 0 connected"), 2, "out of range"},
		{"bad bus port", other("127.0.0.1:1@ master - 0 0 0 connected"), 2, "bus port"},
		{"unknown flag", other("127.0.0.1:1@2 master,migrate_to - 0 0 0 connected"), 2, `unknown flag "migrate_to"`},
		{"empty flag word", other("127.0.0.1:1@2 master, - 0 0 0 connected"), 2, `unknown flag ""`},
		{"bad master id", other("127.0.0.1:1@2 slave xyz 0 0 0 connected"), 2, "invalid master id"},
		{"bad ping", other("127.0.0.1:1@2 master - x 0 0 connected"), 2, "field 5"},
		{"bad pong", other("127.0.0.1:1@2 master - 0 1e3 0 connected"), 2, "field 6"},
		{"negative epoch", other("127.0.0.1:1@2 master - 0 0 -1 connected"), 2, "field 7"},
		{"epoch overflow", other("127.0.0.1:1@2 master - 0 0 18446744073709551616 connected"), 2, "out of range"},
		{"link state", other("127.0.0.1:1@2 master - 0 0 0 up"), 2, "link state"},
		{"slot too big", other("127.0.0.1:1@2 master - 0 0 0 connected 16384"), 2, "out of range 0-16383"},
		{"range end too big", other("127.0.0.1:1@2 master - 0 0 0 connected 1-16384"), 2, "out of range"},
		{"range reversed", other("127.0.0.1:1@2 master - 0 0 0 connected 9-3"), 2, "ends before it starts"},
		{"slot garbage", other("127.0.0.1:1@2 master - 0 0 0 connected 5x"), 2, "not a decimal"},
		{"open slot no bracket", meOK[:len(meOK)-1] + " [100->-" + idB + "\n", 1, "without closing"},
		{"open slot bad arrow", meOK[:len(meOK)-1] + " [100-x-" + idB + "]\n", 1, "neither"},
		{"open slot bad id", meOK[:len(meOK)-1] + " [100->-abc]\n", 1, "invalid node id"},
		{"open slot out of range", meOK[:len(meOK)-1] + " [16384-<-" + idB + "]\n", 1, "out of range"},
		{"two myself", meOK + idB + " 127.0.0.1:1@2 myself,slave " + idA + " 0 0 0 connected\n", 2, "second node flagged myself"},
		{"duplicate", meOK + meOK, 2, "listed twice"},
		{"vars even args", meOK + "vars currentEpoch\n", 2, "pairs"},
		{"vars bad value", meOK + "vars currentEpoch x lastVoteEpoch 0\n", 2, "currentEpoch"},
		{"unbalanced quote", meOK + "\"abc\n", 2, "unbalanced"},
		{"space in hostname", other("'127.0.0.1:1@2,a b' master - 0 0 0 connected"), 2, "hostname"},
		{"NUL in ip", other("\"127\\x000:1@2\" master - 0 0 0 connected"), 2, "ip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.in))
			var pe *ParseError
			if cfg != nil || !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, %v; want *ParseError", cfg, err)
			}
			if pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
				t.Fatalf("error %q (line %d), want line %d containing %q", err, pe.Line, c.line, c.msg)
			}
		})
	}
	if _, err := Parse(nil); err != ErrEmpty {
		t.Fatalf("empty file: %v, want ErrEmpty", err)
	}
}

// What 7.0's loader accepts beyond what it writes.
func TestParseLenient(t *testing.T) {
	in := "\n" + // blank line
		"  \t\r\n" + // whitespace-only line
		"VARS lastVoteEpoch 3 futureVar x currentEpoch 9\r\n" + // vars first, any case, unknown var
		idA + " '127.0.0.1:30001' MYSELF,Master,noflags -- 5 6 \"7\" connected 0-5460 16383\r\n" +
		idB + " 10.0.0.2:6379,host,with,commas slave " + idA + " 0 0 0 disconnected" // no final newline
	c, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.CurrentEpoch != 9 || c.LastVoteEpoch != 3 || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "line 3") ||
		!strings.Contains(c.Warnings[0], "futureVar") {
		t.Fatalf("vars %d %d warnings %q", c.CurrentEpoch, c.LastVoteEpoch, c.Warnings)
	}
	a, b := c.Nodes[0], c.Nodes[1]
	if a.Port != 30001 || a.CPort != 40001 || a.Flags != bus.FlagMyself|bus.FlagMaster || a.MasterID != "" ||
		a.PingSent != 5 || a.PongReceived != 6 || a.ConfigEpoch != 7 ||
		!slices.Equal(a.Slots, []bus.SlotRange{{Start: 0, End: 5460}, {Start: 16383, End: 16383}}) {
		t.Fatalf("node A %+v", a)
	}
	if b.Hostname != "host,with,commas" || b.CPort != 16379 || b.Connected || b.MasterID != idA {
		t.Fatalf("node B %+v", b)
	}
	want := idA + " 127.0.0.1:30001@40001 myself,master - 5 6 7 connected 0-5460 16383\n" +
		idB + " 10.0.0.2:6379@16379,host,with,commas slave " + idA + " 0 0 0 disconnected\n" +
		"vars currentEpoch 9 lastVoteEpoch 3\n"
	if got := string(Format(c)); got != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", got, want)
	}
}

func TestIPv6Address(t *testing.T) {
	c, err := Parse([]byte(idA + " ::1:30001@40001 myself,master - 0 0 0 connected\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Nodes[0]; n.IP != "::1" || n.Port != 30001 || n.CPort != 40001 {
		t.Fatalf("%+v", n)
	}
}

func TestFlags(t *testing.T) {
	cases := []struct {
		f    bus.NodeFlags
		want string
	}{
		{0, "noflags"},
		{bus.FlagMeet | bus.FlagMigrateTo, "noflags"},
		{bus.FlagMaster | bus.FlagMyself | bus.FlagMigrateTo, "myself,master"},
		{bus.FlagSlave | bus.FlagMyself | bus.FlagNoFailover, "myself,slave,nofailover"},
		{bus.FlagMaster | bus.FlagPFail | bus.FlagFail, "master,fail?,fail"},
		{bus.FlagHandshake | bus.FlagNoAddr, "handshake,noaddr"},
		{0x3ff, "myself,master,slave,fail?,fail,handshake,noaddr,nofailover"},
	}
	for _, c := range cases {
		if got := FlagString(c.f); got != c.want {
			t.Errorf("FlagString(%#x) = %q, want %q", c.f, got, c.want)
		}
		back, err := ParseFlags(c.want)
		if err != nil || back != c.f&^(bus.FlagMeet|bus.FlagMigrateTo) {
			t.Errorf("ParseFlags(%q) = %#x, %v", c.want, back, err)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  a  b\tc\r", []string{"a", "b", "c"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`"\x41\n\"" 'it\'s'`, []string{"A\n\"", "it's"}, false},
		{`ab"cd"`, []string{"abcd"}, false},
		{`"ab"cd`, nil, true},
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`""`, []string{""}, false},
	}
	for _, c := range cases {
		got, err := splitArgs(c.in)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("splitArgs(%q) = %q, %v", c.in, got, err)
		}
	}
}

// Format leaves handshake nodes out of the file; CLUSTER NODES shows them.
func TestHandshakeOnlyInClusterNodes(t *testing.T) {
	c := &Config{
		Nodes: []Node{
			{ID: idA, IP: "127.0.0.1", Port: 30001, CPort: 40001, Flags: bus.FlagMyself | bus.FlagMaster, Connected: true,
				Slots:     []bus.SlotRange{{Start: 0, End: 99}, {Start: 101, End: 5460}},
				OpenSlots: []OpenSlot{{Slot: 100, State: Migrating, NodeID: idB}, {Slot: 200, State: Importing, NodeID: idB}}},
			{ID: idB, IP: "127.0.0.1", Port: 30009, CPort: 40009, Flags: bus.FlagHandshake | bus.FlagMeet,
				PingSent: 1795304313001},
		},
		CurrentEpoch: 2, LastVoteEpoch: 1,
	}
	lineA := idA + " 127.0.0.1:30001@40001 myself,master - 0 0 0 connected 0-99 101-5460 [100->-" + idB + "] [200-<-" + idB + "]\n"
	lineB := idB + " 127.0.0.1:30009@40009 handshake - 1795304313001 0 0 disconnected\n"
	if got := string(Format(c)); got != lineA+"vars currentEpoch 2 lastVoteEpoch 1\n" {
		t.Errorf("Format:\n%s", got)
	}
	if got := string(FormatClusterNodes(c.Nodes)); got != lineA+lineB {
		t.Errorf("FormatClusterNodes:\n%s", got)
	}
	nodes, err := ParseClusterNodes([]byte(lineA + lineB))
	if err != nil || len(nodes) != 2 || !nodeEqual(&nodes[0], &c.Nodes[0]) || nodes[1].Flags != bus.FlagHandshake {
		t.Fatalf("ParseClusterNodes: %v %+v", err, nodes)
	}
}
