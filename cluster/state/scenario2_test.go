package state

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// CLUSTER FAILOVER in its three modes, on a healthy master.
func TestManualFailover(t *testing.T) {
	for _, mode := range []string{"", "FORCE", "TAKEOVER"} {
		t.Run("mode="+mode, func(t *testing.T) {
			c := createCluster(t, 4, 3, 31, nil)
			c.nodes[0].offset, c.nodes[3].offset = 500, 500
			c.run(1000)
			master, replica := c.id(0), c.id(3)
			acksBefore := c.sent[bus.TypeFailoverAuthAck]
			c.do(3, func(s *State) (Output, error) { return s.Failover(c.now, mode) })
			if mode == "" {
				if c.sent[bus.TypeMFStart] != 1 {
					t.Fatalf("MFSTART sent %d times", c.sent[bus.TypeMFStart])
				}
				if c.nodes[0].paused != c.now+10_000 {
					t.Errorf("master paused until %d, now %d", c.nodes[0].paused, c.now)
				}
			}
			c.runUntil(3000, "switch", func() bool {
				o, ok := c.ownerEverywhere(0)
				return ok && o == replica
			})
			c.runUntil(5000, "old master follows", func() bool {
				return c.nodes[0].s.Myself().MasterID == replica && c.allOK()
			})
			if mode == "" && c.nodes[0].paused != 0 {
				t.Error("old master still paused after the switch")
			}
			acks := c.sent[bus.TypeFailoverAuthAck] - acksBefore
			if mode == "TAKEOVER" && acks != 0 || mode != "TAKEOVER" && acks < 2 {
				t.Errorf("%d votes for mode %q", acks, mode)
			}
			if ni, _ := c.nodes[1].s.Node(master); ni.Flags&bus.FlagFail != 0 {
				t.Error("old master flagged FAIL")
			}
		})
	}
}

// The default mode waits for the replica to reach the master's paused offset, and gives
// up after 5 s.
func TestManualFailoverWaitsForOffset(t *testing.T) {
	c := createCluster(t, 4, 3, 32, nil)
	c.nodes[0].offset, c.nodes[3].offset = 900, 800
	c.run(1000)
	c.do(3, func(s *State) (Output, error) { return s.Failover(c.now, "") })
	c.run(2000)
	if c.sent[bus.TypeFailoverAuthRequest] != 0 {
		t.Fatal("election started before the replica caught up")
	}
	c.nodes[3].offset = 900
	c.runUntil(2000, "switch", func() bool { o, ok := c.ownerEverywhere(0); return ok && o == c.id(3) })

	// Never catching up: the attempt times out and the master resumes.
	c = createCluster(t, 4, 3, 33, nil)
	c.nodes[0].offset, c.nodes[3].offset = 900, 800
	c.do(3, func(s *State) (Output, error) { return s.Failover(c.now, "") })
	c.run(6000)
	if o, _ := c.ownerEverywhere(0); o != c.id(0) || c.nodes[0].paused != 0 {
		t.Errorf("owner %s, master paused until %d", o, c.nodes[0].paused)
	}
	found := false
	for _, l := range c.nodes[3].logs {
		found = found || l.Text == "Manual failover timed out."
	}
	if !found {
		t.Error("no timeout logged")
	}
}

// CLUSTER FORGET keeps the node out for 60 s even though gossip keeps naming it.
func TestForgetBlacklist(t *testing.T) {
	c := createCluster(t, 3, 3, 41, nil)
	gone := c.id(2)
	c.do(0, func(s *State) (Output, error) { return s.Forget(c.now, gone) })
	if _, ok := c.nodes[0].s.Node(gone); ok {
		t.Fatal("node still known right after FORGET")
	}
	start := c.now
	for c.now-start < 55_000 {
		c.run(1000)
		if _, ok := c.nodes[0].s.Node(gone); ok {
			t.Fatalf("forgotten node re-added after %d ms", c.now-start)
		}
	}
	c.runUntil(20_000, "re-added after the blacklist expired", func() bool {
		_, ok := c.nodes[0].s.Node(gone)
		return ok
	})
	if c.now-start < blacklistTTL {
		t.Errorf("re-added after %d ms", c.now-start)
	}
}

// Messages lost at random (20%) once the cluster runs: failover still completes with one
// winner per epoch. (Redis relies on TCP: a MEET lost before the handshake is never
// retried, so losses start after convergence.)
func TestLossyNetwork(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := createCluster(t, 5, 3, 50+seed, nil)
			c.dropRate = 0.2
			c.run(5000)
			c.kill(0)
			c.runUntil(60_000, "promotion", func() bool {
				o, ok := c.ownerEverywhere(0)
				return ok && (o == c.id(3))
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

// PUBLISH goes to every node, SPUBLISH to the shard only.
func TestPublish(t *testing.T) {
	c := createCluster(t, 4, 3, 61, nil)
	c.apply(c.nodes[1], c.nodes[1].s.Publish(c.now, []byte("news"), []byte("hi"), false))
	c.apply(c.nodes[3], c.nodes[3].s.Publish(c.now, []byte("sc"), []byte("sh"), true))
	c.drain()
	for i, tn := range c.nodes {
		var plain, shard int
		for _, p := range tn.pub {
			if p.Shard && bytes.Equal(p.Channel, []byte("sc")) {
				shard++
			} else if !p.Shard && string(p.Message) == "hi" {
				plain++
			}
		}
		wantPlain := 1
		if i == 1 {
			wantPlain = 0
		}
		wantShard := 0
		if i == 0 {
			wantShard = 1
		}
		if plain != wantPlain || shard != wantShard {
			t.Errorf("node %d got %d publish, %d spublish", i, plain, shard)
		}
	}
}

// A master whose only replica failed (it keeps MIGRATE_TO) gets a replica from the
// master with the most good replicas: the one with the smallest id moves.
func TestReplicaMigration(t *testing.T) {
	c := createCluster(t, 7, 3, 71, nil) // replicas: 3->0, 4->1, 5->2, 6->0
	c.kill(5)
	want := min(c.id(3), c.id(6))
	c.runUntil(30_000, "migration", func() bool {
		n, _ := c.nodes[1].s.Node(want)
		return n.MasterID == c.id(2)
	})
	other := max(c.id(3), c.id(6))
	if n, _ := c.nodes[1].s.Node(other); n.MasterID != c.id(0) {
		t.Errorf("both replicas moved")
	}
}

// cluster-replica-no-failover keeps a replica from taking over automatically.
func TestReplicaNoFailover(t *testing.T) {
	c := createCluster(t, 4, 3, 81, func(cfg *Config) { cfg.ReplicaNoFailover = true })
	if n, _ := c.nodes[0].s.Node(c.id(3)); n.Flags&bus.FlagNoFailover == 0 {
		t.Fatal("nofailover flag not propagated")
	}
	c.kill(0)
	c.run(10_000)
	if c.sent[bus.TypeFailoverAuthRequest] != 0 {
		t.Fatal("a nofailover replica asked for votes")
	}
}
