package state

import (
	"testing"
)

// The target takes slots 0..9 of master 0 with a fresh epoch, the source binds them to the
// target; every node ends with the target as owner, and the target's epoch is unique.
func TestTakeAndGiveSlots(t *testing.T) {
	c := createCluster(t, 3, 3, 11, nil)
	slots := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	target := c.id(1)
	before := c.nodes[1].s.CurrentEpoch()
	c.do(1, func(s *State) (Output, error) { return s.TakeSlots(c.now, slots) })
	if got := c.nodes[1].s.SlotOwner(5); got != target {
		t.Fatalf("target does not own slot 5 (%s)", got)
	}
	if e := c.nodes[1].s.CurrentEpoch(); e <= before {
		t.Fatalf("epoch %d not bumped from %d", e, before)
	}
	c.do(0, func(s *State) (Output, error) { return s.GiveSlots(c.now, slots, target) })
	c.do(1, func(s *State) (Output, error) { return s.Announce(c.now), nil })
	if got := c.nodes[0].s.SlotOwner(9); got != target {
		t.Fatalf("source still binds slot 9 to %s", got)
	}
	c.runUntil(10_000, "agreement on the new owner", func() bool {
		for _, j := range slots {
			if o, ok := c.ownerEverywhere(j); !ok || o != target {
				return false
			}
		}
		o, ok := c.ownerEverywhere(10)
		return ok && o == c.id(0) && c.allOK()
	})
	// The source keeps its other slots and stays a master.
	if me := c.nodes[0].s.Myself(); me.MasterID != "" {
		t.Fatalf("source became a replica of %s", me.MasterID)
	}
	// Epochs are distinct.
	seen := map[uint64]bool{}
	for i := range c.nodes {
		ni, _ := c.nodes[0].s.Node(c.id(i))
		if seen[ni.ConfigEpoch] {
			t.Fatalf("duplicate configEpoch %d\n%s", ni.ConfigEpoch, c.dump())
		}
		seen[ni.ConfigEpoch] = true
	}
	checkConfigRoundTrip(t, c.nodes[1].s)
	if _, err := c.nodes[0].s.GiveSlots(c.now, slots, "nosuchnode"); err == nil {
		t.Fatal("GiveSlots to an unknown node succeeded")
	}
}

// Without GiveSlots, the target's greater epoch alone moves the slots on every node (the
// source learns it by gossip and deletes its copies through DeleteSlots).
func TestTakeSlotsWinsByEpoch(t *testing.T) {
	c := createCluster(t, 3, 3, 12, nil)
	c.nodes[0].keys[3] = 7
	c.do(2, func(s *State) (Output, error) { return s.TakeSlots(c.now, []int{3}) })
	c.do(2, func(s *State) (Output, error) { return s.Announce(c.now), nil })
	c.runUntil(10_000, "agreement", func() bool {
		o, ok := c.ownerEverywhere(3)
		return ok && o == c.id(2)
	})
}
