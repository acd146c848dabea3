package cluster_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// A cluster of slotdb and real redis-server 7.0 nodes: slotdb MEETs redis and redis
// MEETs slotdb, they agree on CLUSTER NODES, redirect to each other with MOVED, and
// redis-cli --cluster check passes.
func TestMixedWithRedis(t *testing.T) {
	t.Parallel()
	a := startSlotdb(t)
	b := startRedis(t)
	c := startSlotdb(t)
	nodes := []*proctest.Server{a, b, c}
	for i, r := range [][2]string{{"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}} {
		mustOK(t, nodes[i], "CLUSTER", "ADDSLOTSRANGE", r[0], r[1])
	}
	mustOK(t, a, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.Port)) // slotdb -> redis
	mustOK(t, b, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(c.Port)) // redis -> slotdb
	waitClusterOK(t, nodes...)
	waitAgree(t, nodes...)
	writeKeys(t, a, 100)
	for _, s := range nodes {
		checkKeys(t, s, 100)
	}
	// key1 (slot 9189) lives on redis; key2 (slot 4998) on a slotdb node.
	s1 := strconv.Itoa(int(keyslot.Of([]byte("key1"))))
	s2 := strconv.Itoa(int(keyslot.Of([]byte("key2"))))
	if got := do(t, a, "GET", "key1"); got != "-MOVED "+s1+" "+b.Addr() {
		t.Errorf("slotdb GET key1 = %q, want MOVED to redis %s", got, b.Addr())
	}
	if got := do(t, b, "GET", "key2"); got != "-MOVED "+s2+" "+a.Addr() {
		t.Errorf("redis GET key2 = %q, want MOVED to slotdb %s", got, a.Addr())
	}
	out := clusterCheck(t, b)
	if !strings.Contains(out, "[OK] All nodes agree about slots configuration.") {
		t.Fatalf("check:\n%s", out)
	}
}
