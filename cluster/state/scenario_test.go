package state

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// Fresh nodes meet, learn each other through gossip and leave the epoch-0 collision
// with distinct configEpochs; the greatest id never moves.
func TestMeetConvergeAndEpochCollision(t *testing.T) {
	for _, n := range []int{3, 5} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("n%d/seed%d", n, seed), func(t *testing.T) {
				c := newCluster(t, n, seed, nil)
				c.meetAll()
				c.runUntil(20_000, "convergence", c.allKnowEachOther)
				distinct := func() bool {
					seen := map[uint64]bool{}
					for _, tn := range c.nodes {
						e := tn.s.Myself().ConfigEpoch
						if seen[e] {
							return false
						}
						seen[e] = true
					}
					return true
				}
				c.runUntil(30_000, "distinct config epochs", distinct)
				maxID, maxIdx := "", 0
				for i := range c.nodes {
					if c.id(i) > maxID {
						maxID, maxIdx = c.id(i), i
					}
				}
				if e := c.nodes[maxIdx].s.Myself().ConfigEpoch; e != 0 {
					t.Errorf("greatest id %s moved to epoch %d", maxID, e)
				}
				// Every node's view of every other node's epoch agrees with the owner.
				c.run(3000)
				for _, tn := range c.nodes {
					for _, other := range c.nodes {
						ni, _ := tn.s.Node(other.s.MyID())
						if ni.ConfigEpoch != other.s.Myself().ConfigEpoch {
							t.Errorf("node %d sees %s at epoch %d, it has %d", tn.idx, ni.ID, ni.ConfigEpoch, other.s.Myself().ConfigEpoch)
						}
					}
					if tn.s.OK() {
						t.Errorf("node %d: cluster_state ok without slots", tn.idx)
					}
					checkConfigRoundTrip(t, tn.s)
				}
			})
		}
	}
}

func TestCreateClusterStateOK(t *testing.T) {
	c := createCluster(t, 6, 3, 7, nil)
	for _, tn := range c.nodes {
		info := tn.s.Info()
		for _, want := range []string{"cluster_state:ok\r\n", "cluster_slots_assigned:16384\r\n",
			"cluster_slots_ok:16384\r\n", "cluster_known_nodes:6\r\n", "cluster_size:3\r\n",
			"cluster_current_epoch:6\r\n"} {
			if !strings.Contains(info, want) {
				t.Errorf("node %d: CLUSTER INFO lacks %q:\n%s", tn.idx, want, info)
			}
		}
		if len(tn.s.Slots()) != 3 || len(tn.s.Shards()) != 3 {
			t.Errorf("node %d: %d slot ranges, %d shards", tn.idx, len(tn.s.Slots()), len(tn.s.Shards()))
		}
		checkConfigRoundTrip(t, tn.s)
	}
	// Replicas announce their master's epoch.
	if !strings.Contains(c.nodes[3].s.Info(), "cluster_my_epoch:1\r\n") {
		t.Errorf("replica of node 0:\n%s", c.nodes[3].s.Info())
	}
}

// A master cut off from the others is PFAIL then FAIL on the majority side, which
// loses full coverage; the minority side fails on its own. Healing brings ok back once
// the FAIL is older than 2*node_timeout.
func TestPartitionedMaster(t *testing.T) {
	c := createCluster(t, 3, 3, 11, nil)
	victim := c.id(2)
	c.partition([]int{2}, false)
	flag := func(i int) bus.NodeFlags { n, _ := c.nodes[i].s.Node(victim); return n.Flags }
	c.runUntil(3000, "PFAIL", func() bool { return flag(0)&(bus.FlagPFail|bus.FlagFail) != 0 })
	c.runUntil(5000, "FAIL on both", func() bool { return flag(0)&bus.FlagFail != 0 && flag(1)&bus.FlagFail != 0 })
	if c.sent[bus.TypeFail] == 0 {
		t.Error("no FAIL message was broadcast")
	}
	c.run(200)
	for i := 0; i < 3; i++ {
		if c.nodes[i].s.OK() {
			t.Errorf("node %d still ok during the partition", i)
		}
	}
	if info := c.nodes[0].s.Info(); !strings.Contains(info, "cluster_slots_fail:5462\r\n") {
		t.Errorf("slots of the FAIL master:\n%s", info)
	}
	c.partition([]int{2}, true)
	c.runUntil(10_000, "ok after healing", c.allOK)
	if flag(0)&(bus.FlagFail|bus.FlagPFail) != 0 {
		t.Errorf("victim still flagged %s", flagWords(flag(0)))
	}
}

func flagWords(f bus.NodeFlags) string { return fmt.Sprintf("%#x", f) }

// A killed master's replica wins the election, takes the slots with a new epoch, and
// the cluster is ok again; the returning old master gets an UPDATE and follows.
func TestFailoverAndUpdateOnReturn(t *testing.T) {
	c := createCluster(t, 4, 3, 21, nil)
	oldMaster, replica := c.id(0), c.id(3)
	epochBefore := c.nodes[0].s.Myself().ConfigEpoch
	c.kill(0)
	c.runUntil(15_000, "promotion", func() bool {
		o, ok := c.ownerEverywhere(0)
		return ok && o == replica
	})
	c.runUntil(10_000, "ok after failover", c.allOK)
	me := c.nodes[3].s.Myself()
	if me.Flags&bus.FlagMaster == 0 || me.ConfigEpoch <= epochBefore || me.ConfigEpoch != c.nodes[3].s.CurrentEpoch() {
		t.Errorf("promoted replica: flags %#x epoch %d (old %d) current %d", me.Flags, me.ConfigEpoch, epochBefore, c.nodes[3].s.CurrentEpoch())
	}
	if me.NumSlots != 5461 {
		t.Errorf("promoted replica serves %d slots", me.NumSlots)
	}
	for e, w := range c.wins {
		if len(w) != 1 {
			t.Errorf("epoch %d won by %v", e, w)
		}
	}

	// The old master comes back with its stale table.
	c.nodes[0].alive = true
	c.runUntil(10_000, "old master demoted", func() bool {
		m := c.nodes[0].s.Myself()
		return m.Flags&bus.FlagSlave != 0 && m.MasterID == replica && m.NumSlots == 0
	})
	if c.sent[bus.TypeUpdate] == 0 {
		t.Error("no UPDATE was sent to the stale master")
	}
	c.runUntil(10_000, "everyone sees the old master as replica", func() bool {
		for _, tn := range c.nodes {
			n, _ := tn.s.Node(oldMaster)
			if n.MasterID != replica || n.Flags&bus.FlagFail != 0 {
				return false
			}
		}
		return c.allOK()
	})
}

// Two replicas of one master: whatever the timing, one election wins per epoch, each
// voter acks at most once per epoch, and the loser follows the winner.
func TestTwoReplicasOneWinner(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := createCluster(t, 5, 3, seed, nil)
			c.do(4, func(s *State) (Output, error) { return s.Replicate(c.now, c.id(0)) })
			c.runUntil(5000, "second replica known", func() bool {
				for _, tn := range c.nodes {
					n, _ := tn.s.Node(c.id(4))
					if n.MasterID != c.id(0) {
						return false
					}
				}
				return true
			})
			c.kill(0)
			var winner string
			c.runUntil(20_000, "one promotion", func() bool {
				o, ok := c.ownerEverywhere(0)
				winner = o
				return ok && (o == c.id(3) || o == c.id(4))
			})
			c.runUntil(10_000, "loser follows winner", func() bool {
				loser := 3
				if winner == c.id(3) {
					loser = 4
				}
				return c.nodes[loser].s.Myself().MasterID == winner && c.allOK()
			})
			for e, w := range c.wins {
				if len(w) != 1 {
					t.Errorf("epoch %d won by %v", e, w)
				}
			}
			for k, v := range c.acks {
				if v > 1 {
					t.Errorf("voter/epoch %s acked %d times", k, v)
				}
			}
		})
	}
}
