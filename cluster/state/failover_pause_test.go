package state

import (
	"strings"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// A master whose writes are paused for a manual failover only announces its offset with
// the PAUSED flag once no write is in flight (Hooks.WritesPaused): the replica must wait
// for the final offset, not take the one current when MFSTART arrived.
func TestManualFailoverWaitsForDrainedPause(t *testing.T) {
	c := createCluster(t, 4, 3, 34, nil)
	c.nodes[0].offset, c.nodes[3].offset = 500, 500
	c.run(1000)
	c.nodes[0].busy = true // a write passed the gate before the pause and is still running
	c.do(3, func(s *State) (Output, error) { return s.Failover(c.now, "") })
	c.run(1000)
	if c.sent[bus.TypeFailoverAuthRequest] != 0 {
		t.Fatal("election started while the master still had writes in flight")
	}
	for _, l := range c.nodes[3].logs {
		if strings.HasPrefix(l.Text, "Received replication offset for paused master") {
			t.Fatalf("replica took an offset before the pause drained: %q", l.Text)
		}
	}
	// The write completes (offset 600) and reaches the replica; then the switch happens.
	c.nodes[0].offset, c.nodes[0].busy = 600, false
	c.run(300)
	if c.sent[bus.TypeFailoverAuthRequest] != 0 {
		t.Fatal("election started before the replica processed the final offset")
	}
	c.nodes[3].offset = 600
	c.runUntil(2000, "switch", func() bool { o, ok := c.ownerEverywhere(0); return ok && o == c.id(3) })
	found := false
	for _, l := range c.nodes[3].logs {
		found = found || l.Text == "Received replication offset for paused master manual failover: 600"
	}
	if !found {
		t.Error("replica did not log the drained offset 600")
	}
}

// Replica migration when the replicas were attached by CLUSTER REPLICATE after the slots
// were assigned (redis-cli --cluster create without replicas, then add-node --slave).
func TestReplicaMigrationAfterReplicate(t *testing.T) {
	c := createCluster(t, 6, 3, 72, nil) // replicas: 3->0, 4->1, 5->2
	c.do(5, func(s *State) (Output, error) { return s.Replicate(c.now, c.id(0)) })
	c.runUntil(10_000, "5 replicates 0", func() bool {
		n, _ := c.nodes[1].s.Node(c.id(5))
		return n.MasterID == c.id(0)
	})
	c.kill(4)
	want := min(c.id(3), c.id(5))
	c.runUntil(30_000, "migration", func() bool {
		n, _ := c.nodes[1].s.Node(want)
		return n.MasterID == c.id(1)
	})
}

// cluster-replica-validity-factor: a replica whose data is too old (Hooks.DataAge beyond
// node_timeout * factor + repl-ping-replica-period) does not run for election; once its
// data is fresh enough it does.
func TestFailoverDataAge(t *testing.T) {
	c := createCluster(t, 4, 3, 35, nil) // replica 3 -> master 0
	c.run(1000)
	// Limit: 10 s ping period + 1 s node timeout * 10; the age counts beyond node_timeout.
	c.nodes[3].age = 1000 + 20_001
	c.kill(0)
	c.run(12_000)
	if c.sent[bus.TypeFailoverAuthRequest] != 0 {
		t.Fatal("a replica with stale data asked for votes")
	}
	found := false
	for _, l := range c.nodes[3].logs {
		found = found || l.Text == "Currently unable to failover: Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."
	}
	if !found {
		t.Error("the data-age refusal was not logged")
	}
	c.nodes[3].age = 1000 + 20_000
	c.runUntil(5000, "promotion", func() bool { o, ok := c.ownerEverywhere(0); return ok && o == c.id(3) })
}
