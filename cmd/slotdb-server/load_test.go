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

func td(t *testing.T) string {
	t.Helper()
	d, err := persisttest.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func copyInto(t *testing.T, dir, src, name string) {
	t.Helper()
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if st.IsDir() {
		err = os.CopyFS(filepath.Join(dir, name), os.DirFS(src))
	} else {
		var b []byte
		if b, err = os.ReadFile(src); err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func contents(t *testing.T, s *proctest.Server) []persisttest.Record {
	t.Helper()
	rs, err := persisttest.DumpAll(s.Addr(), 16)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func expectSame(t *testing.T, want, got []persisttest.Record) {
	t.Helper()
	if d := persisttest.Diff(want, got); len(d) > 0 {
		t.Fatalf("%d differences:\n%s", len(d), strings.Join(d, "\n"))
	}
}

// TestStartLoadsCorpus: a node started in a dir holding a corpus dump.rdb, appendonly.aof or
// appendonlydir serves exactly the expected keys; a restart does not import again.
func TestStartLoadsCorpus(t *testing.T) {
	d := td(t)
	cases := []struct{ name, src, as, expected string }{
		{"everything.rdb", "rdb/everything.rdb", "dump.rdb", "rdb/everything.expected.jsonl"},
		{"expired.rdb", "rdb/expired.rdb", "dump.rdb", "rdb/expired.expected.jsonl"},
		{"multidb.rdb", "rdb/multidb.rdb", "dump.rdb", "rdb/multidb.expected.jsonl"},
		{"legacy-encodings.rdb", "rdb/legacy/encodings.rdb", "dump.rdb", "rdb/legacy/encodings.expected.jsonl"},
		{"multipart-rdb-base", "aof/multipart-rdb-base/appendonlydir", "appendonlydir", "aof/multipart-rdb-base/expected.jsonl"},
		{"multipart-aof-base-timestamps", "aof/multipart-aof-base-timestamps/appendonlydir", "appendonlydir", "aof/multipart-aof-base-timestamps/expected.jsonl"},
		{"multipart-with-history", "aof/multipart-with-history/appendonlydir", "appendonlydir", "aof/multipart-with-history/expected.jsonl"},
		{"single-file-plain", "aof/single-file-plain/appendonly.aof", "appendonly.aof", "aof/single-file-plain/expected.jsonl"},
		{"single-file-rdb-preamble", "aof/single-file-rdb-preamble/appendonly.aof", "appendonly.aof", "aof/single-file-rdb-preamble/expected.jsonl"},
		{"truncated", "aof/truncated/appendonly.aof", "appendonly.aof", "aof/truncated/expected.jsonl"},
		{"truncated-multi", "aof/truncated-multi/appendonly.aof", "appendonly.aof", "aof/truncated-multi/expected.jsonl"},
		{"legacy-rdb-preamble", "aof/legacy/rdb-preamble.aof", "appendonly.aof", "aof/legacy/rdb-preamble.expected.jsonl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := persisttest.ReadExpected(filepath.Join(d, tc.expected))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copyInto(t, dir, filepath.Join(d, tc.src), tc.as)
			args := []string{"--dir", dir}
			if tc.as != "dump.rdb" {
				args = append(args, "--appendonly", "yes")
			}
			s := proctest.StartSlotdb(t, args...)
			expectSame(t, want, contents(t, s))

			// A restart keeps newer data and does not import again.
			c := s.Dial(t)
			if _, err := c.Do("SET", "written-after-import", "1"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do("FLUSHDB"); err != nil {
				t.Fatal(err)
			}
			s.Restart()
			got := contents(t, s)
			for _, r := range got {
				if r.DB == 0 {
					t.Fatalf("db 0 after FLUSHDB and restart holds %v: the files were imported again", r)
				}
			}
			if !strings.Contains(s.LogTail(1<<16), "already imported") {
				t.Fatalf("no 'already imported' log line on restart:\n%s", s.LogTail(2048))
			}
		})
	}
}

// TestStartRefusesBadFiles: files Redis refuses stop the node with an error.
func TestStartRefusesBadFiles(t *testing.T) {
	d := td(t)
	for _, tc := range []struct{ src, as string }{
		{"aof/bad-format/appendonly.aof", "appendonly.aof"},
		{"aof/truncated-preamble/appendonly.aof", "appendonly.aof"},
		{"rdb/legacy/corrupt_ziplist.rdb", "dump.rdb"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			dir := t.TempDir()
			copyInto(t, dir, filepath.Join(d, tc.src), tc.as)
			bin := proctest.BuildSlotdb(t)
			args := []string{"--port", "0", "--dir", dir}
			if tc.as != "dump.rdb" {
				args = append(args, "--appendonly", "yes")
			}
			out, err := runBin(bin, args...)
			if err == nil || !strings.Contains(out, "Bad file format") && !strings.Contains(out, "Short read") {
				t.Fatalf("node did not refuse %s with a load error (%v):\n%s", tc.src, err, out)
			}
			t.Logf("refused: %.300s", out[max(0, len(out)-300):])
		})
	}
}

// TestStartSkipsWhenStoreHasData: files that appear in dir after the store got data are
// ignored, with a log line.
func TestStartSkipsWhenStoreHasData(t *testing.T) {
	d := td(t)
	dir := t.TempDir()
	s := proctest.StartSlotdb(t, "--dir", dir)
	c := s.Dial(t)
	if _, err := c.Do("SET", "mine", "1"); err != nil {
		t.Fatal(err)
	}
	copyInto(t, dir, filepath.Join(d, "rdb/strings.rdb"), "dump.rdb")
	s.Restart()
	got := contents(t, s)
	if len(got) != 1 || got[0].Key != "mine" {
		t.Fatalf("after restart: %v", got)
	}
	if !strings.Contains(s.LogTail(1<<16), "already holds data") {
		t.Fatalf("no log line saying why:\n%s", s.LogTail(2048))
	}
}

// TestRedisFilesLoad: a real redis-server's SAVE and BGREWRITEAOF output loads into slotdb
// with the same contents.
func TestRedisFilesLoad(t *testing.T) {
	r := proctest.StartRedis(t)
	c := r.Dial(t)
	for _, cmd := range [][]string{
		{"SET", "s", "v"}, {"SET", "n", "42"}, {"RPUSH", "l", "a", "b", "c"}, {"SADD", "set", "1", "2", "x"},
		{"ZADD", "z", "1.5", "a", "-inf", "b"}, {"HSET", "h", "f", "v", "g", "w"}, {"XADD", "x", "1-1", "f", "v"},
		{"XGROUP", "CREATE", "x", "g", "0"}, {"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "x", ">"},
		{"PEXPIREAT", "s", "4102444800000"}, {"SELECT", "4"}, {"SET", "db4", "yes"},
		{"DEBUG", "POPULATE", "2000", "pop"},
	} {
		if _, err := c.Do(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	want := contents(t, r)
	if _, err := c.Do("SAVE"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do("BGREWRITEAOF"); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(r.Dir, "appendonlydir", "appendonly.aof.manifest"))
	for _, tc := range []struct{ name, src, as string }{
		{"dump.rdb", "dump.rdb", "dump.rdb"},
		{"appendonlydir", "appendonlydir", "appendonlydir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyInto(t, dir, filepath.Join(r.Dir, tc.src), tc.as)
			args := []string{"--dir", dir}
			if tc.as != "dump.rdb" {
				args = append(args, "--appendonly", "yes")
			}
			s := proctest.StartSlotdb(t, args...)
			expectSame(t, want, contents(t, s))
		})
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(path); err == nil {
			time.Sleep(100 * time.Millisecond) // the rewrite renames the manifest last
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}

// runBin runs the node binary to completion (it must exit by itself) and returns its output.
func runBin(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
		return string(out), err
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		return string(out), nil // still running: it accepted the files
	}
}
