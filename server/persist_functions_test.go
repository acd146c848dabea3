package server

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/rdb"
)

// A library long enough for LZF (the FUNCTION2 string is compressed as Redis does).
const persistLib = "#!lua name=slotlib\n" +
	"redis.register_function('sdecho', function(keys, args) return 'echo:' .. args[1] end)\n" +
	"redis.register_function{function_name='sdro', callback=function(keys, args) return 1 end, flags={'no-writes'}}"

// hasLib fails unless c serves the library: FCALL works and FUNCTION LIST WITHCODE has its code.
func hasLib(t *testing.T, what string, c *proctest.Conn) {
	t.Helper()
	if got, err := c.Do("FCALL", "sdecho", "0", "hi"); err != nil || string(got) != "$7\r\necho:hi\r\n" {
		t.Fatalf("%s: FCALL sdecho = %q, %v", what, got, err)
	}
	got, err := c.Do("FUNCTION", "LIST", "WITHCODE")
	if err != nil || !strings.Contains(string(got), "register_function{function_name='sdro'") {
		t.Fatalf("%s: FUNCTION LIST WITHCODE = %q, %v", what, got, err)
	}
}

// rdbFunctions reads the FUNCTION2 records of an RDB file.
func rdbFunctions(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdb.NewReader(bufio.NewReader(f))
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var out []string
	for _, c := range r.Functions() {
		out = append(out, string(c))
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSavedFilesCarryFunctions: every RDB slotdb writes holds the function libraries
// (RDB_OPCODE_FUNCTION2 before the databases) and the RESP AOF base holds FUNCTION LOAD: a
// real redis-server loading slotdb's dump.rdb, either appendonlydir, or the `redis-cli --rdb`
// file serves them, and so does a fresh slotdb started on slotdb's dump.rdb.
func TestSavedFilesCarryFunctions(t *testing.T) {
	sd := proctest.StartSlotdb(t)
	c := sd.Dial(t)
	if r := mustDo(t, c, "FUNCTION", "LOAD", persistLib); r != "slotlib" {
		t.Fatalf("FUNCTION LOAD: %v", r)
	}
	mustDo(t, c, "SET", "k", "v")
	if r := mustDo(t, c, "SAVE"); r != "OK" {
		t.Fatalf("SAVE: %v", r)
	}
	dump := filepath.Join(sd.Dir, "dump.rdb")
	if got := rdbFunctions(t, dump); len(got) != 1 || got[0] != persistLib {
		t.Fatalf("dump.rdb FUNCTION2 records: %q", got)
	}
	redisDir := t.TempDir()
	copyFile(t, dump, filepath.Join(redisDir, "dump.rdb"))
	hasLib(t, "redis-server on slotdb's dump.rdb", proctest.StartRedis(t, "--dir", redisDir).Dial(t))

	selfDir := t.TempDir()
	copyFile(t, dump, filepath.Join(selfDir, "dump.rdb"))
	self := proctest.StartSlotdb(t, "--dir", selfDir)
	hasLib(t, "slotdb on slotdb's dump.rdb", self.Dial(t))

	for _, preamble := range []string{"yes", "no"} {
		mustDo(t, c, "CONFIG", "SET", "aof-use-rdb-preamble", preamble)
		if r := mustDo(t, c, "BGREWRITEAOF"); r != "Background append only file rewriting started" {
			t.Fatalf("BGREWRITEAOF: %v", r)
		}
		waitIdle(t, c)
		dir := t.TempDir()
		if err := os.CopyFS(filepath.Join(dir, "appendonlydir"), os.DirFS(filepath.Join(sd.Dir, "appendonlydir"))); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(sd.Dir, "appendonlydir"))
		r := proctest.StartRedis(t, "--dir", dir, "--appendonly", "yes")
		hasLib(t, "redis-server on slotdb's appendonlydir, preamble "+preamble, r.Dial(t))
		if got := mustDo(t, r.Dial(t), "GET", "k"); got != "v" {
			t.Fatalf("preamble %s: GET k = %v", preamble, got)
		}
		// slotdb loads its own appendonlydir too.
		sdir := t.TempDir()
		if err := os.CopyFS(filepath.Join(sdir, "appendonlydir"), os.DirFS(filepath.Join(dir, "appendonlydir"))); err != nil {
			t.Fatal(err)
		}
		hasLib(t, "slotdb on slotdb's appendonlydir, preamble "+preamble,
			proctest.StartSlotdb(t, "--dir", sdir, "--appendonly", "yes").Dial(t))
	}

	out := filepath.Join(t.TempDir(), "cli.rdb")
	if b, err := exec.Command("redis-cli", "-p", strconv.Itoa(sd.Port), "--rdb", out).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, b)
	}
	if got := rdbFunctions(t, out); len(got) != 1 || got[0] != persistLib {
		t.Fatalf("redis-cli --rdb FUNCTION2 records: %q", got)
	}
}

// TestRedisReplicaGetsFunctions: the full sync of a slotdb master carries the libraries to a
// real redis-server replica.
func TestRedisReplicaGetsFunctions(t *testing.T) {
	sd := proctest.StartSlotdb(t)
	c := sd.Dial(t)
	mustDo(t, c, "FUNCTION", "LOAD", persistLib)
	mustDo(t, c, "SET", "k", "v")
	r := proctest.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(sd.Port))
	rc := r.Dial(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, _ := rc.Do("GET", "k")
		if string(got) == "$1\r\nv\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica has no k after 20 s: %q", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := rc.Do("FCALL_RO", "sdro", "0"); err != nil || string(got) != ":1\r\n" {
		t.Fatalf("FCALL_RO sdro on the replica = %q, %v", got, err)
	}
	got, err := rc.Do("FUNCTION", "LIST", "WITHCODE")
	if err != nil || !strings.Contains(string(got), "'sdecho'") {
		t.Fatalf("FUNCTION LIST WITHCODE on the replica = %q, %v", got, err)
	}
}

// TestSaveWritesZeroIdleFreq: under an LRU policy every key of dump.rdb has an IDLE opcode
// and under an LFU one a FREQ opcode, zero included, as Redis 7.0 writes them; none
// otherwise.
func TestSaveWritesZeroIdleFreq(t *testing.T) {
	sd := proctest.StartSlotdb(t)
	c := sd.Dial(t)
	mustDo(t, c, "SET", "src", "v")
	p := mustDo(t, c, "DUMP", "src").(string)
	for _, tc := range []struct {
		policy, opt      string
		wantIdle, wantFq int64
	}{{"allkeys-lru", "IDLETIME", 0, -1}, {"allkeys-lfu", "FREQ", -1, 0}, {"noeviction", "", -1, -1}} {
		mustDo(t, c, "CONFIG", "SET", "maxmemory-policy", tc.policy)
		mustDo(t, c, "FLUSHALL")
		args := []string{"RESTORE", "k", "0", p}
		if tc.opt != "" {
			args = append(args, tc.opt, "0")
		}
		mustDo(t, c, args...)
		mustDo(t, c, "SAVE")
		f, err := os.Open(filepath.Join(sd.Dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		en, err := rdb.NewReader(bufio.NewReader(f)).Next()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if en.Idle != tc.wantIdle || int64(en.Freq) != tc.wantFq {
			t.Errorf("%s: IDLE %d FREQ %d, want %d %d", tc.policy, en.Idle, en.Freq, tc.wantIdle, tc.wantFq)
		}
	}
}
