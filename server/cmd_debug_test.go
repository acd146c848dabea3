package server

import (
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/difftest"
	"github.com/slotdb/slotdb/internal/proctest"
)

// Captured from redis-server 7.0.15 started with --enable-debug-command yes.
var debugSteps = []ksStep{
	{[]string{"flushall"}, "+OK\r\n"},
	{[]string{"debug", "digest"}, "+0000000000000000000000000000000000000000\r\n"},
	{[]string{"debug", "digest-value"}, "*0\r\n"},
	{[]string{"debug", "digest-value", "nokey"}, "*1\r\n+0000000000000000000000000000000000000000\r\n"},
	{[]string{"set", "a", "hello"}, "+OK\r\n"},
	{[]string{"set", "n", "123"}, "+OK\r\n"},
	{[]string{"set", "e", "1"}, "+OK\r\n"},
	{[]string{"pexpire", "e", "1000000"}, ":1\r\n"},
	{[]string{"set", "bin\x00key", "\xff\x00v"}, "+OK\r\n"},
	{[]string{"debug", "digest-value", "a", "n", "e", "nokey", "bin\x00key"}, "*5\r\n+36b23a1456b2dce2c3ed252c456761301dba8060\r\n+89f7f51b707418f666d5b45e053bd5bbbf82ac2b\r\n+5279988c5d1911f474bcbbf2f0a87012d40f8459\r\n+0000000000000000000000000000000000000000\r\n+1e40cd44bcc948d48a6241bab618b6b172d3f499\r\n"},
	{[]string{"debug", "digest"}, "+4e593c0818ba627e6749bc79967c9bd2ee9816bc\r\n"},
	{[]string{"select", "3"}, "+OK\r\n"},
	{[]string{"set", "a", "hello"}, "+OK\r\n"},
	{[]string{"set", "other", "12345678901234567890123456789012345678901234567890"}, "+OK\r\n"},
	{[]string{"select", "0"}, "+OK\r\n"},
	{[]string{"debug", "digest"}, "+824d7f69e61504eba1cb13e326a0ee74f5c7da0e\r\n"},
	{[]string{"debug", "foo"}, "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"},
	{[]string{"debug", "sleep"}, "-ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.\r\n"},
	{[]string{"debug", "sleep", "0"}, "+OK\r\n"},
	{[]string{"debug", "sleep", "abc"}, "+OK\r\n"},
	{[]string{"debug", "sleep", "-1"}, "+OK\r\n"},
	{[]string{"debug", "digest", "extra"}, "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n"},
	{[]string{"debug", "set-active-expire", "1"}, "+OK\r\n"},
	{[]string{"debug", "set-active-expire"}, "-ERR unknown subcommand or wrong number of arguments for 'set-active-expire'. Try DEBUG HELP.\r\n"},
	{[]string{"debug", "help"}, "*106\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+AOF-FLUSH-SLEEP <microsec>\r\n+    Server will sleep before flushing the AOF, this is used for testing.\r\n+ASSERT\r\n+    Crash by assertion failed.\r\n+CHANGE-REPL-ID\r\n+    Change the replication IDs of the instance.\r\n+    Dangerous: should be used only for testing the replication subsystem.\r\n+CONFIG-REWRITE-FORCE-ALL\r\n+    Like CONFIG REWRITE but writes all configuration options, including\r\n+    keywords not listed in original configuration file or default values.\r\n+CRASH-AND-RECOVER [<milliseconds>]\r\n+    Hard crash and restart after a <milliseconds> delay (default 0).\r\n+DIGEST\r\n+    Output a hex signature representing the current DB content.\r\n+DIGEST-VALUE <key> [<key> ...]\r\n+    Output a hex signature of the values of all the specified keys.\r\n+ERROR <string>\r\n+    Return a Redis protocol error with <string> as message. Useful for clients\r\n+    unit tests to simulate Redis errors.\r\n+LEAK <string>\r\n+    Create a memory leak of the input string.\r\n+LOG <message>\r\n+    Write <message> to the server log.\r\n+HTSTATS <dbid>\r\n+    Return hash table statistics of the specified Redis database.\r\n+HTSTATS-KEY <key>\r\n+    Like HTSTATS but for the hash table stored at <key>'s value.\r\n+LOADAOF\r\n+    Flush the AOF buffers on disk and reload the AOF in memory.\r\n+REPLICATE <string>\r\n+    Replicates the provided string to replicas, allowing data divergence.\r\n+MALLCTL <key> [<val>]\r\n+    Get or set a malloc tuning integer.\r\n+MALLCTL-STR <key> [<val>]\r\n+    Get or set a malloc tuning string.\r\n+OBJECT <key>\r\n+    Show low level info about `key` and associated value.\r\n+DROP-CLUSTER-PACKET-FILTER <packet-type>\r\n+    Drop all packets that match the filtered type. Set to -1 allow all packets.\r\n+OOM\r\n+    Crash the server simulating an out-of-memory error.\r\n+PANIC\r\n+    Crash the server simulating a panic.\r\n+POPULATE <count> [<prefix>] [<size>]\r\n+    Create <count> string keys named key:<num>. If <prefix> is specified then\r\n+    it is used instead of the 'key' prefix. These are not propagated to\r\n+    replicas. Cluster slots are not respected so keys not belonging to the\r\n+    current node can be created in cluster mode.\r\n+PROTOCOL <type>\r\n+    Reply with a test value of the specified type. <type> can be: string,\r\n+    integer, double, bignum, null, array, set, map, attrib, push, verbatim,\r\n+    true, false.\r\n+RELOAD [option ...]\r\n+    Save the RDB on disk and reload it back to memory. Valid <option> values:\r\n+    * MERGE: conflicting keys will be loaded from RDB.\r\n+    * NOFLUSH: the existing database will not be removed before load, but\r\n+      conflicting keys will generate an exception and kill the server.\r\n+    * NOSAVE: the database will be loaded from an existing RDB file.\r\n+    Examples:\r\n+    * DEBUG RELOAD: verify that the server is able to persist, flush and reload\r\n+      the database.\r\n+    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an\r\n+      existing RDB file.\r\n+    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB\r\n+      file to the database.\r\n+RESTART [<milliseconds>]\r\n+    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).\r\n+SDSLEN <key>\r\n+    Show low level SDS string info representing `key` and value.\r\n+SEGFAULT\r\n+    Crash the server with sigsegv.\r\n+SET-ACTIVE-EXPIRE <0|1>\r\n+    Setting it to 0 disables expiring keys in background when they are not\r\n+    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the\r\n+    default.\r\n+QUICKLIST-PACKED-THRESHOLD <size>\r\n+    Sets the threshold for elements to be inserted as plain vs packed nodes\r\n+    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.\r\n+SET-SKIP-CHECKSUM-VALIDATION <0|1>\r\n+    Enables or disables checksum checks for RDB files and RESTORE's payload.\r\n+SLEEP <seconds>\r\n+    Stop the server for <seconds>. Decimals allowed.\r\n+STRINGMATCH-TEST\r\n+    Run a fuzz tester against the stringmatchlen() function.\r\n+STRUCTSIZE\r\n+    Return the size of different Redis core C structures.\r\n+LISTPACK <key>\r\n+    Show low level info about the listpack encoding of <key>.\r\n+QUICKLIST <key> [<0|1>]\r\n+    Show low level info about the quicklist encoding of <key>.\r\n+    The optional argument (0 by default) sets the level of detail\r\n+CLIENT-EVICTION\r\n+    Show low level client eviction pools info (maxmemory-clients).\r\n+PAUSE-CRON <0|1>\r\n+    Stop periodic cron job processing.\r\n+REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>\r\n+    Sets the time (in milliseconds) to wait between client reply buffer peak resets.\r\n+    In case NEVER is provided the last observed peak will never be reset\r\n+    In case RESET is provided the peak reset time will be restored to the default value\r\n+REPLYBUFFER RESIZING <0|1>\r\n+    Enable or disable the reply buffer resize cron job\r\n+CLUSTERLINK KILL <to|from|all> <node-id>\r\n+    Kills the link based on the direction to/from (both) with the provided node.\r\n+HELP\r\n+    Prints this help.\r\n"},
}

func TestDebugMatchesRedis(t *testing.T) {
	runSteps(t, newKSHarness(t), debugSteps)
}

// enable-debug-command: Redis's default "no" refuses DEBUG; "local" allows loopback clients.
func TestDebugProtection(t *testing.T) {
	h := newKSHarness(t)
	refused := "-" + errDebugNotAllowed + "\r\n"
	for _, c := range []struct {
		mode, addr string
		allowed    bool
	}{
		{"no", "127.0.0.1:5000", false},
		{"", "127.0.0.1:5000", false},
		{"local", "127.0.0.1:5000", true},
		{"local", "[::1]:5000", true},
		{"local", "10.1.2.3:5000", false},
		{"yes", "10.1.2.3:5000", true},
	} {
		h.cfg["enable-debug-command"] = c.mode
		h.c.raddr = c.addr
		got := h.do("debug", "digest")
		if (got != refused) != c.allowed {
			t.Errorf("mode %q from %s: %q", c.mode, c.addr, got)
		}
	}
	// Arity is checked before protection, as in processCommand.
	if got := h.do("debug"); got != "-ERR wrong number of arguments for 'debug' command\r\n" {
		t.Errorf("DEBUG alone = %q", got)
	}
}

// Element digests of the collection types, against DEBUG DIGEST-VALUE of a real
// redis-server 7.0.15 for ZADD z 0.1 a 2 b / SADD s x 1 / HSET h f v g 1 / RPUSH l a 1 b.
func TestCollectionDigestHelpers(t *testing.T) {
	var z, s, h, l digest
	z.mixUint32(3)
	z.digestZSetMember([]byte("b"), 2)
	z.digestZSetMember([]byte("a"), 0.1)
	s.mixUint32(2)
	s.digestSetMember([]byte("1"))
	s.digestSetMember([]byte("x"))
	h.mixUint32(4)
	h.digestHashField([]byte("g"), []byte("1"))
	h.digestHashField([]byte("f"), []byte("v"))
	l.mixUint32(1)
	for _, e := range []string{"a", "1", "b"} {
		l.digestListElem([]byte(e))
	}
	for _, c := range []struct {
		d    digest
		want string
	}{
		{z, "be930d77310ad4a0395eedf9bac2015e3c35a5c5"},
		{s, "96257d5cc29f1c46ff96a88360b5c99de66ae13f"},
		{h, "6679ee22f89ed8001eeb5309d0900265ea56c03a"},
		{l, "d5f44352f6226abea9252dad248ef5de0d964396"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("digest %s, want %s", got, c.want)
		}
	}
}

func TestFormatG17(t *testing.T) {
	for f, want := range map[float64]string{
		0.1: "0.10000000000000001", 2: "2", 1e16: "10000000000000000", 1.5e17: "1.5e+17",
		-0.5: "-0.5", 1e-5: "1.0000000000000001e-05", 123456.789: "123456.789",
	} {
		if got := formatG17(f); got != want {
			t.Errorf("formatG17(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestStrtodAndAtoiPrefixes(t *testing.T) {
	for in, want := range map[string]float64{
		"0": 0, "1.5": 1.5, " 2": 2, "+.5": 0.5, "3.": 3, "-1": -1, "abc": 0, "": 0, ".": 0,
		"1e3": 1000, "1e": 1, "2E-1x": 0.2, "0.25s": 0.25, "- 1": 0,
	} {
		if got := strtodPrefix([]byte(in)); got != want {
			t.Errorf("strtodPrefix(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]int64{"1": 1, "0": 0, " 12x": 12, "-3": -3, "x1": 0, "": 0, "+7": 7} {
		if got := atoiPrefix([]byte(in)); got != want {
			t.Errorf("atoiPrefix(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestDebugSleepSleeps(t *testing.T) {
	h := newKSHarness(t)
	start := time.Now()
	if got := h.do("debug", "sleep", "0.15"); got != "+OK\r\n" {
		t.Fatalf("DEBUG SLEEP = %q", got)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Fatalf("DEBUG SLEEP 0.15 took %v", d)
	}
}

// SET-ACTIVE-EXPIRE 0 leaves expired keys in place (DBSIZE counts them) until they are
// touched; 1 lets the cycle remove them.
func TestDebugSetActiveExpire(t *testing.T) {
	h := newKSHarness(t)
	h.do("debug", "set-active-expire", "0")
	h.do("set", "k", "v", "px", "1")
	time.Sleep(350 * time.Millisecond)
	if got := h.do("dbsize"); got != ":1\r\n" {
		t.Fatalf("with active expiry off DBSIZE = %q, want :1", got)
	}
	// DIGEST-VALUE sees a logically expired key, as Redis's dictFind does.
	if got := h.do("debug", "digest-value", "k"); strings.Contains(got, "+00000000") {
		t.Errorf("DIGEST-VALUE of an expired, present key = %q", got)
	}
	h.do("debug", "set-active-expire", "1")
	deadline := time.Now().Add(3 * time.Second)
	for h.do("dbsize") != ":0\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("active expiry did not resume")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// debugDiffScript runs on a real redis-server 7.0.15 and slotdb-server, both started with
// enable-debug-command yes: digests must agree byte for byte (redis-cli compares them across
// nodes), including after RENAME, COPY and MOVE.
const debugDiffScript = `
DEBUG DIGEST
DEBUG DIGEST-VALUE nokey
MSET a hello n 123 big 12345678901234567890123456789012345678901234567890 "bin\x00\xff" "\x00v"
SET ttl v EX 1000
DEBUG DIGEST-VALUE a n big "bin\x00\xff" ttl nokey
DEBUG DIGEST
SELECT 7
SET a hello
SET other x PX 5000000
SELECT 0
DEBUG DIGEST
RENAME ttl ttl2
COPY a a2
COPY a a3 DB 7
MOVE n 3
DEBUG DIGEST-VALUE ttl2 a2 n
DEBUG DIGEST
APPEND a2 x
DEBUG DIGEST-VALUE a2
DEBUG SLEEP 0
DEBUG SLEEP 0.01
DEBUG SET-ACTIVE-EXPIRE 1
DEBUG HELP
DEBUG NOSUCH
DEBUG DIGEST extra
DEBUG SLEEP
FLUSHALL
DEBUG DIGEST
`

func TestDebugDigestAgainstRedis(t *testing.T) {
	ref := proctest.StartRedis(t, "--enable-debug-command", "yes")
	got := proctest.StartSlotdb(t, "--enable-debug-command", "yes")
	s, err := difftest.ParseScript("debugDiffScript", debugDiffScript)
	if err != nil {
		t.Fatal(err)
	}
	r := difftest.NewRunner(difftest.Side{Name: "redis", Addr: ref.Addr()},
		difftest.Side{Name: "slotdb", Addr: got.Addr()}, difftest.DefaultRules)
	defer r.Close()
	difftest.Report(t, r.RunScript(s), true)
}
