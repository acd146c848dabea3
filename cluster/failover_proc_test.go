package cluster_test

import (
	"fmt"

	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// Failover with the data (issue 7, items 3 and 4): real slotdb processes, the real
// redis-cli, a node timeout of 2 s.

const foTimeout = 2000 // cluster-node-timeout of these tests, ms

// foNode starts cluster nodes with the failover tests' timeout and extra directives.
func foNode(extra ...string) func(*testing.T) *proctest.Server {
	return func(t *testing.T) *proctest.Server {
		args := append([]string{"--cluster-enabled", "yes", "--cluster-node-timeout", strconv.Itoa(foTimeout)}, extra...)
		return proctest.StartSlotdb(t, args...)
	}
}

// shardLayout returns the masters (by first slot) and each master's replicas, as nodes
// agree on them.
func shardLayout(t *testing.T, nodes []*proctest.Server, masters int) ([]nodeLine, map[string][]nodeLine) {
	t.Helper()
	view := waitRoles(t, nodes, masters)
	var ms []nodeLine
	reps := map[string][]nodeLine{}
	for _, l := range view {
		if l.has("master") {
			ms = append(ms, l)
		} else {
			reps[l.master] = append(reps[l.master], l)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].slots[0] < ms[j].slots[0] })
	return ms, reps
}

// replInfo reads INFO replication fields.
func replInfo(t *testing.T, s *proctest.Server, fields ...string) []string {
	t.Helper()
	info := do(t, s, "INFO", "replication")
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = infoField(info, f)
	}
	return out
}

// waitInSync waits until replica has processed everything master has (INFO offsets)
// and holds as many keys.
func waitInSync(t *testing.T, master, replica *proctest.Server) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("replica %d in sync with %d", replica.Port, master.Port), func() (bool, string) {
		m := replInfo(t, master, "master_repl_offset")[0]
		r := replInfo(t, replica, "master_link_status", "slave_repl_offset")
		md, rd := do(t, master, "DBSIZE"), do(t, replica, "DBSIZE")
		return r[0] == "up" && r[1] == m && md == rd, fmt.Sprintf("master offset %s keys %s, replica link %s offset %s keys %s", m, md, r[0], r[1], rd)
	})
}

// logHas reports whether the server's log holds a line containing text.
func logHas(t *testing.T, s *proctest.Server, text string) bool {
	t.Helper()
	b, err := os.ReadFile(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), text)
}

// logCount counts the log lines containing text after the first line containing after.
func logCount(t *testing.T, s *proctest.Server, after, text string) int {
	t.Helper()
	b, err := os.ReadFile(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if i := strings.Index(log, after); i >= 0 {
		log = log[i:]
	} else {
		return 0
	}
	return strings.Count(log, text)
}

func requireLog(t *testing.T, s *proctest.Server, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if !logHas(t, s, text) {
			t.Errorf("log of %d lacks %q\n%s", s.Port, text, s.LogTail(3000))
		}
	}
}

// waitPromoted waits until heir owns slots and every node in rest agrees, with the
// cluster ok again; it returns how long that took.
func waitPromoted(t *testing.T, rest []*proctest.Server, heirID string, slots []string, d time.Duration) {
	t.Helper()
	waitFor(t, d, "the replica promoted everywhere", func() (bool, string) {
		for _, s := range rest {
			h := clusterNodes(t, s)[heirID]
			st := infoField(do(t, s, "CLUSTER", "INFO"), "cluster_state")
			if !h.has("master") || strings.Join(h.slots, ",") != strings.Join(slots, ",") || st != "ok" {
				return false, fmt.Sprintf("%d: heir %s %v, state %s", s.Port, h.flags, h.slots, st)
			}
		}
		return true, ""
	})
}

// (a) A master killed with SIGKILL: its replica takes over within the node timeout plus a
// few seconds with every key, and the old master comes back as its replica with the data.
func TestFailoverKillMaster(t *testing.T) {
	t.Parallel()
	nodes := createCluster(t, foNode(), 6, 1)
	masters, reps := shardLayout(t, nodes, 3)
	writeKeys(t, nodes[0], 100)
	for _, m := range masters {
		waitInSync(t, byAddr(nodes, m.addr), byAddr(nodes, reps[m.id][0].addr))
	}
	a := masters[1]
	victim, heir := byAddr(nodes, a.addr), byAddr(nodes, reps[a.id][0].addr)
	heirID := reps[a.id][0].id
	keysA := do(t, victim, "DBSIZE")
	var rest []*proctest.Server
	for _, s := range nodes {
		if s != victim {
			rest = append(rest, s)
		}
	}
	start := time.Now()
	victim.Kill()
	waitPromoted(t, rest, heirID, a.slots, time.Duration(foTimeout)*time.Millisecond+15*time.Second)
	took := time.Since(start)
	t.Logf("promoted %v after SIGKILL (node timeout %d ms)", took, foTimeout)
	if limit := time.Duration(foTimeout)*time.Millisecond + 8*time.Second; took > limit {
		t.Errorf("failover took %v, more than node timeout + 8 s", took)
	}
	if got := do(t, heir, "DBSIZE"); got != keysA {
		t.Errorf("promoted replica holds %s keys, the old master had %s", got, keysA)
	}
	checkKeys(t, heir, 100)
	if r := replInfo(t, heir, "role", "master_replid2")[0]; r != "master" {
		t.Errorf("INFO replication role of the promoted replica: %s", r)
	}
	requireLog(t, heir, "Connection with master lost.", "Failover election won: I'm the new master.",
		"configEpoch set to", "Setting secondary replication ID to", "Cluster state changed: ok")

	// The old master restarts from its nodes.conf, learns it lost its slots, follows the
	// new master and resyncs.
	victim.Restart()
	all := append(rest, victim)
	waitFor(t, 30*time.Second, "the old master rejoining as a replica", func() (bool, string) {
		for _, s := range all {
			o := clusterNodes(t, s)[a.id]
			if !o.has("slave") || o.has("fail") || o.master != heirID {
				return false, fmt.Sprintf("%d sees the old master as %s of %s", s.Port, o.flags, o.master)
			}
		}
		return true, ""
	})
	waitInSync(t, heir, victim)
	if got := do(t, victim, "DBSIZE"); got != keysA {
		t.Errorf("old master holds %s keys after the resync, want %s", got, keysA)
	}
	waitClusterOK(t, all...)
	checkKeys(t, victim, 100)
	// Its log lines say S once it replicates, with Redis's milestones.
	requireLog(t, victim, "Connecting to MASTER", "MASTER <-> REPLICA sync started")
	if !strings.Contains(victim.LogTail(20000), ":S ") {
		t.Errorf("the old master's log never shows the replica role letter S\n%s", victim.LogTail(3000))
	}
}

// (b) CLUSTER FAILOVER on a replica while clients write continuously: every write that was
// acknowledged (by the old master or, after MOVED, by the new one) is there afterwards.
func TestFailoverManualNoLostWrites(t *testing.T) {
	t.Parallel()
	nodes := createCluster(t, foNode(), 6, 1)
	masters, reps := shardLayout(t, nodes, 3)
	a := masters[0]
	master, replica := byAddr(nodes, a.addr), byAddr(nodes, reps[a.id][0].addr)
	lo, hi := slotRange(a.slots[0])
	tag := ""
	for i := 0; tag == ""; i++ {
		if s := int(keyslot.Of([]byte(strconv.Itoa(i)))); s >= lo && s <= hi {
			tag = strconv.Itoa(i)
		}
	}
	waitInSync(t, master, replica)

	const writers = 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		acked   = map[string]string{}
		byNode  = map[string]int{}
		stop    = make(chan struct{})
		errs    = map[string]int{}
		errsMu  sync.Mutex
		addrNow = master.Addr()
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			addr := addrNow
			var c *proctest.Conn
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				key, val := fmt.Sprintf("{%s}:w%d:%d", tag, w, seq), fmt.Sprintf("v%d", seq)
				for attempt := 0; ; attempt++ {
					if c == nil {
						var err error
						if c, err = proctest.Dial(addr); err != nil {
							time.Sleep(20 * time.Millisecond)
							continue
						}
						c.SetTimeout(30 * time.Second)
					}
					r, err := c.DoReply("SET", key, val)
					if err != nil {
						c.Close()
						c = nil
						break // not acknowledged: the next key
					}
					if r.Type == '-' {
						f := strings.Fields(r.Str)
						errsMu.Lock()
						errs[f[0]]++
						errsMu.Unlock()
						if f[0] == "MOVED" && len(f) == 3 && attempt < 5 {
							addr = f[2]
							c.Close()
							c = nil
							continue
						}
						time.Sleep(10 * time.Millisecond)
						break
					}
					mu.Lock()
					acked[key] = val
					byNode[addr]++
					mu.Unlock()
					break
				}
			}
		}(w)
	}
	time.Sleep(time.Second)
	mustOK(t, replica, "CLUSTER", "FAILOVER")
	start := time.Now()
	waitPromoted(t, nodes, reps[a.id][0].id, a.slots, 15*time.Second)
	t.Logf("manual failover done in %v", time.Since(start))
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d writes acknowledged: %v; errors %v", len(acked), byNode, errs)
	if byNode[master.Addr()] == 0 || byNode[replica.Addr()] == 0 {
		t.Fatalf("writes were not acknowledged by both the old and the new master: %v", byNode)
	}
	// Every acknowledged write is on the new master, in one pipeline.
	c := replica.Dial(t)
	c.SetTimeout(30 * time.Second)
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.Send("GET", k)
	}
	lost := 0
	for _, k := range keys {
		raw, err := c.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		r, _ := proctest.ParseReply(raw)
		if r == nil || r.Str != acked[k] {
			if lost < 5 {
				t.Errorf("acknowledged %s = %s lost: the new master has %q", k, acked[k], raw)
			}
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	requireLog(t, replica, "Manual failover user request accepted.",
		"Received replication offset for paused master manual failover:",
		"All master replication stream processed, manual failover can start.",
		"Failover election won: I'm the new master.")
	requireLog(t, master, "Manual failover requested by replica")
	// The old master follows with a partial resync and converges.
	waitInSync(t, replica, master)
	if logCount(t, replica, "Failover election won", "Partial resynchronization request from") == 0 {
		t.Errorf("the old master did not continue partially:\n%s", replica.LogTail(3000))
	}
}

// slotRange parses "lo-hi" or "n".
func slotRange(tok string) (int, int) {
	lo, hi, ok := strings.Cut(tok, "-")
	a, _ := strconv.Atoi(lo)
	if !ok {
		return a, a
	}
	b, _ := strconv.Atoi(hi)
	return a, b
}

// (c) A master with two replicas is killed: one replica wins, the other follows it with a
// partial resync (PSYNC2: the winner kept the old history as its secondary id).
func TestFailoverSecondReplicaPartial(t *testing.T) {
	t.Parallel()
	nodes := createCluster(t, foNode(), 3, 0)
	masters, _ := shardLayout0(t, nodes)
	a := masters[0]
	victim := byAddr(nodes, a.addr)
	r1, r2 := foNode()(t), foNode()(t)
	for _, r := range []*proctest.Server{r1, r2} {
		mustOK(t, nodes[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(r.Port))
	}
	waitClusterOK(t, append(nodes, r1, r2)...)
	for _, r := range []*proctest.Server{r1, r2} {
		mustOK(t, r, "CLUSTER", "REPLICATE", a.id)
	}
	writeKeys(t, nodes[0], 100)
	waitInSync(t, victim, r1)
	waitInSync(t, victim, r2)
	victim.Kill()
	ids := map[string]*proctest.Server{myID(t, r1): r1, myID(t, r2): r2}
	var heir, other *proctest.Server
	waitFor(t, 20*time.Second, "one replica promoted", func() (bool, string) {
		for id, r := range ids {
			if l := clusterNodes(t, r)[id]; l.has("master") {
				heir = r
			}
		}
		return heir != nil, ""
	})
	for _, r := range ids {
		if r != heir {
			other = r
		}
	}
	heirID := myID(t, heir)
	waitFor(t, 20*time.Second, "the other replica following the new master", func() (bool, string) {
		l := clusterNodes(t, other)[myID(t, other)]
		h := replInfo(t, other, "master_port", "master_link_status")
		return l.master == heirID && h[0] == strconv.Itoa(heir.Port) && h[1] == "up", fmt.Sprintf("%+v %v", l, h)
	})
	waitInSync(t, heir, other)
	checkKeys(t, other, 100)
	if logCount(t, heir, "Failover election won", "Partial resynchronization request from") == 0 {
		t.Errorf("the new master served no partial resync:\n%s", heir.LogTail(3000))
	}
	if logCount(t, other, "Connecting to MASTER 127.0.0.1:"+strconv.Itoa(heir.Port), "Successful partial resynchronization with master.") == 0 {
		t.Errorf("the other replica did not continue partially:\n%s", other.LogTail(3000))
	}
	if logCount(t, other, "Connecting to MASTER 127.0.0.1:"+strconv.Itoa(heir.Port), "Full resync from master") != 0 {
		t.Errorf("the other replica resynced in full")
	}
}

// shardLayout0 is shardLayout for a cluster without replicas.
func shardLayout0(t *testing.T, nodes []*proctest.Server) ([]nodeLine, map[string]nodeLine) {
	t.Helper()
	view := clusterNodes(t, nodes[0])
	var ms []nodeLine
	for _, l := range view {
		if l.has("master") && len(l.slots) > 0 {
			ms = append(ms, l)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].slots[0] < ms[j].slots[0] })
	return ms, view
}

// (d) cluster-replica-no-failover yes: the replica of a killed master never starts an
// election; the cluster stays down until an operator forces the failover.
func TestFailoverReplicaNoFailover(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	nodes := createCluster(t, foNode(), 3, 0)
	masters, _ := shardLayout0(t, nodes)
	a := masters[2]
	victim := byAddr(nodes, a.addr)
	r := foNode("--cluster-replica-no-failover", "yes")(t)
	mustOK(t, nodes[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(r.Port))
	waitClusterOK(t, append(nodes, r)...)
	t.Logf("%v: replica joined", time.Since(t0))
	mustOK(t, r, "CLUSTER", "REPLICATE", a.id)
	writeKeys(t, nodes[0], 100)
	waitInSync(t, victim, r)
	t.Logf("%v: in sync; killing the master", time.Since(t0))
	victim.Kill()
	rid := myID(t, r)
	waitFor(t, 15*time.Second, "the master flagged FAIL", func() (bool, string) {
		f := nodeFlags(t, r, a.id)
		return strings.Contains(f, "fail") && !strings.Contains(f, "fail?"), f
	})
	time.Sleep(time.Duration(3*foTimeout) * time.Millisecond)
	alive := nodes[0]
	if alive == victim {
		alive = nodes[1]
	}
	if f := nodeFlags(t, alive, rid); !strings.Contains(f, "slave") {
		t.Fatalf("replica with cluster-replica-no-failover yes became %s", f)
	}
	if logHas(t, r, "Starting a failover election") {
		t.Errorf("replica with cluster-replica-no-failover started an election")
	}
	if st := infoField(do(t, alive, "CLUSTER", "INFO"), "cluster_state"); st != "fail" {
		t.Errorf("cluster_state %s with a master lost and no failover", st)
	}
	// A manual FORCE failover is still honoured, with the data.
	t.Logf("%v: no election; forcing the failover", time.Since(t0))
	mustOK(t, r, "CLUSTER", "FAILOVER", "FORCE")
	rest := []*proctest.Server{r}
	for _, s := range nodes {
		if s != victim {
			rest = append(rest, s)
		}
	}
	waitPromoted(t, rest, rid, a.slots, 15*time.Second)
	checkKeys(t, r, 100)
}

// Replica migration: a master left without working replicas (its only replica killed)
// receives one of the replicas of a master that has two (cluster-migration-barrier 1),
// which then follows it with the data.
func TestFailoverReplicaMigration(t *testing.T) {
	t.Parallel()
	nodes := createCluster(t, foNode(), 3, 0)
	masters, _ := shardLayout0(t, nodes)
	a, b := masters[0], masters[1]
	ra1, ra2, rb := foNode()(t), foNode()(t), foNode()(t)
	for _, r := range []*proctest.Server{ra1, ra2, rb} {
		mustOK(t, nodes[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(r.Port))
	}
	waitClusterOK(t, append(nodes, ra1, ra2, rb)...)
	mustOK(t, ra1, "CLUSTER", "REPLICATE", a.id)
	mustOK(t, ra2, "CLUSTER", "REPLICATE", a.id)
	mustOK(t, rb, "CLUSTER", "REPLICATE", b.id)
	writeKeys(t, nodes[0], 100)
	ma, mb := byAddr(nodes, a.addr), byAddr(nodes, b.addr)
	waitInSync(t, ma, ra1)
	waitInSync(t, ma, ra2)
	waitInSync(t, mb, rb)
	// A node learns a replica's master only from that replica's own pings: wait until
	// every node knows B had a replica, or B never counts as orphaned.
	rbID := myID(t, rb)
	waitFor(t, 20*time.Second, "every node knowing the replicas", func() (bool, string) {
		for _, s := range append(nodes, ra1, ra2) {
			v := clusterNodes(t, s)
			if v[rbID].master != b.id || v[myID(t, ra1)].master != a.id || v[myID(t, ra2)].master != a.id {
				return false, fmt.Sprintf("%d: %+v", s.Port, v[rbID])
			}
		}
		return true, ""
	})
	rb.Kill()
	var moved *proctest.Server
	waitFor(t, 30*time.Second, "a replica of A migrating to B", func() (bool, string) {
		for _, r := range []*proctest.Server{ra1, ra2} {
			if l := clusterNodes(t, r)[myID(t, r)]; l.master == b.id {
				moved = r
				return true, ""
			}
		}
		return false, ""
	})
	requireLog(t, moved, "Migrating to orphaned master "+b.id)
	waitInSync(t, mb, moved)
	if got, want := do(t, moved, "DBSIZE"), do(t, mb, "DBSIZE"); got != want {
		t.Errorf("migrated replica holds %s keys, its new master %s", got, want)
	}
	if p := replInfo(t, moved, "master_port")[0]; p != strconv.Itoa(mb.Port) {
		t.Errorf("migrated replica replicates port %s, want %d", p, mb.Port)
	}
}
