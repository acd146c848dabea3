package cluster_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// standaloneAOF has a real standalone redis-server write key1..keyN with appendonly yes,
// shuts it down and returns its appendonlydir.
func standaloneAOF(t *testing.T, n int) string {
	t.Helper()
	r := proctest.StartRedis(t, "--appendonly", "yes")
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "SET key%d v%d\n", i, i)
	}
	if out, err := cli(t, b.String(), "-p", strconv.Itoa(r.Port)); err != nil || strings.Count(out, "OK") != n {
		t.Fatalf("redis-cli SET: %v\n%s", err, out)
	}
	if !r.Stop() {
		t.Fatal("redis-server did not stop on SIGTERM")
	}
	dir := filepath.Join(r.Dir, "appendonlydir")
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof.manifest")); err != nil {
		t.Fatalf("redis-server left no AOF manifest: %v", err)
	}
	return dir
}

// Issue item 7: a standalone's appendonly files with key1..key100 copied into the first of
// two masters (0-8191, 8192-16383); both restarted. The first node claims no slot and opens
// none: it serves the 51 keys of its slots and hands the 49 others to the second master.
func TestStandaloneFilesHandedToOwners(t *testing.T) {
	t.Parallel()
	src := standaloneAOF(t, 100)
	a := startSlotdb(t, "--appendonly", "yes")
	b := startSlotdb(t, "--appendonly", "yes")
	meetAll(t, a, b)
	mustOK(t, a, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	mustOK(t, b, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	waitClusterOK(t, a, b)
	waitAgree(t, a, b)
	// The owner already has key35 (slot 8221) with a value of its own: it keeps it.
	if got := do(t, b, "SET", "key35", "owner"); got != "OK" {
		t.Fatalf("SET key35 on b = %q", got)
	}
	a.Stop()
	b.Stop()
	if out, err := exec.Command("cp", "-r", src, filepath.Join(a.Dir, "appendonlydir")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	a.Restart()
	b.Restart()

	wantA := 0
	for i := 1; i <= 100; i++ {
		if keyslot.Of([]byte("key"+strconv.Itoa(i))) <= 8191 {
			wantA++
		}
	}
	if wantA != 51 {
		t.Fatalf("%d of key1..key100 hash to 0-8191, the scenario expects 51", wantA)
	}
	waitFor(t, 30*time.Second, "DBSIZE 51 and 49", func() (bool, string) {
		na, nb := dbsize(t, a), dbsize(t, b)
		return na == 51 && nb == 49, fmt.Sprintf("a=%d b=%d", na, nb)
	})
	for _, s := range []*proctest.Server{a, b} {
		if nodes := do(t, s, "CLUSTER", "NODES"); strings.Contains(nodes, "[") {
			t.Fatalf("open slots on %d:\n%s", s.Port, nodes)
		}
	}
	waitAgree(t, a, b)
	out := clusterCheck(t, a)
	if !strings.Contains(out, "[OK] All nodes agree about slots configuration.") {
		t.Fatalf("redis-cli --cluster check:\n%s", out)
	}
	want := func(i int) string {
		if i == 35 {
			return "owner"
		}
		return "v" + strconv.Itoa(i)
	}
	// Every key through redis-cli -c from either node.
	for _, s := range []*proctest.Server{a, b} {
		var in strings.Builder
		for i := 1; i <= 100; i++ {
			fmt.Fprintf(&in, "GET key%d\n", i)
		}
		out, err := cli(t, in.String(), "-c", "-p", strconv.Itoa(s.Port))
		if err != nil {
			t.Fatalf("redis-cli -c: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, "-> Redirected") {
				got = append(got, l)
			}
		}
		if len(got) != 100 {
			t.Fatalf("redis-cli -c through %d: %d replies\n%s", s.Port, len(got), out)
		}
		for i, l := range got {
			if l != want(i+1) {
				t.Fatalf("redis-cli -c GET key%d through %d = %q, want %q", i+1, s.Port, l, want(i+1))
			}
		}
	}
	// Each node answers only for its own half.
	for i := 1; i <= 100; i++ {
		k := "key" + strconv.Itoa(i)
		owner, other := a, b
		if keyslot.Of([]byte(k)) > 8191 {
			owner, other = b, a
		}
		if got := do(t, owner, "GET", k); got != want(i) {
			t.Fatalf("GET %s on its owner = %q", k, got)
		}
		if got := do(t, other, "GET", k); !strings.HasPrefix(got, "-MOVED ") {
			t.Fatalf("GET %s on the other node = %q, want MOVED", k, got)
		}
	}
	log := a.LogTail(1 << 20)
	for _, want := range []string{
		"The data holds 49 keys in ",
		"Handing 1 keys of slot ",
		`Key "key35" of slot 8221 already exists on ` + myID(t, b) + `: keeping its value there, deleting the local one`,
		"Hand-off finished",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("node log lacks %q", want)
		}
	}
}
