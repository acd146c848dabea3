package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// A real redis-sentinel 7.0 watching a standalone slotdb master with two slotdb replicas:
// after a SIGKILL of the master the sentinels agree on ODOWN, elect a leader, promote a
// replica (REPLICAOF NO ONE in MULTI with CONFIG REWRITE and CLIENT KILL), point the other
// replica at it, and turn the old master, once restarted, into a replica. Sentinel discovers
// the replicas and the other sentinels through INFO replication and PUBLISH/SUBSCRIBE on
// __sentinel__:hello, so the scenario exercises all of those on slotdb.

// sentinelMaster returns SENTINEL MASTER mymaster as a field map.
func sentinelMaster(t *testing.T, c *proctest.Conn) map[string]string {
	t.Helper()
	r := replDo(t, c, "SENTINEL", "MASTER", "mymaster")
	m := map[string]string{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		m[r.Elems[i].Str] = r.Elems[i+1].Str
	}
	return m
}

// waitFor polls cond every 100 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
}

// roleOf returns ROLE's reply as strings: role, then master host, port, link state (replica).
func roleOf(t *testing.T, c *proctest.Conn) []string {
	t.Helper()
	r := replDo(t, c, "ROLE")
	var out []string
	for _, e := range r.Elems {
		out = append(out, e.Str)
	}
	return out
}

func TestSentinelFailover(t *testing.T) {
	// Each node has a redis.conf: sentinel's reconfiguration rewrites it (CONFIG REWRITE).
	confs := map[*proctest.Server]string{}
	start := func(args ...string) *proctest.Server {
		conf := filepath.Join(t.TempDir(), "node.conf")
		if err := os.WriteFile(conf, []byte("appendonly no\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s := proctest.StartSlotdb(t, append([]string{conf}, args...)...)
		confs[s] = conf
		return s
	}
	m := start()
	mport := strconv.Itoa(m.Port)
	reps := []*proctest.Server{
		start("--replicaof", "127.0.0.1", mport, "--replica-priority", "100"),
		start("--replicaof", "127.0.0.1", mport, "--replica-priority", "100"),
	}
	mc := m.Dial(t)
	for i := 1; i <= 100; i++ {
		replDo(t, mc, "SET", "key"+strconv.Itoa(i), strconv.Itoa(i))
	}
	for _, r := range reps {
		waitInSync(t, mc, r.Dial(t))
	}
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %s 2\n"+
		"sentinel down-after-milliseconds mymaster 1000\n"+
		"sentinel failover-timeout mymaster 6000\n"+
		"sentinel parallel-syncs mymaster 1\n", mport)
	var sc []*proctest.Conn
	for i := 0; i < 3; i++ {
		sc = append(sc, proctest.StartSentinel(t, conf).Dial(t))
	}
	// Every sentinel knows both replicas (INFO) and the two other sentinels (hello messages).
	for i, c := range sc {
		waitFor(t, 20*time.Second, fmt.Sprintf("sentinel %d sees 2 replicas and 2 sentinels", i), func() bool {
			f := sentinelMaster(t, c)
			return f["num-slaves"] == "2" && f["num-other-sentinels"] == "2"
		})
	}

	m.Kill()
	killed := time.Now()
	var newPort string
	waitFor(t, 40*time.Second, "sentinel reports a new master", func() bool {
		r := replDo(t, sc[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if len(r.Elems) == 2 && r.Elems[1].Str != mport {
			newPort = r.Elems[1].Str
			return true
		}
		return false
	})
	t.Logf("failover %v after the SIGKILL", time.Since(killed).Round(time.Millisecond))
	var promoted, other *proctest.Server
	for _, r := range reps {
		if strconv.Itoa(r.Port) == newPort {
			promoted = r
		} else {
			other = r
		}
	}
	if promoted == nil {
		t.Fatalf("the new master %s is none of the replicas", newPort)
	}
	waitFor(t, 20*time.Second, "the other replica follows the new master", func() bool {
		c, err := proctest.Dial(other.Addr())
		if err != nil {
			return false
		}
		defer c.Close()
		r, err := c.DoReply("ROLE")
		return err == nil && len(r.Elems) == 5 && r.Elems[0].Str == "slave" && r.Elems[2].Str == strconv.Itoa(promoted.Port) && r.Elems[3].Str == "connected"
	})
	pc, oc := promoted.Dial(t), other.Dial(t)
	if role := roleOf(t, pc); role[0] != "master" {
		t.Fatalf("ROLE of the promoted replica: %q", role)
	}
	if infoField(t, pc, "master_replid2") == "0000000000000000000000000000000000000000" {
		t.Error("the promoted replica kept no secondary replication id")
	}
	if !logHas(t, other, "Successful partial resynchronization with master") {
		t.Error("the other replica did not continue partially from the promoted one (PSYNC2)")
	}
	// The rewritten files keep the new roles across a restart.
	confLine := func(s *proctest.Server) string {
		b, _ := os.ReadFile(confs[s])
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "replicaof ") {
				return l
			}
		}
		return ""
	}
	waitFor(t, 10*time.Second, "sentinel's CONFIG REWRITE on both replicas", func() bool {
		return confLine(promoted) == "" && confLine(other) == "replicaof 127.0.0.1 "+newPort
	})
	replDo(t, pc, "SET", "after", "failover")
	waitInSync(t, pc, oc)
	for _, c := range []*proctest.Conn{pc, oc} {
		if n := replDo(t, c, "DBSIZE").Str; n != "101" {
			t.Errorf("DBSIZE after the failover = %s, want 101", n)
		}
	}
	for _, c := range sc {
		if r := replDo(t, c, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); len(r.Elems) != 2 || r.Elems[1].Str != newPort {
			waitFor(t, 10*time.Second, "every sentinel switched", func() bool {
				r := replDo(t, c, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
				return len(r.Elems) == 2 && r.Elems[1].Str == newPort
			})
		}
	}

	// The old master comes back as a master with its old data; sentinel demotes it.
	// Sentinel's reconfiguration ends with CLIENT KILL TYPE normal: each poll dials afresh.
	m.Restart()
	waitFor(t, 30*time.Second, "the restarted master is reconfigured as a replica", func() bool {
		c, err := proctest.Dial(m.Addr())
		if err != nil {
			return false
		}
		defer c.Close()
		r, err := c.DoReply("ROLE")
		return err == nil && len(r.Elems) == 5 && r.Elems[0].Str == "slave" && r.Elems[2].Str == newPort && r.Elems[3].Str == "connected"
	})
	mc = m.Dial(t)
	waitInSync(t, pc, mc)
	if v := replDo(t, mc, "GET", "after").Str; v != "failover" {
		t.Errorf("the old master, now a replica, reads after=%q", v)
	}
	if n := replDo(t, mc, "DBSIZE").Str; n != "101" {
		t.Errorf("DBSIZE on the old master after the resync = %s, want 101", n)
	}
}

// Sentinel rewrites each node's redis.conf after a REPLICAOF (in the MULTI with CONFIG
// REWRITE), so that a restarted node keeps its new role: CONFIG GET and REWRITE replicaof
// follow the current master, as in redis-server.
func TestReplicaofConfigRewrite(t *testing.T) {
	for _, start := range []func(testing.TB, ...string) *proctest.Server{proctest.StartRedis, proctest.StartSlotdb} {
		conf := filepath.Join(t.TempDir(), "node.conf")
		if err := os.WriteFile(conf, []byte("appendonly no\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s := start(t, conf)
		c := s.Dial(t)
		line := func() string {
			b, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "replicaof") {
					return l
				}
			}
			return ""
		}
		replDo(t, c, "REPLICAOF", "127.0.0.1", "1")
		if got := replDo(t, c, "CONFIG", "GET", "replicaof"); len(got.Elems) != 2 || got.Elems[1].Str != "127.0.0.1 1" {
			t.Errorf("%s: CONFIG GET replicaof after REPLICAOF: %q", s.Name, got.Raw())
		}
		replDo(t, c, "CONFIG", "REWRITE")
		if l := line(); l != "replicaof 127.0.0.1 1" {
			t.Errorf("%s: rewritten line %q", s.Name, l)
		}
		replDo(t, c, "REPLICAOF", "NO", "ONE")
		if got := replDo(t, c, "CONFIG", "GET", "replicaof"); len(got.Elems) != 2 || got.Elems[1].Str != "" {
			t.Errorf("%s: CONFIG GET replicaof after REPLICAOF NO ONE: %q", s.Name, got.Raw())
		}
		replDo(t, c, "CONFIG", "REWRITE")
		if l := line(); l != "" {
			t.Errorf("%s: line %q left after REPLICAOF NO ONE", s.Name, l)
		}
	}
}
