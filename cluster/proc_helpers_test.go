package cluster_test

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// nodeTimeout keeps failure detection fast in tests (ms).
const nodeTimeout = "1000"

// startSlotdb starts a cluster-enabled slotdb node.
func startSlotdb(t *testing.T, extra ...string) *proctest.Server {
	t.Helper()
	args := append([]string{"--cluster-enabled", "yes", "--cluster-node-timeout", nodeTimeout}, extra...)
	return proctest.StartSlotdb(t, args...)
}

// startRedis starts a cluster-enabled real redis-server 7.0.
func startRedis(t *testing.T, extra ...string) *proctest.Server {
	t.Helper()
	args := append([]string{"--cluster-enabled", "yes", "--cluster-node-timeout", nodeTimeout}, extra...)
	return proctest.StartRedis(t, args...)
}

// redisCli returns the path of the real redis-cli; the test fails when it is missing.
func redisCli(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/redis-cli"} {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli not found: install redis-tools 7.0 (make deps-test)")
	}
	return p
}

// cli runs redis-cli with args and returns its combined output.
func cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(redisCli(t), args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// do sends one command on a fresh connection and returns the reply's text (errors
// included, as "-" + text).
func do(t *testing.T, s *proctest.Server, args ...string) string {
	t.Helper()
	c, err := proctest.Dial(s.Addr())
	if err != nil {
		t.Fatalf("%s: %v", s.Addr(), err)
	}
	defer c.Close()
	c.SetTimeout(5 * time.Second)
	r, err := c.DoReply(args...)
	if err != nil {
		t.Fatalf("%s %v: %v", s.Addr(), args, err)
	}
	return replyText(r)
}

func replyText(r *proctest.Reply) string {
	switch {
	case r.Type == '-':
		return "-" + r.Str
	case r.Null:
		return "(nil)"
	case r.IsAggregate():
		parts := make([]string, len(r.Elems))
		for i, e := range r.Elems {
			parts[i] = replyText(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return strings.TrimPrefix(r.Str, "txt:")
}

func mustOK(t *testing.T, s *proctest.Server, args ...string) {
	t.Helper()
	if got := do(t, s, args...); got != "OK" {
		t.Fatalf("%s %v: got %q, want OK", s.Addr(), args, got)
	}
}

// waitFor polls cond until it holds or d passes; the failure message shows the last
// state cond described.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for {
		ok, desc := cond()
		if ok {
			return
		}
		last = desc
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", d, what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func infoField(info, field string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// waitClusterOK waits until every node reports cluster_state:ok and knows n nodes.
func waitClusterOK(t *testing.T, nodes ...*proctest.Server) {
	t.Helper()
	waitFor(t, 20*time.Second, "cluster_state:ok everywhere", func() (bool, string) {
		var desc []string
		ok := true
		for _, s := range nodes {
			info := do(t, s, "CLUSTER", "INFO")
			st, known := infoField(info, "cluster_state"), infoField(info, "cluster_known_nodes")
			desc = append(desc, fmt.Sprintf("%d:%s/%s", s.Port, st, known))
			if st != "ok" || known != strconv.Itoa(len(nodes)) {
				ok = false
			}
		}
		return ok, strings.Join(desc, " ")
	})
}

// slotSignature is redis-cli's clusterManagerGetConfigSignature: for each node line with
// slots, "id:slots" with the slot tokens as printed; sorted and joined.
func slotSignature(nodes string) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(l)
		if len(f) < 9 {
			continue
		}
		var slots []string
		for _, tok := range f[8:] {
			if !strings.HasPrefix(tok, "[") {
				slots = append(slots, tok)
			}
		}
		if len(slots) > 0 {
			sort.Strings(slots)
			parts = append(parts, f[0]+":"+strings.Join(slots, ","))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

// waitAgree waits until every node prints the same slot signature.
func waitAgree(t *testing.T, nodes ...*proctest.Server) {
	t.Helper()
	waitFor(t, 20*time.Second, "nodes agreeing on the slot map", func() (bool, string) {
		first := ""
		var desc []string
		for i, s := range nodes {
			sig := slotSignature(do(t, s, "CLUSTER", "NODES"))
			desc = append(desc, sig)
			if i == 0 {
				first = sig
			} else if sig != first {
				return false, strings.Join(desc, " /// ")
			}
		}
		return true, ""
	})
}

// meetAll makes nodes[0] meet every other node.
func meetAll(t *testing.T, nodes ...*proctest.Server) {
	t.Helper()
	for _, s := range nodes[1:] {
		mustOK(t, nodes[0], "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.Port))
	}
}

// writeKeys sets key1..keyN through redis-cli -c (following MOVED).
func writeKeys(t *testing.T, entry *proctest.Server, n int) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "SET key%d v%d\n", i, i)
	}
	out, err := cli(t, b.String(), "-c", "-p", strconv.Itoa(entry.Port))
	if err != nil || strings.Count(out, "OK") != n {
		t.Fatalf("redis-cli -c SET: %v\n%s", err, out)
	}
}

// checkKeys reads key1..keyN through redis-cli -c.
func checkKeys(t *testing.T, entry *proctest.Server, n int) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "GET key%d\n", i)
	}
	out, err := cli(t, b.String(), "-c", "-p", strconv.Itoa(entry.Port))
	if err != nil {
		t.Fatalf("redis-cli -c GET: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "-> Redirected") {
			lines = append(lines, l)
		}
	}
	if len(lines) != n {
		t.Fatalf("redis-cli -c GET: %d lines, want %d\n%s", len(lines), n, out)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("v%d", i+1); l != want {
			t.Fatalf("GET key%d through %d = %q, want %q", i+1, entry.Port, l, want)
		}
	}
}

var checkOK = regexp.MustCompile(`\[OK\] All 16384 slots covered`)

// clusterCheck runs redis-cli --cluster check and fails on any warning or error.
func clusterCheck(t *testing.T, entry *proctest.Server) string {
	t.Helper()
	out, err := cli(t, "", "--cluster", "check", entry.Addr())
	if err != nil || !checkOK.MatchString(out) || strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERR]") {
		t.Fatalf("redis-cli --cluster check %s: %v\n%s", entry.Addr(), err, out)
	}
	return out
}

func myID(t *testing.T, s *proctest.Server) string {
	t.Helper()
	id := do(t, s, "CLUSTER", "MYID")
	if len(id) != 40 {
		t.Fatalf("CLUSTER MYID on %d = %q", s.Port, id)
	}
	return id
}

// nodeFlags returns the flags field of node id's line in CLUSTER NODES on s.
func nodeFlags(t *testing.T, s *proctest.Server, id string) string {
	t.Helper()
	for _, l := range strings.Split(do(t, s, "CLUSTER", "NODES"), "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

// execCommand runs a binary that must exit by itself within 15 s.
func execCommand(bin string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { cancel(); return cmd.Process.Kill() }
	return cmd
}
