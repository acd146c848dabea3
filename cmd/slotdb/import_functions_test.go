package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

func fcall(t *testing.T, s *proctest.Server, fn, arg, want string) {
	t.Helper()
	got, err := s.Dial(t).Do("FCALL", fn, "0", arg)
	if err != nil || string(got) != want {
		t.Fatalf("%s: FCALL %s = %q, %v; want %q", s.Addr(), fn, got, err, want)
	}
}

// TestImportFunctions: the function libraries of a dump.rdb (FUNCTION2) and of an
// appendonlydir (its RDB base and the FUNCTION LOADs of its incr file) reach the target; a
// re-run skips the libraries the target has, --replace replaces them.
func TestImportFunctions(t *testing.T) {
	// An appendonlydir made by a real Redis: a library in the base, another in the incr.
	src := proctest.StartRedis(t, "--appendonly", "yes")
	sc := src.Dial(t)
	sc.Do("FUNCTION", "LOAD", exportLib)
	sc.Do("SET", "k", "v")
	if got, err := sc.Do("BGREWRITEAOF"); err != nil || !strings.Contains(string(got), "rewriting") {
		t.Fatalf("BGREWRITEAOF: %q, %v", got, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, _ := sc.Do("INFO", "persistence")
		if strings.Contains(string(info), "aof_rewrite_in_progress:0") && strings.Contains(string(info), "aof_rewrites:1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGREWRITEAOF did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	incrLib := strings.NewReplacer("exlib", "inclib", "'exfn'", "'incfn'").Replace(exportLib)
	sc.Do("FUNCTION", "LOAD", incrLib)
	aofDir := filepath.Join(src.Dir, "appendonlydir")

	for _, target := range []string{"redis", "slotdb"} {
		t.Run(target, func(t *testing.T) {
			var s *proctest.Server
			if target == "redis" {
				s = proctest.StartRedis(t)
			} else {
				s = proctest.StartSlotdb(t)
			}
			if rc := cmdImport([]string{corpus(t, "rdb/functions.rdb"), "--to", s.Addr()}); rc != 0 {
				t.Fatalf("import exit %d", rc)
			}
			fcall(t, s, "myecho", "x", "$1\r\nx\r\n")
			// A re-run: the library exists, it is skipped, the run succeeds.
			if rc := cmdImport([]string{corpus(t, "rdb/functions.rdb"), "--to", s.Addr()}); rc != 0 {
				t.Fatalf("re-run exit %d", rc)
			}
			if rc := cmdImport([]string{corpus(t, "rdb/functions.rdb"), "--to", s.Addr(), "--replace"}); rc != 0 {
				t.Fatalf("--replace exit %d", rc)
			}
			fcall(t, s, "myecho", "y", "$1\r\ny\r\n")

			if rc := cmdImport([]string{aofDir, "--to", s.Addr()}); rc != 0 {
				t.Fatalf("appendonlydir import exit %d", rc)
			}
			fcall(t, s, "exfn", "a", "$4\r\nex:a\r\n")
			fcall(t, s, "incfn", "b", "$4\r\nex:b\r\n")
			if got, _ := s.Dial(t).Do("GET", "k"); string(got) != "$1\r\nv\r\n" {
				t.Fatalf("GET k = %q", got)
			}
		})
	}
}

// TestImportFunctionsCluster: into a cluster, every master gets the libraries.
func TestImportFunctionsCluster(t *testing.T) {
	nodes := twoMasters(t)
	if rc := cmdImport([]string{corpus(t, "rdb/functions.rdb"), "--to", nodes[0].Addr()}); rc != 0 {
		t.Fatalf("import exit %d", rc)
	}
	for _, n := range nodes {
		fcall(t, n, "myecho", "z", "$1\r\nz\r\n")
	}
	if out, err := exec.Command("redis-cli", "-c", "-p", strconv.Itoa(nodes[1].Port), "GET", "fkey").CombinedOutput(); err != nil ||
		strings.TrimSpace(string(out)) != "with a function library" {
		t.Fatalf("GET fkey: %q, %v", out, err)
	}
}

// twoMasters starts a slotdb cluster of two masters, 0-8191 and 8192-16383, and waits for
// cluster_state:ok on both.
func twoMasters(t *testing.T) []*proctest.Server {
	t.Helper()
	var nodes []*proctest.Server
	for i := 0; i < 2; i++ {
		nodes = append(nodes, proctest.StartSlotdb(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000"))
	}
	a, b := nodes[0].Dial(t), nodes[1].Dial(t)
	a.Do("CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	b.Do("CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	a.Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(nodes[1].Port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		ia, _ := a.Do("CLUSTER", "INFO")
		ib, _ := b.Do("CLUSTER", "INFO")
		if strings.Contains(string(ia), "cluster_state:ok") && strings.Contains(string(ib), "cluster_state:ok") &&
			strings.Contains(string(ia), "cluster_known_nodes:2") && strings.Contains(string(ib), "cluster_known_nodes:2") {
			return nodes
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cluster_state:ok:\n%s\n%s", ia, ib)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
