package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/proctest"
)

// fakeView is a handoffView over a literal slot map.
type fakeView struct {
	ok        bool
	me        state.NodeInfo
	owners    map[int]string
	nodes     map[string]state.NodeInfo
	importing map[int]string
}

func (v *fakeView) OK() bool                  { return v.ok }
func (v *fakeView) Myself() state.NodeInfo    { return v.me }
func (v *fakeView) SlotOwner(slot int) string { return v.owners[slot] }
func (v *fakeView) Importing(slot int) string { return v.importing[slot] }
func (v *fakeView) Node(id string) (state.NodeInfo, bool) {
	n, ok := v.nodes[id]
	return n, ok
}

func TestPlanHandoff(t *testing.T) {
	me := state.NodeInfo{ID: "me", IP: "127.0.0.1", Port: 7000, Flags: bus.FlagMaster | bus.FlagMyself}
	v := &fakeView{
		ok: true, me: me,
		owners: map[int]string{1: "me", 2: "b", 3: "b", 4: "failing", 5: "noaddr", 6: "pfail", 8: "gone"},
		nodes: map[string]state.NodeInfo{
			"me":      me,
			"b":       {ID: "b", IP: "127.0.0.1", Port: 7001, Flags: bus.FlagMaster},
			"failing": {ID: "failing", IP: "127.0.0.1", Port: 7002, Flags: bus.FlagMaster | bus.FlagFail},
			"pfail":   {ID: "pfail", IP: "127.0.0.1", Port: 7003, Flags: bus.FlagMaster | bus.FlagPFail},
			"noaddr":  {ID: "noaddr", Flags: bus.FlagMaster | bus.FlagNoAddr},
		},
		importing: map[int]string{3: "b"},
	}
	pending := []int{1, 2, 3, 4, 5, 6, 7, 8}
	send, served := planHandoff(v, pending)
	want := []handoffJob{{2, HandoffTarget{ID: "b", IP: "127.0.0.1", Port: 7001}}}
	if !reflect.DeepEqual(send, want) || !reflect.DeepEqual(served, []int{1}) {
		t.Fatalf("plan: send %+v served %v; want %+v and [1]", send, served, want)
	}
	if got := want[0].to.Addr(); got != "127.0.0.1:7001" {
		t.Fatalf("Addr = %q", got)
	}
	// Nothing moves while the cluster is down, nor from a replica.
	v.ok = false
	if send, served := planHandoff(v, pending); send != nil || served != nil {
		t.Fatalf("cluster down: send %v served %v", send, served)
	}
	v.ok = true
	v.me.Flags = bus.FlagSlave | bus.FlagMyself
	if send, served := planHandoff(v, pending); send != nil || served != nil {
		t.Fatalf("replica: send %v served %v", send, served)
	}
}

// testNode opens and starts a node over its own engine; both close at cleanup.
func testNode(t *testing.T) (*Node, int) {
	t.Helper()
	eng, err := engine.Open(engine.Options{Dir: t.TempDir(), Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	port := proctest.FreePort(t)
	cfg := state.DefaultConfig(port)
	cfg.RequireFullCoverage = false
	n, err := Open(Options{
		Config:     cfg,
		ConfigFile: filepath.Join(t.TempDir(), "nodes.conf"),
		Bind:       []string{"127.0.0.1"},
		BusPort:    port + proctest.BusOffset,
		Engine:     eng,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); eng.Close() })
	return n, port
}

func doCmd(t *testing.T, n *Node, f func(now int64, st *state.State) (state.Output, error)) {
	t.Helper()
	var err error
	n.Do(func(now int64, st *state.State) state.Output {
		var out state.Output
		out, err = f(now, st)
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The loop over a real two-node cluster, with fake data: keys of a slot b owns go to b once
// the cluster is ok (a failed send retried, never counted done while keys remain); keys of
// a slot a owns stay; keys of an unassigned slot wait until it is assigned, to b (sent) or
// to a (served).
func TestHandoffLoop(t *testing.T) {
	a, _ := testNode(t)
	b, portB := testNode(t)
	doCmd(t, a, func(now int64, st *state.State) (state.Output, error) {
		return st.AddSlotsRange(now, []string{"0", "8191"})
	})
	doCmd(t, b, func(now int64, st *state.State) (state.Output, error) {
		return st.AddSlotsRange(now, []string{"8192", "16000"})
	})
	var idB string
	b.View(func(_ int64, st *state.State) { idB = st.MyID() })

	var mu sync.Mutex
	keys := map[int]int64{10: 3, 9000: 2, 9001: 1, 16100: 4, 16200: 5}
	var sent []int
	failOnce := map[int]bool{9001: true}
	var sendErr error
	h := HandoffOptions{
		Period: 20 * time.Millisecond,
		Keys: func(slot int) int64 {
			mu.Lock()
			defer mu.Unlock()
			return keys[slot]
		},
		Send: func(_ context.Context, slot int, to HandoffTarget) (HandoffResult, error) {
			if _, ok := a.Route(slot); !ok {
				sendErr = errors.New("sent while the cluster is not ok")
			}
			if to.ID != idB || to.Port != portB || to.IP != "127.0.0.1" {
				sendErr = errors.New("sent to " + to.ID + " at " + to.Addr())
			}
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, slot)
			if failOnce[slot] {
				delete(failOnce, slot)
				return HandoffResult{}, errors.New("connection refused")
			}
			n := keys[slot]
			delete(keys, slot)
			return HandoffResult{Restored: n}, nil
		},
	}
	if got := a.StartHandoff(h); got != 4 {
		t.Fatalf("StartHandoff found %d slots, want 4 (9000, 9001, 16100, 16200)", got)
	}
	if got := a.HandoffPending(); !reflect.DeepEqual(got, []int{9000, 9001, 16100, 16200}) {
		t.Fatalf("pending %v", got)
	}
	// Nothing is sent before the nodes know each other and the state is ok.
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	early := len(sent)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("sent %d slots before the cluster formed", early)
	}
	doCmd(t, a, func(now int64, st *state.State) (state.Output, error) {
		return st.Meet(now, []string{"127.0.0.1", strconv.Itoa(portB)})
	})
	waitUntil(t, 20*time.Second, "9000 and 9001 handed off", func() bool {
		p := a.HandoffPending()
		return reflect.DeepEqual(p, []int{16100, 16200})
	})
	mu.Lock()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if !reflect.DeepEqual(sent, []int{9000, 9001, 9001}) {
		t.Fatalf("sent %v, want 9000, 9001, then 9001 again after its failure", sent)
	}
	mu.Unlock()

	// Unassigned slots get owners: 16100 b (sent), 16200 a (served, never sent).
	doCmd(t, b, func(now int64, st *state.State) (state.Output, error) {
		return st.AddSlots(now, []string{"16100"})
	})
	doCmd(t, a, func(now int64, st *state.State) (state.Output, error) {
		return st.AddSlots(now, []string{"16200"})
	})
	waitUntil(t, 20*time.Second, "nothing pending", func() bool { return len(a.HandoffPending()) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if !reflect.DeepEqual(sent, []int{9000, 9001, 9001, 16100}) {
		t.Fatalf("sent %v", sent)
	}
	if keys[10] != 3 || keys[16200] != 5 {
		t.Fatalf("keys of slots a serves changed: %v", keys)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}
