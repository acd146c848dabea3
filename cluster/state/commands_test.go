package state

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// Error texts as redis-server 7.0.15 replied them on a fresh cluster node.
func TestCommandErrors(t *testing.T) {
	s, _ := New(DefaultConfig(30001), Hooks{}, rand.NewPCG(3, 4), baseNow)
	me := s.MyID()
	const now = baseNow
	errOf := func(_ Output, err error) string {
		if err == nil {
			return "OK"
		}
		return err.Error()
	}
	cases := []struct {
		got, want string
	}{
		{errOf(s.Meet(now, []string{"127.0.0.1", "x"})), "ERR Invalid TCP base port specified: x"},
		{errOf(s.Meet(now, []string{"127.0.0.1", "1", "x"})), "ERR Invalid TCP bus port specified: x"},
		{errOf(s.Meet(now, []string{"1.2.3", "5"})), "ERR Invalid node address specified: 1.2.3:5"},
		{errOf(s.Meet(now, []string{"127.0.0.1", "70000"})), "ERR Invalid node address specified: 127.0.0.1:70000"},
		{errOf(s.Forget(now, "abc")), "ERR Unknown node abc"},
		{errOf(s.Forget(now, me)), "ERR I tried hard but I can't forget myself..."},
		{errOf(s.AddSlots(now, []string{"x"})), "ERR Invalid or out of range slot"},
		{errOf(s.AddSlots(now, []string{"16384"})), "ERR Invalid or out of range slot"},
		{errOf(s.AddSlots(now, []string{"1", "1"})), "ERR Slot 1 specified multiple times"},
		{errOf(s.AddSlotsRange(now, []string{"1"})), "ERR wrong number of arguments for 'cluster|addslotsrange' command"},
		{errOf(s.AddSlotsRange(now, []string{"5", "1"})), "ERR start slot number 5 is greater than end slot number 1"},
		{errOf(s.AddSlotsRange(now, []string{"1", "2", "3"})), "ERR wrong number of arguments for 'cluster|addslotsrange' command"},
		{errOf(s.DelSlots(now, []string{"7"})), "ERR Slot 7 is already unassigned"},
		{errOf(s.SetSlot(now, []string{"1", "migrating", "abc"})), "ERR I'm not the owner of hash slot 1"},
		{errOf(s.SetSlot(now, []string{"1", "importing", "abc"})), "ERR I don't know about node abc"},
		{errOf(s.SetSlot(now, []string{"1", "node", "abc"})), "ERR Unknown node abc"},
		{errOf(s.SetSlot(now, []string{"1", "foo"})), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{errOf(s.SetSlot(now, []string{"x", "stable"})), "ERR Invalid or out of range slot"},
		{errOf(s.Replicate(now, "abc")), "ERR Unknown node abc"},
		{errOf(s.Replicate(now, me)), "ERR Can't replicate myself"},
		{errOf(s.Failover(now, "")), "ERR You should send CLUSTER FAILOVER to a replica"},
		{errOf(s.Failover(now, "foo")), "ERR syntax error"},
		{errOf(s.SetConfigEpoch(now, "-1")), "ERR Invalid config epoch specified: -1"},
		{errOf(s.SetConfigEpoch(now, "x")), "ERR value is not an integer or out of range"},
		{errOf(s.Reset(now, "foo")), "ERR syntax error"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
	if _, err := s.CountFailureReports(now, "abc"); err == nil || err.Error() != "ERR Unknown node abc" {
		t.Errorf("COUNT-FAILURE-REPORTS: %v", err)
	}
	// The same sequence of epoch commands as against the real server.
	if r, _ := s.BumpEpoch(now); r != "BUMPED 1" {
		t.Errorf("BUMPEPOCH: %s", r)
	}
	if got := errOf(s.SetConfigEpoch(now, "5")); got != "ERR Node config epoch is already non-zero" {
		t.Error(got)
	}
	if r, _ := s.BumpEpoch(now); r != "STILL 1" {
		t.Errorf("BUMPEPOCH: %s", r)
	}
	if got := errOf(s.AddSlots(now, []string{"1"})); got != "OK" {
		t.Error(got)
	}
	if got := errOf(s.AddSlots(now, []string{"1"})); got != "ERR Slot 1 is already busy" {
		t.Error(got)
	}
	if got := errOf(s.SetSlot(now, []string{"1", "importing", me})); got != "ERR I'm already the owner of hash slot 1" {
		t.Error(got)
	}
	if got := errOf(s.FlushSlots(now)); got != "OK" || s.Myself().NumSlots != 0 {
		t.Errorf("FLUSHSLOTS: %s, %d slots", got, s.Myself().NumSlots)
	}
	// MEET twice to the same address starts one handshake.
	s.Meet(now, []string{"127.0.0.1", "30002"})
	s.Meet(now, []string{"127.0.0.1", "30002"})
	if n := len(s.Nodes()); n != 2 {
		t.Errorf("%d nodes after two MEETs", n)
	}
	if got := errOf(s.SetConfigEpoch(now, "9")); got != "ERR The user can assign a config epoch only when the node does not know any other node." {
		t.Error(got)
	}
	// Handshake nodes expire after max(node_timeout, 1000) ms.
	s.Tick(now + 100)
	s.Tick(now + 15_100)
	if n := len(s.Nodes()); n != 1 {
		t.Errorf("%d nodes after the handshake timeout", n)
	}
	// RESET HARD takes a new id and zero epochs.
	s.Reset(now, "hard")
	if s.MyID() == me || s.CurrentEpoch() != 0 || s.Myself().ConfigEpoch != 0 {
		t.Errorf("after RESET HARD: id %s epoch %d/%d", s.MyID(), s.CurrentEpoch(), s.Myself().ConfigEpoch)
	}
}

// Keys still in a slot block SETSLOT NODE to another node; ownership and open-slot
// state follow the commands otherwise.
func TestSetSlot(t *testing.T) {
	c := createCluster(t, 3, 3, 91, nil)
	a, b := c.nodes[0], c.nodes[1]
	a.keys[5] = 2
	_, err := a.s.SetSlot(c.now, []string{"5", "node", b.s.MyID()})
	if err == nil || err.Error() != "ERR Can't assign hashslot 5 to a different node while I still hold keys for this hash slot." {
		t.Fatalf("SETSLOT NODE with keys: %v", err)
	}
	c.do(0, func(s *State) (Output, error) { return s.SetSlot(c.now, []string{"5", "MIGRATING", b.s.MyID()}) })
	c.do(1, func(s *State) (Output, error) { return s.SetSlot(c.now, []string{"5", "importing", a.s.MyID()}) })
	if a.s.Migrating(5) != b.s.MyID() || b.s.Importing(5) != a.s.MyID() {
		t.Fatal("open slot state not recorded")
	}
	if line := string(b.s.ClusterNodes()); !strings.Contains(line, "[5-<-"+a.s.MyID()+"]") {
		t.Errorf("importing slot not shown:\n%s", line)
	}
	a.keys[5] = 0
	epochB := b.s.Myself().ConfigEpoch
	c.do(1, func(s *State) (Output, error) { return s.SetSlot(c.now, []string{"5", "node", b.s.MyID()}) })
	c.do(0, func(s *State) (Output, error) { return s.SetSlot(c.now, []string{"5", "node", b.s.MyID()}) })
	if b.s.Myself().ConfigEpoch <= epochB || b.s.Importing(5) != "" || a.s.Migrating(5) != "" {
		t.Errorf("closing the import: epoch %d (was %d)", b.s.Myself().ConfigEpoch, epochB)
	}
	c.runUntil(5000, "slot 5 moved everywhere", func() bool { o, ok := c.ownerEverywhere(5); return ok && o == b.s.MyID() })
	c.run(1000)
	if !c.allOK() {
		t.Error("cluster not ok after the move")
	}
}

// A PING from an unknown node on an inbound link gets a PONG and changes nothing else;
// the header a node builds announces its state.
func TestUnknownSenderAndHeader(t *testing.T) {
	s, _ := New(DefaultConfig(30001), Hooks{ReplOffset: func() int64 { return 77 }}, rand.NewPCG(5, 6), baseNow)
	s.AddSlots(baseNow, []string{"0"})
	l := s.Accept(baseNow, "10.0.0.9", "10.0.0.1")
	ping := &bus.Message{Header: bus.Header{Ver: 1, Type: bus.TypePing, CurrentEpoch: 50, ConfigEpoch: 50}}
	copy(ping.Header.Sender[:], "ffffffffffffffffffffffffffffffffffffffff")
	out := s.Step(baseNow, l, ping)
	if len(out.Sends) != 1 || out.Sends[0].Link != l || out.Sends[0].Msg.Header.Type != bus.TypePong {
		t.Fatalf("reply %+v", out.Sends)
	}
	h := out.Sends[0].Msg.Header
	if s.CurrentEpoch() != 0 || len(s.Nodes()) != 1 {
		t.Errorf("unknown sender changed state: epoch %d, %d nodes", s.CurrentEpoch(), len(s.Nodes()))
	}
	if h.Flags != bus.FlagMaster|bus.FlagMyself || h.Offset != 77 || !h.MySlots.Has(0) || h.State != bus.StateFail ||
		h.Port != 30001 || h.CPort != 40001 || string(h.Sender[:]) != s.MyID() {
		t.Errorf("header %+v", h)
	}
	// The first PING with an empty own IP teaches it.
	if s.Myself().IP != "10.0.0.1" {
		t.Errorf("own IP %q", s.Myself().IP)
	}
}
