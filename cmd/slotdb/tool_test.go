package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/persisttest"
	"github.com/slotdb/slotdb/internal/proctest"
)

func corpus(t *testing.T, rel string) string {
	t.Helper()
	d, err := persisttest.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(d, rel)
}

func records(t *testing.T, addrs ...string) []persisttest.Record {
	t.Helper()
	dbs := 16
	if len(addrs) > 1 { // a cluster: database 0 only
		dbs = 1
	}
	var all []persisttest.Record
	for _, a := range addrs {
		rs, err := persisttest.DumpAll(a, dbs)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	persisttest.Sort(all)
	return all
}

func same(t *testing.T, what string, want, got []persisttest.Record) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	if d := persisttest.Diff(want, got); len(d) > 0 {
		t.Fatalf("%s: %d differences:\n%s", what, len(d), strings.Join(d, "\n"))
	}
}

func expected(t *testing.T, rel string, onlyDB0 bool) []persisttest.Record {
	t.Helper()
	rs, err := persisttest.ReadExpected(corpus(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if onlyDB0 {
		var out []persisttest.Record
		for _, r := range rs {
			if r.DB == 0 {
				out = append(out, r)
			}
		}
		rs = out
	}
	return rs
}

// TestImportExportStandalone: import the corpus into a real redis-server and into slotdb, a
// re-run skips everything, export back and a real redis loads the export.
func TestImportExportStandalone(t *testing.T) {
	want := expected(t, "rdb/everything.expected.jsonl", false)
	aofWant := expected(t, "aof/multipart-rdb-base/expected.jsonl", false)
	for _, target := range []string{"redis", "slotdb"} {
		t.Run(target, func(t *testing.T) {
			var s *proctest.Server
			if target == "redis" {
				s = proctest.StartRedis(t)
			} else {
				s = proctest.StartSlotdb(t)
			}
			if rc := cmdImport([]string{corpus(t, "rdb/everything.rdb"), "--to", s.Addr()}); rc != 0 {
				t.Fatalf("import exit %d", rc)
			}
			same(t, "after import", want, records(t, s.Addr()))
			if rc := cmdImport([]string{"--to", s.Addr(), corpus(t, "rdb/everything.rdb")}); rc != 0 {
				t.Fatalf("re-run exit %d", rc)
			}
			same(t, "after re-run", want, records(t, s.Addr()))

			out := filepath.Join(t.TempDir(), "dump.rdb")
			if rc := cmdExport([]string{"--from", s.Addr(), "--rdb", out}); rc != 0 {
				t.Fatalf("export exit %d", rc)
			}
			r := proctest.StartRedis(t, "--dir", filepath.Dir(out))
			same(t, "export loaded by redis", want, records(t, r.Addr()))

			adir := filepath.Join(t.TempDir(), "appendonlydir")
			if rc := cmdExport([]string{"--from", s.Addr(), "--aof", adir}); rc != 0 {
				t.Fatalf("export --aof exit %d", rc)
			}
			r2 := proctest.StartRedis(t, "--dir", filepath.Dir(adir), "--appendonly", "yes")
			same(t, "AOF export loaded by redis", want, records(t, r2.Addr()))

			// An AOF directory as source, with --replace, into a flushed target.
			c := s.Dial(t)
			c.Do("FLUSHALL")
			if rc := cmdImport([]string{"--replace", "--to", s.Addr(), corpus(t, "aof/multipart-rdb-base/appendonlydir")}); rc != 0 {
				t.Fatalf("AOF import exit %d", rc)
			}
			same(t, "AOF import", aofWant, records(t, s.Addr()))
		})
	}
}

// TestImportFailures: an unreachable target and an unreadable source exit non-zero.
func TestImportFailures(t *testing.T) {
	s := proctest.StartSlotdb(t)
	if rc := cmdImport([]string{corpus(t, "rdb/legacy/corrupt_ziplist.rdb"), "--to", s.Addr()}); rc == 0 {
		t.Fatal("corrupt source: exit 0")
	}
	if rc := cmdImport([]string{corpus(t, "rdb/strings.rdb"), "--to", "127.0.0.1:1"}); rc == 0 {
		t.Fatal("unreachable target: exit 0")
	}
	if rc := cmdImport([]string{corpus(t, "rdb/strings.rdb")}); rc != 2 {
		t.Fatalf("no --to: exit %d", rc)
	}
}

// TestImportCluster: a 3-master slotdb cluster; keys of other databases are refused up front
// unless --db picks one; keys land on their slots' masters; export reads every master.
func TestImportCluster(t *testing.T) {
	var nodes []*proctest.Server
	var addrs []string
	for i := 0; i < 3; i++ {
		n := proctest.StartSlotdb(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		nodes = append(nodes, n)
		addrs = append(addrs, n.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, n := range nodes {
			raw, err := n.Dial(t).Do("CLUSTER", "INFO")
			ok = ok && err == nil && strings.Contains(string(raw), "cluster_state:ok")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster never reached cluster_state:ok")
		}
		time.Sleep(200 * time.Millisecond)
	}
	src := corpus(t, "rdb/multidb.rdb")
	if rc := cmdImport([]string{src, "--to", addrs[1]}); rc == 0 {
		t.Fatal("multi-db source into a cluster without --db: exit 0")
	}
	for _, n := range nodes {
		if raw, _ := n.Dial(t).Do("DBSIZE"); string(raw) != ":0\r\n" {
			t.Fatalf("keys written before the refusal: DBSIZE %q", raw)
		}
	}
	if rc := cmdImport([]string{src, "--db", "0", "--to", addrs[1]}); rc != 0 {
		t.Fatalf("--db 0: exit %d", rc)
	}
	if rc := cmdImport([]string{corpus(t, "rdb/everything.rdb"), "--db", "0", "--to", addrs[0], "--replace"}); rc != 0 {
		t.Fatalf("everything --db 0: exit %d", rc)
	}
	want := expected(t, "rdb/everything.expected.jsonl", true)
	// multidb's db-0 keys are in everything's db 0 too (same names and values).
	got := records(t, addrs...)
	same(t, "cluster contents", want, got)
	var spread int
	for _, n := range nodes {
		if raw, _ := n.Dial(t).Do("DBSIZE"); string(raw) != ":0\r\n" {
			spread++
		}
	}
	if spread != 3 {
		t.Fatalf("keys on %d of 3 masters", spread)
	}
	out := filepath.Join(t.TempDir(), "dump.rdb")
	if rc := cmdExport([]string{"--from", addrs[2], "--rdb", out}); rc != 0 {
		t.Fatalf("export exit %d", rc)
	}
	r := proctest.StartRedis(t, "--dir", filepath.Dir(out))
	same(t, "cluster export loaded by redis", want, records(t, r.Addr()))
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}
