package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/state"
)

// Keys found in slots this node does not serve (a standalone's data files loaded in cluster
// mode). Redis 7.0 claims unassigned slots that hold keys and opens IMPORTING on the others
// (verifyClusterConfigWithData), which leaves `redis-cli --cluster check` complaining about
// open slots. slotdb never changes the slot map because of keys: the keys of slots another
// master owns are handed to that owner (RESTORE without REPLACE, the owner's value winning
// on BUSYKEY) once the cluster is ok, and deleted here only after the owner answered for
// them; keys of unassigned slots wait until the slot gets an owner (this node: served here).
//
// Only slots that hold keys when the hand-off starts (right after loading) are candidates:
// keys that reach a foreign slot later come from a slot migration or a failover in
// progress, which own them.

// HandoffTarget is the master a slot's keys go to.
type HandoffTarget struct {
	ID   string
	IP   string
	Port int // client port
}

// Addr is ip:port.
func (t HandoffTarget) Addr() string { return t.IP + ":" + strconv.Itoa(t.Port) }

// HandoffResult counts what one transfer did.
type HandoffResult struct {
	Restored int64 // restored by the owner, then deleted here
	Existing int64 // the owner already had the key (BUSYKEY): its value kept, ours deleted
}

// HandoffFunc moves every key of slot to t. It deletes a key locally only after t answered
// for it; an error leaves the keys not answered for to a later pass.
type HandoffFunc func(ctx context.Context, slot int, t HandoffTarget) (HandoffResult, error)

// HandoffOptions wire the hand-off to the data.
type HandoffOptions struct {
	Keys func(slot int) int64 // local keys of db 0 in slot
	Send HandoffFunc
	// Period between passes (default 250 ms); a failed slot waits longer (backoff to 30 s).
	Period time.Duration
}

// handoffView is what planning reads of the state machine (*state.State).
type handoffView interface {
	OK() bool
	Myself() state.NodeInfo
	SlotOwner(slot int) string
	Node(id string) (state.NodeInfo, bool)
	Importing(slot int) string
}

// handoffJob is one slot to send.
type handoffJob struct {
	slot int
	to   HandoffTarget
}

// planHandoff decides, for the pending slots, which to send now and which this node now
// serves itself (dropped from the pending set). The others wait: cluster not ok, myself a
// replica, slot unassigned or being imported here, owner failing or without an address.
func planHandoff(v handoffView, pending []int) (send []handoffJob, served []int) {
	me := v.Myself()
	if me.Flags&bus.FlagSlave != 0 || !v.OK() {
		return nil, nil
	}
	for _, slot := range pending {
		owner := v.SlotOwner(slot)
		switch {
		case owner == "":
			continue
		case owner == me.ID:
			served = append(served, slot)
			continue
		case v.Importing(slot) != "":
			continue
		}
		n, ok := v.Node(owner)
		if !ok || n.IP == "" || n.Port == 0 ||
			n.Flags&(bus.FlagFail|bus.FlagPFail|bus.FlagHandshake|bus.FlagNoAddr) != 0 {
			continue
		}
		send = append(send, handoffJob{slot, HandoffTarget{ID: n.ID, IP: n.IP, Port: n.Port}})
	}
	return send, served
}

// handoff is the running hand-off of one node.
type handoff struct {
	n    *Node
	o    HandoffOptions
	mu   sync.Mutex
	slot map[int]*handoffSlot // pending slots
	kick chan struct{}
}

type handoffSlot struct {
	fails int
	next  time.Time // no attempt before
}

// StartHandoff finds the slots holding keys this node does not serve and, in the
// background, hands them to their owners. Call it once, after the data is loaded; it
// returns the number of slots found. The work stops when the node closes.
func (n *Node) StartHandoff(o HandoffOptions) int {
	if o.Period <= 0 {
		o.Period = 250 * time.Millisecond
	}
	h := &handoff{n: n, o: o, slot: map[int]*handoffSlot{}, kick: make(chan struct{}, 1)}
	var keys int64
	var unassigned, foreign int
	n.mu.Lock()
	me := n.st.Myself()
	if me.Flags&bus.FlagSlave == 0 { // a replica's data set is its master's to replace
		for slot := range bus.SlotCount {
			k := o.Keys(slot)
			if k == 0 {
				continue
			}
			owner := n.st.SlotOwner(slot)
			if owner == me.ID || n.st.Importing(slot) != "" {
				continue
			}
			h.slot[slot] = &handoffSlot{}
			keys += k
			if owner == "" {
				unassigned++
			} else {
				foreign++
			}
			n.log.Log(context.Background(), logLevels[state.Verbose], fmt.Sprintf("I have %d keys for slot %d, which I do not serve: they go to the slot's owner once the cluster is ok", k, slot))
		}
	}
	if len(h.slot) > 0 {
		n.handoff = h
	}
	n.mu.Unlock()
	if len(h.slot) == 0 {
		return 0
	}
	n.log.Warn(fmt.Sprintf("The data holds %d keys in %d slots this node does not serve (%d assigned to other masters, %d unassigned): handing them to the slots' owners once the cluster is ok", keys, len(h.slot), foreign, unassigned))
	n.wg.Add(1)
	go h.run()
	return len(h.slot)
}

// HandoffPending returns the slots still waiting to be handed off, in order.
func (n *Node) HandoffPending() []int {
	n.mu.Lock()
	h := n.handoff
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.pending()
}

func (h *handoff) pending() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int, 0, len(h.slot))
	for s := range h.slot {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// wake asks for a pass now (the slot map changed); the caller may hold n.mu.
func (h *handoff) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

func (h *handoff) run() {
	defer h.n.wg.Done()
	t := time.NewTicker(h.o.Period)
	defer t.Stop()
	for {
		if h.pass() {
			h.n.log.Info("Hand-off finished: no keys left in slots this node does not serve")
			return
		}
		select {
		case <-h.n.done:
			return
		case <-t.C:
		case <-h.kick:
		}
	}
}

// pass plans under the node's lock and sends without it; it reports whether nothing is
// pending any more.
func (h *handoff) pass() bool {
	n := h.n
	now := time.Now()
	var ready []int
	h.mu.Lock()
	for s, st := range h.slot {
		if !now.Before(st.next) {
			ready = append(ready, s)
		}
	}
	h.mu.Unlock()
	sort.Ints(ready)
	n.mu.Lock()
	jobs, served := planHandoff(n.st, ready)
	n.mu.Unlock()
	for _, s := range served {
		if k := h.o.Keys(s); k > 0 {
			n.log.Info(fmt.Sprintf("Slot %d is now served by myself: serving its %d keys", s, k))
		}
		h.done(s)
	}
	down := map[string]bool{} // targets that failed in this pass: their other slots wait too
	for _, j := range jobs {
		select {
		case <-n.done:
			return false
		default:
		}
		if down[j.to.ID] {
			h.failed(j.slot, j.to, nil)
			continue
		}
		k := h.o.Keys(j.slot)
		if k == 0 {
			h.done(j.slot)
			continue
		}
		n.log.Info(fmt.Sprintf("Handing %d keys of slot %d to %.40s (%s)", k, j.slot, j.to.ID, j.to.Addr()))
		res, err := h.o.Send(n.ctx, j.slot, j.to)
		if res.Restored > 0 || res.Existing > 0 {
			n.log.Info(fmt.Sprintf("Slot %d: %d keys restored by %.40s, %d already there (its value kept), deleted here", j.slot, res.Restored, j.to.ID, res.Existing))
		}
		if err != nil {
			down[j.to.ID] = true
			h.failed(j.slot, j.to, err)
			continue
		}
		if left := h.o.Keys(j.slot); left > 0 {
			h.failed(j.slot, j.to, fmt.Errorf("%d keys still here", left))
			continue
		}
		h.done(j.slot)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.slot) == 0
}

func (h *handoff) done(slot int) {
	h.mu.Lock()
	delete(h.slot, slot)
	h.mu.Unlock()
}

// failed backs a slot off: 1 s, doubling, at most 30 s. A nil err is not logged (the
// target already failed in this pass).
func (h *handoff) failed(slot int, to HandoffTarget, err error) {
	select {
	case <-h.n.done:
		return // the node is closing: the failure is the shutdown's
	default:
	}
	h.mu.Lock()
	st := h.slot[slot]
	if st == nil {
		h.mu.Unlock()
		return
	}
	st.fails++
	wait := min(time.Second<<min(st.fails-1, 5), 30*time.Second)
	st.next = time.Now().Add(wait)
	h.mu.Unlock()
	if err == nil {
		return
	}
	h.n.log.Warn(fmt.Sprintf("Handing the keys of slot %d to %.40s (%s) failed, retrying in %v: %v", slot, to.ID, to.Addr(), wait, err))
}
