package cluster_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// addReplica makes replica a replica of master (redis-cli add-node --cluster-slave) and
// waits until it synced.
func addReplica(t *testing.T, entry, master, replica *proctest.Server) {
	t.Helper()
	if out, err := cli(t, "", "--cluster", "add-node", replica.Addr(), entry.Addr(),
		"--cluster-slave", "--cluster-master-id", myID(t, master)); err != nil {
		t.Fatalf("add-node --cluster-slave: %v\n%s", err, out)
	}
	waitFor(t, 30*time.Second, "the replica's link", func() (bool, string) {
		info := do(t, replica, "INFO", "replication")
		return infoField(info, "master_link_status") == "up", info
	})
}

// replicaServes reports how many of names replica (READONLY) answers with want, and the
// first wrong answer.
func replicaServes(t *testing.T, replica *proctest.Server, names []string, want string) (int, string) {
	t.Helper()
	c := proctest.MustDial(t, replica.Addr())
	defer c.Close()
	c.SetTimeout(30 * time.Second)
	if r, err := c.Do("READONLY"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("READONLY on %d: %q %v", replica.Port, r, err)
	}
	for _, k := range names {
		if err := c.Send("GET", k); err != nil {
			t.Fatal(err)
		}
	}
	good, first := 0, ""
	for _, k := range names {
		r, err := c.ReadReply()
		if err != nil {
			t.Fatalf("GET %s on %d: %v", k, replica.Port, err)
		}
		if string(r) == "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n" {
			good++
		} else if first == "" {
			first = fmt.Sprintf("GET %s = %q", k, r)
		}
	}
	return good, first
}

// The target of a native migration has a slotdb replica and a real redis-server 7.0
// replica: after MIGRATESLOTS both serve every moved key (READONLY), and follow the
// target's later writes. The source's replica drops the moved keys as the source does.
func TestMigrateSlotsReplicas(t *testing.T) {
	t.Parallel()
	a, b := twoMasters(t)
	_, names := loadMoving(t, a, 64)
	c := startSlotdb(t)
	addReplica(t, a, b, c)
	d := startRedis(t)
	addReplica(t, a, b, d)
	e := startSlotdb(t)
	addReplica(t, a, a, e)
	if n := dbsize(t, e); n != dbsize(t, a) {
		t.Fatalf("source's replica DBSIZE %d, source %d", n, dbsize(t, a))
	}

	migrateSlots(t, a, b)
	if m := waitMigration(t, a); m["state"] != "success" {
		t.Fatalf("migration: %v", m)
	}
	want := strings.Repeat("v", 64)
	for _, rep := range []*proctest.Server{c, d} {
		waitFor(t, 30*time.Second, fmt.Sprintf("replica %d to serve the moved keys", rep.Port), func() (bool, string) {
			good, first := replicaServes(t, rep, names, want)
			return good == len(names), fmt.Sprintf("%d of %d; %s", good, len(names), first)
		})
		info := do(t, rep, "INFO", "replication")
		if infoField(info, "master_link_status") != "up" {
			t.Fatalf("replica %d:\n%s", rep.Port, info)
		}
	}
	// The stream goes on after the resync.
	cc := &clusterClient{t: t, conns: map[string]*proctest.Conn{}, errs: &errList{}}
	defer cc.close()
	if _, addr, ok := cc.do(a.Addr(), "SET", names[0], "after"); !ok || addr != b.Addr() {
		t.Fatalf("SET after the move served by %s: %v", addr, cc.errs.list)
	}
	for _, rep := range []*proctest.Server{c, d} {
		waitFor(t, 10*time.Second, "the write after the move on the replica", func() (bool, string) {
			good, first := replicaServes(t, rep, names[:1], "after")
			return good == 1, first
		})
	}
	if n := dbsize(t, c); n != dbsize(t, b) {
		t.Fatalf("slotdb replica DBSIZE %d, master %d", n, dbsize(t, b))
	}
	waitFor(t, 10*time.Second, "the source's replica to drop the moved keys", func() (bool, string) {
		n, want := dbsize(t, e), dbsize(t, a)
		return n == want, fmt.Sprintf("replica %d, source %d", n, want)
	})
	if got := do(t, e, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(int(keyslot.Of([]byte(names[0]))))); got != "0" {
		t.Fatalf("source's replica keeps %s keys of a moved slot", got)
	}
}
