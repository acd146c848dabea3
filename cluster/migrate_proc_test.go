package cluster_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// The compatible slot-migration path, driven as redis-cli drives it: SETSLOT
// IMPORTING/MIGRATING, GETKEYSINSLOT, MIGRATE (RESTORE-ASKING on the wire), SETSLOT NODE.

// reshard runs redis-cli --cluster reshard non-interactively.
func reshard(t *testing.T, entry *proctest.Server, from, to string, slots int, extra ...string) string {
	t.Helper()
	args := append([]string{"--cluster", "reshard", entry.Addr(), "--cluster-from", from, "--cluster-to", to,
		"--cluster-slots", strconv.Itoa(slots), "--cluster-yes"}, extra...)
	out, err := cli(t, "", args...)
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return out
}

// addNode joins an empty node with redis-cli --cluster add-node and waits for agreement.
func addNode(t *testing.T, entry, node *proctest.Server, all ...*proctest.Server) {
	t.Helper()
	if out, err := cli(t, "", "--cluster", "add-node", node.Addr(), entry.Addr()); err != nil {
		t.Fatalf("add-node: %v\n%s", err, out)
	}
	waitClusterOK(t, all...)
	waitAgree(t, all...)
}

func dbsize(t *testing.T, s *proctest.Server) int {
	t.Helper()
	n, err := strconv.Atoi(do(t, s, "DBSIZE"))
	if err != nil {
		t.Fatalf("DBSIZE on %d: %v", s.Port, err)
	}
	return n
}

// Seed scenario: one master with key1..key100, a second added, slot 12180 (key97) moved by
// hand. After MIGRATE the source answers ASK for key97, after SETSLOT NODE it answers MOVED.
func TestMigrateSlotByHand(t *testing.T) {
	t.Parallel()
	a := startSlotdb(t, "--cluster-own-all-slots")
	waitClusterOK(t, a)
	writeKeys(t, a, 100)
	b := startSlotdb(t)
	addNode(t, a, b, a, b)
	idA, idB := myID(t, a), myID(t, b)
	const slot = "12180"
	if s := keyslot.Of([]byte("key97")); s != 12180 {
		t.Fatalf("key97 is in slot %d", s)
	}
	mustOK(t, b, "CLUSTER", "SETSLOT", slot, "IMPORTING", idA)
	mustOK(t, a, "CLUSTER", "SETSLOT", slot, "MIGRATING", idB)
	if got := do(t, a, "CLUSTER", "COUNTKEYSINSLOT", slot); got != "1" {
		t.Fatalf("COUNTKEYSINSLOT = %s", got)
	}
	if got := do(t, a, "CLUSTER", "GETKEYSINSLOT", slot, "10"); got != "[key97]" {
		t.Fatalf("GETKEYSINSLOT = %s", got)
	}
	// Before the move the source still serves the key.
	if got := do(t, a, "GET", "key97"); got != "v97" {
		t.Fatalf("GET key97 before MIGRATE = %q", got)
	}
	if got := do(t, a, "MIGRATE", "127.0.0.1", strconv.Itoa(b.Port), "key97", "0", "5000"); got != "OK" {
		t.Fatalf("MIGRATE = %q", got)
	}
	if got := do(t, a, "GET", "key97"); got != "-ASK "+slot+" "+b.Addr() {
		t.Fatalf("GET key97 on a after MIGRATE = %q, want ASK", got)
	}
	// The importing node serves it with ASKING only.
	if got := do(t, b, "GET", "key97"); got != "-MOVED "+slot+" "+a.Addr() {
		t.Fatalf("GET key97 on b without ASKING = %q", got)
	}
	c := b.Dial(t)
	c.SetTimeout(5 * time.Second)
	if _, err := c.Do("ASKING"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Do("GET", "key97"); err != nil || string(r) != "$3\r\nv97\r\n" {
		t.Fatalf("ASKING GET key97 on b = %q, %v", r, err)
	}
	mustOK(t, b, "CLUSTER", "SETSLOT", slot, "NODE", idB)
	mustOK(t, a, "CLUSTER", "SETSLOT", slot, "NODE", idB)
	if got := do(t, a, "GET", "key97"); got != "-MOVED "+slot+" "+b.Addr() {
		t.Fatalf("GET key97 on a after NODE = %q, want MOVED", got)
	}
	if got := do(t, b, "GET", "key97"); got != "v97" {
		t.Fatalf("GET key97 on b after NODE = %q", got)
	}
	if na, nb := dbsize(t, a), dbsize(t, b); na != 99 || nb != 1 {
		t.Fatalf("DBSIZE a=%d b=%d, want 99/1", na, nb)
	}
	waitAgree(t, a, b)
	checkKeys(t, a, 100)
	checkKeys(t, b, 100)
	clusterCheck(t, a)
}

// Seed scenario: redis-cli --cluster reshard of 8191 slots from the only master to a new one.
func TestReshardHalf(t *testing.T) {
	t.Parallel()
	a := startSlotdb(t, "--cluster-own-all-slots")
	waitClusterOK(t, a)
	writeKeys(t, a, 100)
	b := startSlotdb(t)
	addNode(t, a, b, a, b)
	reshard(t, a, myID(t, a), myID(t, b), 8191)
	waitAgree(t, a, b)
	got := []int{dbsize(t, a), dbsize(t, b)}
	sort.Ints(got)
	if got[0] != 49 || got[1] != 51 {
		t.Fatalf("DBSIZE after reshard = %v, want 49 and 51", got)
	}
	checkKeys(t, a, 100)
	checkKeys(t, b, 100)
	clusterCheck(t, b)
}

// Seed scenario: two masters shrunk to one: every slot of b resharded to a, b forgotten.
// reshardTimeout is the node timeout of the long reshard tests: with two masters, one node
// that misses a PONG for 1 s on a loaded machine makes the other's cluster state fail
// (minority rule) and the reshard's RESTORE gets CLUSTERDOWN.
const reshardTimeout = "5000"

func TestShrinkToOne(t *testing.T) {
	t.Parallel()
	a, b := startSlotdb(t, "--cluster-node-timeout", reshardTimeout), startSlotdb(t, "--cluster-node-timeout", reshardTimeout)
	mustOK(t, a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	mustOK(t, b, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	meetAll(t, a, b)
	waitClusterOK(t, a, b)
	waitAgree(t, a, b)
	writeKeys(t, a, 100)
	idA, idB := myID(t, a), myID(t, b)
	reshard(t, a, idB, idA, 8192)
	waitAgree(t, a, b)
	// b, left without slots, turns into a replica of a as Redis 7.0 does
	// (cluster-allow-replica-migration) and may already hold a copy: it must own nothing.
	if na, nb := dbsize(t, a), dbsize(t, b); na != 100 || (nb != 0 && nb != 100) {
		t.Fatalf("DBSIZE a=%d b=%d after resharding all, want 100 and 0 (or b's replica copy, 100)", na, nb)
	}
	mustOK(t, a, "CLUSTER", "FORGET", idB)
	waitFor(t, 10*time.Second, "cluster_known_nodes:1", func() (bool, string) {
		info := do(t, a, "CLUSTER", "INFO")
		return infoField(info, "cluster_known_nodes") == "1" && infoField(info, "cluster_state") == "ok", info
	})
	checkKeys(t, a, 100)
}

// Mixed with a real redis-server in both directions: slots move slotdb -> redis, then
// redis -> slotdb, with redis-cli reshard; every key stays readable.
func TestReshardMixedWithRedis(t *testing.T) {
	t.Parallel()
	a := startSlotdb(t, "--cluster-node-timeout", reshardTimeout)
	r := proctest.StartRedis(t, "--cluster-enabled", "yes", "--cluster-node-timeout", reshardTimeout)
	mustOK(t, a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	mustOK(t, r, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	mustOK(t, a, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(r.Port))
	waitClusterOK(t, a, r)
	waitAgree(t, a, r)
	writeKeys(t, a, 100)
	idA, idR := myID(t, a), myID(t, r)
	before := dbsize(t, a)

	reshard(t, a, idA, idR, 4096) // slotdb -> redis: slots 0..4095
	waitAgree(t, a, r)
	checkKeys(t, a, 100)
	moved := before - dbsize(t, a)
	if moved <= 0 || dbsize(t, r) != 100-before+moved {
		t.Fatalf("slotdb -> redis: a=%d r=%d (a had %d)", dbsize(t, a), dbsize(t, r), before)
	}
	reshard(t, r, idR, idA, 12288) // redis -> slotdb: everything back
	waitAgree(t, a, r)
	// A Redis master that loses its last slot turns into a replica of the node that took it
	// (cluster-allow-replica-migration), so it may hold a full copy by now: it must own nothing.
	if na := dbsize(t, a); na != 100 {
		t.Fatalf("redis -> slotdb: slotdb holds %d keys, want 100", na)
	}
	if nr := dbsize(t, r); nr != 0 && nr != 100 {
		t.Fatalf("redis -> slotdb: redis holds %d keys: neither emptied nor a replica's copy", nr)
	}
	checkKeys(t, r, 100)
	clusterCheck(t, a)
}

// keyInSlot0 is a key of slot 0, the first slot redis-cli reshard moves from a node owning
// 0-8191.
func keyInSlot0(t *testing.T) string {
	for i := 0; i < 1<<20; i++ {
		k := "k" + strconv.Itoa(i)
		if keyslot.Of([]byte(k)) == 0 {
			return k
		}
	}
	t.Fatal("no key in slot 0")
	return ""
}

// The BUSYKEY path of redis-cli: the target already holds a key of the moving slot. With the
// same value (equal DEBUG DIGEST-VALUE on both nodes) redis-cli retries with REPLACE and the
// move succeeds; with another value it stops and the key stays at the source.
func TestReshardBusyKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, targetValue string
		ok                bool
	}{
		{"same value", "v", true},
		{"other value", "other", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startSlotdb(t, "--enable-debug-command", "yes")
			b := startSlotdb(t, "--enable-debug-command", "yes")
			mustOK(t, a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
			mustOK(t, b, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
			meetAll(t, a, b)
			waitClusterOK(t, a, b)
			waitAgree(t, a, b)
			idA, idB := myID(t, a), myID(t, b)
			k := keyInSlot0(t)
			mustOK(t, a, "SET", k, "v")
			// Plant a copy on b through an import window, then close it again.
			mustOK(t, b, "CLUSTER", "SETSLOT", "0", "IMPORTING", idA)
			c := b.Dial(t)
			c.SetTimeout(5 * time.Second)
			c.Do("ASKING")
			defer c.Close()
			if r, err := c.Do("SET", k, tc.targetValue); err != nil || string(r) != "+OK\r\n" {
				t.Fatalf("ASKING SET on b: %q %v", r, err)
			}
			mustOK(t, b, "CLUSTER", "SETSLOT", "0", "STABLE")
			args := []string{"--cluster", "reshard", a.Addr(), "--cluster-from", idA, "--cluster-to", idB,
				"--cluster-slots", "1", "--cluster-yes"}
			out, err := cli(t, "", args...)
			if tc.ok {
				if err != nil {
					t.Fatalf("reshard: %v\n%s", err, out)
				}
				if got := do(t, a, "CLUSTER", "COUNTKEYSINSLOT", "0"); got != "0" {
					t.Fatalf("key still on the source: %s", got)
				}
				if got := do(t, b, "GET", k); got != "v" {
					t.Fatalf("GET on b = %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(out, "different values") {
				t.Fatalf("reshard with a different value: %v\n%s", err, out)
			}
			if got := do(t, a, "GET", k); got != "v" {
				t.Fatalf("source lost its key: %q", got)
			}
		})
	}
}
