package state

import (
	"fmt"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// Two masters killed at the same moment, each with one replica: two elections run at
// once among the three surviving masters (each voter acks one request per epoch), both
// replicas end up promoted with their masters' slots everywhere, each epoch has one winner
// and the cluster is ok again.
func TestTwoSimultaneousElections(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := createCluster(t, 7, 5, seed, nil) // replicas: 5 of 0, 6 of 1
			per := bus.SlotCount / 5
			c.kill(0)
			c.kill(1)
			c.runUntil(60_000, "both replicas promoted, cluster ok", func() bool {
				o0, ok0 := c.ownerEverywhere(0)
				o1, ok1 := c.ownerEverywhere(per)
				return ok0 && ok1 && o0 == c.id(5) && o1 == c.id(6) && c.allOK()
			})
			winners := map[string]bool{}
			for e, w := range c.wins {
				if len(w) != 1 {
					t.Errorf("epoch %d won by %v", e, w)
				}
				for _, id := range w {
					winners[id] = true
				}
			}
			if !winners[c.id(5)] || !winners[c.id(6)] || len(winners) != 2 {
				t.Errorf("winners %v, want the two replicas", winners)
			}
			for k, v := range c.acks {
				if v > 1 {
					t.Errorf("voter/epoch %s acked %d times", k, v)
				}
			}
			for _, i := range []int{5, 6} {
				if me := c.nodes[i].s.Myself(); me.MasterID != "" {
					t.Errorf("node %d still follows %s", i, me.MasterID)
				}
			}
		})
	}
}
