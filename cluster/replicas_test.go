package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slotdb/slotdb/internal/proctest"
)

// confNode returns a starter of cluster nodes that each get their own config file, so
// that CONFIG REWRITE (run by redis-cli --cluster set-timeout) has a file to rewrite.
func confNode(start func(testing.TB, ...string) *proctest.Server) func(*testing.T) *proctest.Server {
	return func(t *testing.T) *proctest.Server {
		conf := filepath.Join(t.TempDir(), "node.conf")
		if err := os.WriteFile(conf, []byte("cluster-enabled yes\ncluster-node-timeout "+nodeTimeout+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return start(t, conf)
	}
}

// nodeLine is one line of CLUSTER NODES.
type nodeLine struct {
	id, addr, flags, master, link string
	slots                         []string // slot tokens, open-slot markers included
}

func (l nodeLine) has(flag string) bool { return strings.Contains(","+l.flags+",", ","+flag+",") }

// clusterNodes parses CLUSTER NODES on s, by node id.
func clusterNodes(t *testing.T, s *proctest.Server) map[string]nodeLine {
	t.Helper()
	out := map[string]nodeLine{}
	for _, l := range strings.Split(strings.TrimSpace(do(t, s, "CLUSTER", "NODES")), "\n") {
		f := strings.Fields(l)
		if len(f) < 8 {
			t.Fatalf("CLUSTER NODES line on %d: %q", s.Port, l)
		}
		out[f[0]] = nodeLine{id: f[0], addr: strings.SplitN(f[1], "@", 2)[0], flags: f[2], master: f[3], link: f[7], slots: f[8:]}
	}
	return out
}

// roles describes the replication layout a node sees: "masterAddr[slots]<-replicaAddr"
// per master, sorted, plus any inconsistency found (empty when the view is sound).
func roles(nodes map[string]nodeLine) (string, string) {
	var parts, bad []string
	for _, m := range nodes {
		if !m.has("master") || m.has("fail") {
			continue
		}
		p := m.addr + strings.Join(m.slots, ",")
		var reps []string
		for _, r := range nodes {
			if r.master == m.id {
				if !r.has("slave") {
					bad = append(bad, r.addr+" names a master but is "+r.flags)
				}
				reps = append(reps, r.addr)
			}
		}
		sort.Strings(reps)
		parts = append(parts, p+"<-"+strings.Join(reps, ","))
	}
	for _, r := range nodes {
		if r.has("slave") && (nodes[r.master].id == "" || !nodes[r.master].has("master")) {
			bad = append(bad, r.addr+" replicates "+r.master+", which is not a known master")
		}
		if r.has("slave") && len(r.slots) > 0 {
			bad = append(bad, r.addr+" is a replica with slots")
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " "), strings.Join(bad, "; ")
}

// waitRoles waits until every node in nodes reports the same sound layout of n masters
// with slots, each with one replica, and returns that layout as seen by nodes[0].
func waitRoles(t *testing.T, nodes []*proctest.Server, masters int) map[string]nodeLine {
	t.Helper()
	var view map[string]nodeLine
	waitFor(t, 20*time.Second, "every node agreeing on masters and replicas", func() (bool, string) {
		first := ""
		for i, s := range nodes {
			v := clusterNodes(t, s)
			r, bad := roles(v)
			if bad != "" {
				return false, fmt.Sprintf("%d: %s", s.Port, bad)
			}
			if strings.Count(r, "<-127.") != masters || strings.Contains(r, "<- ") || strings.HasSuffix(r, "<-") {
				return false, fmt.Sprintf("%d: %s", s.Port, r)
			}
			if i == 0 {
				first, view = r, v
			} else if r != first {
				return false, fmt.Sprintf("%d sees %s, %d sees %s", nodes[0].Port, first, s.Port, r)
			}
		}
		return true, ""
	})
	return view
}

func byAddr(nodes []*proctest.Server, addr string) *proctest.Server {
	for _, s := range nodes {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// redis-cli --cluster create --cluster-replicas 1 over six slotdb nodes, then the other
// --cluster subcommands on the result, then the automatic failover of a killed master.
//
// Data replication between master and replica is not implemented yet (a separate issue):
// replicas hold the role, flags and slaveof, but no data and a replication offset of 0.
// So this test checks roles, slots and cluster state only, never that a replica has the
// master's keys; and CLUSTER SLOTS does not list the replicas yet, since Redis 7.0 leaves
// out replicas whose offset is 0 (isReplicaAvailable), as it does for one still loading.
//
// The same test runs against real redis-server 7.0.15 nodes, which shows that what it
// expects is what Redis does (there the replicas do replicate).
func TestClusterReplicas(t *testing.T) {
	t.Parallel()
	for _, impl := range []struct {
		name  string
		start func(testing.TB, ...string) *proctest.Server
	}{{"slotdb", proctest.StartSlotdb}, {"redis", proctest.StartRedis}} {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			testReplicas(t, createCluster(t, confNode(impl.start), 6, 1))
		})
	}
}

func testReplicas(t *testing.T, nodes []*proctest.Server) {
	view := waitRoles(t, nodes, 3)

	var masters, replicas []nodeLine
	for _, l := range view {
		if l.has("master") {
			masters = append(masters, l)
		} else {
			replicas = append(replicas, l)
		}
	}
	sort.Slice(masters, func(i, j int) bool { return masters[i].slots[0] < masters[j].slots[0] })
	replicaOf := map[string]nodeLine{} // master id -> its replica
	for _, r := range replicas {
		replicaOf[r.master] = r
	}
	// Each node's own line says myself and its role.
	for _, s := range nodes {
		me := clusterNodes(t, s)[myID(t, s)]
		if !me.has("myself") || me.has("master") == me.has("slave") || me.has("master") != view[me.id].has("master") {
			t.Errorf("myself line on %d: %+v (others see %s)", s.Port, me, view[me.id].flags)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gr := redis.NewClient(&redis.Options{Addr: nodes[5].Addr(), Protocol: 2})
	defer gr.Close()

	// CLUSTER SLOTS: one entry per master range, the master first; a replica may only
	// follow its own master (none is listed while its offset is 0, see above).
	slots, err := gr.ClusterSlots(ctx).Result()
	if err != nil || len(slots) != 3 {
		t.Fatalf("CLUSTER SLOTS: %v, %v", slots, err)
	}
	for _, r := range slots {
		m := view[r.Nodes[0].ID]
		if !m.has("master") || m.addr != r.Nodes[0].Addr || !strings.HasPrefix(strings.Join(m.slots, ","), fmt.Sprintf("%d-%d", r.Start, r.End)) {
			t.Errorf("CLUSTER SLOTS range %d-%d starts with %+v; CLUSTER NODES: %+v", r.Start, r.End, r.Nodes[0], m)
		}
		for _, rep := range r.Nodes[1:] {
			if replicaOf[m.id].id != rep.ID {
				t.Errorf("CLUSTER SLOTS lists %+v under %s, which it does not replicate", rep, m.addr)
			}
		}
	}
	// CLUSTER SHARDS: each shard holds its master and its replica with their roles.
	shards, err := gr.ClusterShards(ctx).Result()
	if err != nil || len(shards) != 3 {
		t.Fatalf("CLUSTER SHARDS: %v, %v", shards, err)
	}
	for _, sh := range shards {
		if len(sh.Nodes) != 2 || len(sh.Slots) != 1 {
			t.Errorf("CLUSTER SHARDS shard %+v: want one range, a master and a replica", sh)
			continue
		}
		m, r := sh.Nodes[0], sh.Nodes[1]
		if m.Role == "replica" {
			m, r = r, m
		}
		if m.Role != "master" || r.Role != "replica" || replicaOf[m.ID].id != r.ID || m.Health != "online" ||
			view[m.ID].slots[0] != fmt.Sprintf("%d-%d", sh.Slots[0].Start, sh.Slots[0].End) {
			t.Errorf("CLUSTER SHARDS shard %+v does not match CLUSTER NODES", sh)
		}
		// Redis reports a replica with offset 0 as "loading"; "online" once it replicates.
		if r.Health != "loading" && r.Health != "online" {
			t.Errorf("CLUSTER SHARDS replica health %q", r.Health)
		}
	}

	// --cluster check: clean, three masters with one replica each.
	out := clusterCheck(t, nodes[0])
	if strings.Count(out, "1 additional replica(s)") != 3 || strings.Count(out, "\nS: ") != 3 {
		t.Errorf("--cluster check does not show three masters with one replica:\n%s", out)
	}

	// --cluster info after writing 30 keys through redis-cli -c.
	writeKeys(t, nodes[0], 30)
	out, err = cli(t, "", "--cluster", "info", nodes[0].Addr())
	if err != nil || !strings.Contains(out, "[OK] 30 keys in 3 masters.") {
		t.Fatalf("--cluster info: %v\n%s", err, out)
	}
	for _, m := range masters {
		dbsize := do(t, byAddr(nodes, m.addr), "DBSIZE")
		re := regexp.MustCompile(regexp.QuoteMeta(m.addr) + ` \(` + m.id[:8] + `\.\.\.\) -> ` + dbsize + ` keys \| \d+ slots \| 1 slaves\.`)
		if !re.MatchString(out) {
			t.Errorf("--cluster info has no line for %s with %s keys and 1 replica:\n%s", m.addr, dbsize, out)
		}
	}

	// --cluster call: every node answers CLUSTER MYID with its own id.
	out, err = cli(t, "", "--cluster", "call", nodes[0].Addr(), "CLUSTER", "MYID")
	if err != nil {
		t.Fatalf("--cluster call: %v\n%s", err, out)
	}
	for _, s := range nodes {
		if line := s.Addr() + ": " + myID(t, s); !strings.Contains(out, line+"\n") {
			t.Errorf("--cluster call output lacks %q:\n%s", line, out)
		}
	}

	// --cluster set-timeout: CONFIG SET and CONFIG REWRITE on every node.
	out, err = cli(t, "", "--cluster", "set-timeout", nodes[0].Addr(), "1200")
	if err != nil || !strings.Contains(out, "New node timeout set. 6 OK, 0 ERR.") {
		t.Fatalf("--cluster set-timeout: %v\n%s", err, out)
	}
	for _, s := range nodes {
		if got := do(t, s, "CONFIG", "GET", "cluster-node-timeout"); got != "[cluster-node-timeout 1200]" {
			t.Errorf("CONFIG GET cluster-node-timeout on %d = %s", s.Port, got)
		}
	}

	// --cluster fix closes an open slot: master B left importing a slot of master A.
	a, b := masters[0], masters[1]
	slot := strings.SplitN(a.slots[0], "-", 2)[0]
	nb := byAddr(nodes, b.addr)
	mustOK(t, nb, "CLUSTER", "SETSLOT", slot, "IMPORTING", a.id)
	out, _ = cli(t, "", "--cluster", "check", nodes[0].Addr())
	if !strings.Contains(out, "[WARNING] Node "+b.addr+" has slots in importing state "+slot+".") {
		t.Fatalf("--cluster check does not report the open slot:\n%s", out)
	}
	out, err = cli(t, "", "--cluster", "fix", nodes[0].Addr())
	if err != nil || !strings.Contains(out, ">>> Fixing open slot "+slot) || !strings.Contains(out, "Setting "+slot+" as STABLE in "+b.addr) {
		t.Fatalf("--cluster fix: %v\n%s", err, out)
	}
	if n := do(t, nb, "CLUSTER", "NODES"); strings.Contains(n, "[") {
		t.Fatalf("open slot left on %s after --cluster fix:\n%s", b.addr, n)
	}
	clusterCheck(t, nodes[0])

	checkBackup(t, nodes[0])

	// Automatic failover: kill master A; its replica wins the election and takes A's
	// slots, in every surviving node's view, and the cluster is ok again.
	victim, heir := byAddr(nodes, a.addr), replicaOf[a.id]
	var rest []*proctest.Server
	for _, s := range nodes {
		if s != victim {
			rest = append(rest, s)
		}
	}
	victim.Kill()
	waitFor(t, 30*time.Second, "the replica promoted everywhere", func() (bool, string) {
		for _, s := range rest {
			v := clusterNodes(t, s)
			h, old := v[heir.id], v[a.id]
			st := infoField(do(t, s, "CLUSTER", "INFO"), "cluster_state")
			if !h.has("master") || h.master != "-" || strings.Join(h.slots, ",") != strings.Join(a.slots, ",") ||
				!old.has("fail") || len(old.slots) != 0 || st != "ok" {
				return false, fmt.Sprintf("%d: heir %s %v, old master %s %v, state %s", s.Port, h.flags, h.slots, old.flags, old.slots, st)
			}
		}
		return true, ""
	})
	if me := clusterNodes(t, byAddr(nodes, heir.addr))[heir.id]; me.flags != "myself,master" {
		t.Errorf("the promoted replica's own line: %+v", me)
	}
	if _, bad := roles(clusterNodes(t, rest[0])); bad != "" {
		t.Errorf("after the failover: %s", bad)
	}

	// The old master comes back as a replica of the node that replaced it.
	victim.Restart()
	all := append(rest, victim)
	waitFor(t, 30*time.Second, "the old master rejoining as a replica", func() (bool, string) {
		for _, s := range all {
			o := clusterNodes(t, s)[a.id]
			if !o.has("slave") || o.has("fail") || o.master != heir.id {
				return false, fmt.Sprintf("%d sees the old master as %s of %s", s.Port, o.flags, o.master)
			}
		}
		return true, ""
	})
	waitClusterOK(t, all...)
	waitRoles(t, all, 3)
	clusterCheck(t, nodes[1])
}

// checkBackup runs redis-cli --cluster backup. It sends the inline command SYNC to every
// master and reads the RDB payload that follows ($<len>\r\n<rdb>), writing
// <dir>/redis-node-<ip>-<port>-<id>.rdb per master, then <dir>/nodes.json. slotdb has no
// SYNC yet (it comes with replication), so today the command must fail on the first
// master with redis-cli's exact message and leave no files; once SYNC exists, every file
// must be there.
func checkBackup(t *testing.T, entry *proctest.Server) {
	t.Helper()
	dir := t.TempDir()
	out, err := cli(t, "", "--cluster", "backup", entry.Addr(), dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if do(t, entry, "COMMAND", "INFO", "SYNC") == "[(nil)]" {
		if err == nil || !strings.Contains(out, "SYNC with master failed: -ERR unknown command 'SYNC', with args beginning with: ") || len(files) != 0 {
			t.Errorf("--cluster backup without SYNC: %v, files %v\n%s", err, files, out)
		}
		t.Log("--cluster backup needs SYNC (replication), which slotdb lacks: it fails as expected")
		return
	}
	if err != nil || !strings.Contains(out, "[OK] Backup created into: "+dir) || len(files) != 4 {
		t.Errorf("--cluster backup: %v, files %v\n%s", err, files, out)
	}
}
