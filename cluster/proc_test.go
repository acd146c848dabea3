package cluster_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// One master owning every slot (make run's node): keys readable with -c, and the node
// keeps its identity and slots across a restart.
func TestOneMasterAllSlots(t *testing.T) {
	t.Parallel()
	s := startSlotdb(t, "--cluster-own-all-slots")
	waitClusterOK(t, s)
	id := myID(t, s)
	writeKeys(t, s, 100)
	checkKeys(t, s, 100)
	if got := do(t, s, "DBSIZE"); got != "100" {
		t.Fatalf("DBSIZE = %s, want 100", got)
	}
	s.Restart()
	waitClusterOK(t, s)
	if got := myID(t, s); got != id {
		t.Fatalf("id after restart %s, want %s", got, id)
	}
	nodes := do(t, s, "CLUSTER", "NODES")
	if !strings.Contains(nodes, id+" ") || !strings.HasSuffix(strings.TrimSpace(nodes), " 0-16383") {
		t.Fatalf("CLUSTER NODES after restart:\n%s", nodes)
	}
	checkKeys(t, s, 100)
	conf, err := os.ReadFile(filepath.Join(s.Dir, "nodes.conf"))
	if err != nil || !strings.Contains(string(conf), "vars currentEpoch ") {
		t.Fatalf("nodes.conf: %v\n%s", err, conf)
	}
}

// Masters with manual slot ranges joined by MEET: redis-cli -c spreads key1..key100 by
// slot, and each node holds exactly the keys of its slots.
func TestMastersManualRanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ranges [][2]int
		dbsize []string
	}{
		{"two", [][2]int{{0, 8191}, {8192, 16383}}, []string{"51", "49"}},
		{"three", [][2]int{{0, 5461}, {5462, 10922}, {10923, 16383}}, []string{"32", "33", "35"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var nodes []*proctest.Server
			for _, r := range tc.ranges {
				s := startSlotdb(t)
				mustOK(t, s, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(r[0]), strconv.Itoa(r[1]))
				nodes = append(nodes, s)
			}
			meetAll(t, nodes...)
			waitClusterOK(t, nodes...)
			waitAgree(t, nodes...)
			writeKeys(t, nodes[0], 100)
			for i, s := range nodes {
				if got := do(t, s, "DBSIZE"); got != tc.dbsize[i] {
					t.Errorf("node %d (%v) DBSIZE = %s, want %s", i, tc.ranges[i], got, tc.dbsize[i])
				}
			}
			for _, s := range nodes {
				checkKeys(t, s, 100)
			}
			clusterCheck(t, nodes[0])
		})
	}
}

// redis-cli --cluster create of three masters, check, then add-node and del-node.
func TestClusterCreateAddDel(t *testing.T) {
	t.Parallel()
	var nodes []*proctest.Server
	var addrs []string
	for i := 0; i < 3; i++ {
		s := startSlotdb(t)
		nodes = append(nodes, s)
		addrs = append(addrs, s.Addr())
	}
	out, err := cli(t, "", append([]string{"--cluster", "create"}, append(addrs, "--cluster-yes")...)...)
	if err != nil || !strings.Contains(out, "[OK] All 16384 slots covered") {
		t.Fatalf("--cluster create: %v\n%s", err, out)
	}
	waitClusterOK(t, nodes...)
	clusterCheck(t, nodes[0])

	extra := startSlotdb(t)
	out, err = cli(t, "", "--cluster", "add-node", extra.Addr(), nodes[0].Addr())
	if err != nil || !strings.Contains(out, "[OK] New node added correctly.") {
		t.Fatalf("--cluster add-node: %v\n%s", err, out)
	}
	all := append(append([]*proctest.Server(nil), nodes...), extra)
	waitClusterOK(t, all...)
	clusterCheck(t, nodes[0])

	id := myID(t, extra)
	out, err = cli(t, "", "--cluster", "del-node", nodes[0].Addr(), id)
	if err != nil || !strings.Contains(out, "Sending CLUSTER RESET SOFT to the deleted node.") {
		t.Fatalf("--cluster del-node: %v\n%s", err, out)
	}
	if known := infoField(do(t, extra, "CLUSTER", "INFO"), "cluster_known_nodes"); known != "1" {
		t.Errorf("the deleted node knows %s nodes after CLUSTER RESET SOFT", known)
	}
	for _, s := range nodes {
		if f := nodeFlags(t, s, id); f != "" {
			t.Errorf("node %d still lists the deleted node (%s)", s.Port, f)
		}
	}
	waitClusterOK(t, nodes...)
	clusterCheck(t, nodes[0])
}

// SETSLOT IMPORTING / MIGRATING show as [slot-<-id] / [slot->-id] on the myself line and
// redirect with ASK; ASKING lets the importing node serve; STABLE clears both.
func TestSetSlotOpenSlots(t *testing.T) {
	t.Parallel()
	a, b := startSlotdb(t), startSlotdb(t)
	mustOK(t, a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	mustOK(t, b, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	meetAll(t, a, b)
	waitClusterOK(t, a, b)
	idA, idB := myID(t, a), myID(t, b)

	slot := int(keyslot.Of([]byte("key1"))) // 9189, owned by b
	ss := strconv.Itoa(slot)
	mustOK(t, b, "SET", "{key1}present", "1")
	mustOK(t, a, "CLUSTER", "SETSLOT", ss, "IMPORTING", idB)
	mustOK(t, b, "CLUSTER", "SETSLOT", ss, "MIGRATING", idA)
	if n := do(t, a, "CLUSTER", "NODES"); !strings.Contains(n, "["+ss+"-<-"+idB+"]") {
		t.Fatalf("importing marker missing on a:\n%s", n)
	}
	if n := do(t, b, "CLUSTER", "NODES"); !strings.Contains(n, "["+ss+"->-"+idA+"]") {
		t.Fatalf("migrating marker missing on b:\n%s", n)
	}

	// b still has no key1: ASK to a. a without ASKING: MOVED back to b.
	addrA := "127.0.0.1:" + strconv.Itoa(a.Port)
	addrB := "127.0.0.1:" + strconv.Itoa(b.Port)
	if got := do(t, b, "GET", "key1"); got != "-ASK "+ss+" "+addrA {
		t.Fatalf("GET key1 on migrating b = %q", got)
	}
	if got := do(t, a, "GET", "key1"); got != "-MOVED "+ss+" "+addrB {
		t.Fatalf("GET key1 on importing a without ASKING = %q", got)
	}
	c := a.Dial(t)
	for _, step := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"ASKING"}, "+OK\r\n"},
		{[]string{"SET", "key1", "x"}, "+OK\r\n"},
		{[]string{"GET", "key1"}, "-MOVED " + ss + " " + addrB + "\r\n"}, // ASKING lasts one command
	} {
		got, err := c.Do(step.cmd...)
		if err != nil || string(got) != step.want {
			t.Fatalf("%v on a: %q, %v; want %q", step.cmd, got, err, step.want)
		}
	}
	// A key of the slot present on b and one absent: TRYAGAIN for the multi-key request.
	if got := do(t, b, "MGET", "{key1}present", "{key1}absent"); got != "-TRYAGAIN Multiple keys request during rehashing of slot" {
		t.Fatalf("MGET on migrating b = %q", got)
	}

	mustOK(t, a, "CLUSTER", "SETSLOT", ss, "STABLE")
	mustOK(t, b, "CLUSTER", "SETSLOT", ss, "STABLE")
	for _, s := range []*proctest.Server{a, b} {
		if n := do(t, s, "CLUSTER", "NODES"); strings.Contains(n, "[") {
			t.Fatalf("open slot left after STABLE on %d:\n%s", s.Port, n)
		}
	}
	if got := do(t, a, "GET", "key1"); got != "-MOVED "+ss+" "+addrB {
		t.Fatalf("GET key1 on a after STABLE = %q", got)
	}
	conf, _ := os.ReadFile(filepath.Join(a.Dir, "nodes.conf"))
	if strings.Contains(string(conf), "[") {
		t.Fatalf("nodes.conf keeps an open slot after STABLE:\n%s", conf)
	}
}

// A master killed with SIGKILL is marked FAIL by the others and cluster_state goes fail;
// when it comes back the FAIL flag clears and the state is ok again.
func TestKilledMasterFails(t *testing.T) {
	t.Parallel()
	var nodes []*proctest.Server
	for _, r := range [][2]string{{"0", "5461"}, {"5462", "10922"}, {"10923", "16383"}} {
		s := startSlotdb(t)
		mustOK(t, s, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1])
		nodes = append(nodes, s)
	}
	meetAll(t, nodes...)
	waitClusterOK(t, nodes...)
	waitAgree(t, nodes...)
	victim := nodes[2]
	vid := myID(t, victim)
	victim.Kill()
	for _, s := range nodes[:2] {
		waitFor(t, 20*time.Second, "FAIL flag and cluster_state:fail", func() (bool, string) {
			f := nodeFlags(t, s, vid)
			st := infoField(do(t, s, "CLUSTER", "INFO"), "cluster_state")
			return strings.Contains(","+f+",", ",fail,") && st == "fail", f + " " + st
		})
		if got := do(t, s, "GET", "key1"); !strings.HasPrefix(got, "-CLUSTERDOWN The cluster is down") {
			t.Fatalf("GET while down = %q", got)
		}
	}
	victim.Restart()
	waitClusterOK(t, nodes...)
	for _, s := range nodes[:2] {
		if f := nodeFlags(t, s, vid); strings.Contains(f, "fail") {
			t.Fatalf("node %d still flags the restarted master: %s", s.Port, f)
		}
	}
}

// Routing errors and cluster-only commands on one node.
func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	s := startSlotdb(t)
	if got := do(t, s, "GET", "foo"); got != "-CLUSTERDOWN Hash slot not served" {
		t.Errorf("GET on a node without slots = %q", got)
	}
	mustOK(t, s, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	waitClusterOK(t, s)
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"MSET", "a", "1", "b", "2"}, "-CROSSSLOT Keys in request don't hash to the same slot"},
		{[]string{"MSET", "{a}1", "1", "{a}2", "2"}, "OK"},
		{[]string{"SELECT", "1"}, "-ERR SELECT is not allowed in cluster mode"},
		{[]string{"CLUSTER", "KEYSLOT", "foo"}, "12182"},
		{[]string{"CLUSTER", "COUNTKEYSINSLOT", "15495"}, "2"},
		{[]string{"CLUSTER", "COUNTKEYSINSLOT", "16384"}, "-ERR Invalid slot"},
		{[]string{"CLUSTER", "GETKEYSINSLOT", "15495", "10"}, "[{a}1 {a}2]"},
		{[]string{"CLUSTER", "GETKEYSINSLOT", "15495", "-1"}, "-ERR Invalid slot or number of keys"},
		{[]string{"CLUSTER", "MYSHARDID"}, "-ERR unknown subcommand 'MYSHARDID'. Try CLUSTER HELP."},
		{[]string{"CLUSTER", "MEET", "1.2.3.4"}, "-ERR wrong number of arguments for 'cluster|meet' command"},
		{[]string{"CLUSTER", "FAILOVER", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP."},
		{[]string{"CLUSTER", "SETSLOT", "1", "node"}, "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{[]string{"READONLY"}, "OK"},
		{[]string{"ASKING"}, "OK"},
	} {
		if got := do(t, s, tc.cmd...); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.cmd, got, tc.want)
		}
	}
	plain := proctest.StartSlotdb(t)
	for _, cmd := range [][]string{{"CLUSTER", "INFO"}, {"CLUSTER", "HELP"}, {"READONLY"}, {"ASKING"}} {
		if got := do(t, plain, cmd...); got != "-ERR This instance has cluster support disabled" {
			t.Errorf("%v without cluster mode = %q", cmd, got)
		}
	}
	if got := do(t, s, "INFO", "cluster"); !strings.Contains(got, "cluster_enabled:1") {
		t.Errorf("INFO cluster = %q", got)
	}
}

// A corrupt nodes.conf stops startup with a message naming the file and the line.
func TestCorruptNodesConf(t *testing.T) {
	t.Parallel()
	s := startSlotdb(t)
	conf := filepath.Join(s.Dir, "nodes.conf")
	s.Stop()
	if err := os.WriteFile(conf, []byte("vars currentEpoch 0 lastVoteEpoch 0\nnot a node line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := proctest.BuildSlotdb(t)
	cmd := execCommand(bin, "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir, "--cluster-enabled", "yes")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("started with a corrupt nodes.conf:\n%s", out)
	}
	if !strings.Contains(string(out), "corrupted cluster config file \"nodes.conf\"") || !strings.Contains(string(out), "line 2") {
		t.Fatalf("startup error does not name the file and line:\n%s", out)
	}
}
