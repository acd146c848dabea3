package server

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// migrateStep is one command of a MIGRATE scenario; TARGET in an argument is replaced by the
// target's port, so the same script runs against Redis and slotdb.
type migrateStep struct {
	on   string // "src" or "dst"
	args []string
}

func src(args ...string) migrateStep { return migrateStep{"src", args} }
func dst(args ...string) migrateStep { return migrateStep{"dst", args} }

// migrateScript covers the reply of every MIGRATE path that does not depend on timing: NOKEY,
// errors from the target (NOAUTH, WRONGPASS, BUSYKEY), AUTH/AUTH2, COPY, REPLACE, KEYS, SELECT
// of another db on the cached connection, TTLs, argument errors in Redis's order, a refused
// connection, and each data type restored intact (DEBUG DIGEST-VALUE on both sides).
var migrateScript = []migrateStep{
	dst("AUTH", "pw"), dst("FLUSHALL"), src("FLUSHALL"),
	src("SET", "k", "v"),
	src("MIGRATE", "127.0.0.1", "1", "k", "0", "100"),
	src("MIGRATE", "127.0.0.1", "TARGET", "nokey", "0", "100"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "AUTH", "wrong"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "AUTH", "pw"),
	src("EXISTS", "k"), dst("GET", "k"),
	src("SET", "k", "v2"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "AUTH", "pw"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "auth", "pw", "copy", "replace"),
	src("EXISTS", "k"), dst("GET", "k"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "1", "100", "AUTH2", "default", "pw", "COPY"),
	dst("SELECT", "1"), dst("GET", "k"), dst("SELECT", "0"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "x", "100"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "x"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "x", "100", "foo"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "AUTH"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "AUTH2", "u"),
	src("MIGRATE", "127.0.0.1", "TARGET", "k", "0", "100", "KEYS", "a"),
	src("MIGRATE", "127.0.0.1", "TARGET", "", "0", "100", "AUTH", "pw", "KEYS", "a", "b", "k"),
	src("MIGRATE", "127.0.0.1", "TARGET", "", "0", "100", "AUTH", "pw", "KEYS", "a", "b"),
	src("MSET", "a", "1", "b", "2"),
	src("MIGRATE", "127.0.0.1", "TARGET", "", "0", "100", "AUTH", "pw", "REPLACE", "KEYS", "a", "b", "zz"),
	src("DBSIZE"), dst("MGET", "a", "b"),
	src("SET", "e", "1", "PX", "100000"),
	src("MIGRATE", "127.0.0.1", "TARGET", "e", "0", "100", "AUTH", "pw"),
	src("RPUSH", "list", "a", "b", "1", "2"),
	src("HSET", "hash", "f", "v", "g", "12"),
	src("SADD", "set", "1", "2", "x"),
	src("SADD", "iset", "1", "2", "3"),
	src("ZADD", "zset", "1", "a", "2.5", "b"),
	src("XADD", "stream", "1-1", "f", "v"),
	src("DEBUG", "DIGEST-VALUE", "list", "hash", "set", "iset", "zset"),
	src("MIGRATE", "127.0.0.1", "TARGET", "", "0", "1000", "AUTH", "pw", "KEYS", "list", "hash", "set", "iset", "zset", "stream"),
	dst("DEBUG", "DIGEST-VALUE", "list", "hash", "set", "iset", "zset"),
	dst("XRANGE", "stream", "-", "+"), dst("XINFO", "STREAM", "stream"),
	dst("OBJECT", "ENCODING", "iset"), dst("LRANGE", "list", "0", "-1"),
	src("DBSIZE"), dst("DBSIZE"),
}

func runMigrateScript(t *testing.T, srcAddr, dstAddr string, dstPort int) []string {
	t.Helper()
	sc := proctest.MustDial(t, srcAddr)
	dc := proctest.MustDial(t, dstAddr)
	sc.SetTimeout(5 * time.Second)
	dc.SetTimeout(5 * time.Second)
	var out []string
	for _, st := range migrateScript {
		args := make([]string, len(st.args))
		for i, a := range st.args {
			args[i] = strings.ReplaceAll(a, "TARGET", strconv.Itoa(dstPort))
		}
		c := sc
		if st.on == "dst" {
			c = dc
		}
		out = append(out, st.on+" "+strings.Join(st.args, " ")+" -> "+do(t, c, args...))
	}
	return out
}

// TestMigrateMatchesRedis runs the script with a real redis-server pair and with a slotdb
// pair and compares every reply byte for byte.
func TestMigrateMatchesRedis(t *testing.T) {
	rsrc := proctest.StartRedis(t, "--enable-debug-command", "yes")
	rdst := proctest.StartRedis(t, "--requirepass", "pw", "--enable-debug-command", "yes")
	want := runMigrateScript(t, rsrc.Addr(), rdst.Addr(), rdst.Port)

	debug := func(st *Settings) {}
	ssrc := startLive(t, debug)
	ssrc.cfg["enable-debug-command"] = "yes"
	sdst := startLive(t, func(st *Settings) { st.SetRequirePass("pw") })
	sdst.cfg["enable-debug-command"] = "yes"
	_, p, _ := net.SplitHostPort(sdst.addr)
	port, _ := strconv.Atoi(p)
	got := runMigrateScript(t, ssrc.addr, sdst.addr, port)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	if n := ssrc.s.migrateSockets().count(); n != 1 {
		t.Errorf("cached sockets = %d, want 1", n)
	}
}

// TestMigrateSlotdbToRedis moves every type from slotdb to a real redis-server and checks
// that Redis holds the same values (DEBUG DIGEST-VALUE) with the TTL kept.
func TestMigrateSlotdbToRedis(t *testing.T) {
	r := proctest.StartRedis(t, "--enable-debug-command", "yes")
	s := startLive(t, nil)
	s.cfg["enable-debug-command"] = "yes"
	sc, rc := s.dial(t), proctest.MustDial(t, r.Addr())
	rc.SetTimeout(5 * time.Second)
	keys := []string{"str", "int", "list", "hash", "bighash", "set", "zset", "bigzset"}
	do(t, sc, "SET", "str", strings.Repeat("x", 100))
	do(t, sc, "SET", "int", "12345", "EX", "1000")
	do(t, sc, "RPUSH", "list", "a", "b", "c")
	do(t, sc, "HSET", "hash", "a", "1", "b", "2")
	do(t, sc, "SADD", "set", "a", "b", "c")
	do(t, sc, "ZADD", "zset", "1", "a", "-2", "b")
	do(t, sc, "XADD", "stream", "5-1", "a", "1")
	for i := range 300 {
		do(t, sc, "HSET", "bighash", "f"+strconv.Itoa(i), strconv.Itoa(i))
		do(t, sc, "ZADD", "bigzset", strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	want := do(t, sc, append([]string{"DEBUG", "DIGEST-VALUE"}, keys...)...)
	// DEBUG DIGEST-VALUE of streams is not in slotdb yet: the stream is compared by XRANGE.
	all := append(keys[:len(keys):len(keys)], "stream")
	wantStream := do(t, sc, "XRANGE", "stream", "-", "+")
	mig := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(r.Port), "", "0", "5000", "KEYS"}, all...)
	if got := do(t, sc, mig...); got != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", got)
	}
	if got := do(t, rc, append([]string{"DEBUG", "DIGEST-VALUE"}, keys...)...); got != want {
		t.Errorf("digests on redis:\n%q\nwant\n%q", got, want)
	}
	if got := do(t, rc, "XRANGE", "stream", "-", "+"); got != wantStream {
		t.Errorf("stream on redis %q, want %q", got, wantStream)
	}
	if got := do(t, sc, "DBSIZE"); got != ":0\r\n" {
		t.Errorf("source DBSIZE %q", got)
	}
	ttl, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(do(t, rc, "TTL", "int"), ":")))
	if ttl < 990 || ttl > 1000 {
		t.Errorf("TTL on redis %d", ttl)
	}
	// And back: Redis -> slotdb restores the same digests.
	_, p, _ := net.SplitHostPort(s.addr)
	mig = append([]string{"MIGRATE", "127.0.0.1", p, "", "0", "5000", "KEYS"}, all...)
	if got := do(t, rc, mig...); got != "+OK\r\n" {
		t.Fatalf("MIGRATE back: %q", got)
	}
	if got := do(t, sc, append([]string{"DEBUG", "DIGEST-VALUE"}, keys...)...); got != want {
		t.Errorf("digests back on slotdb:\n%q\nwant\n%q", got, want)
	}
	if got := do(t, sc, "XRANGE", "stream", "-", "+"); got != wantStream {
		t.Errorf("stream back on slotdb %q, want %q", got, wantStream)
	}
}

// TestMigrateTimeouts: a target that accepts and never answers gives IOERR reading (no
// retry after a timeout) and leaves the key in place; the broken connection is not kept.
func TestMigrateTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	s := startLive(t, nil)
	c := s.dial(t)
	do(t, c, "SET", "k", "v")
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	start := time.Now()
	if got := do(t, c, "MIGRATE", "127.0.0.1", port, "k", "0", "200"); got != "-IOERR error or timeout reading to target instance\r\n" {
		t.Fatalf("got %q", got)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if len(accepted) != 1 {
		t.Errorf("%d connections, want 1 (no retry after a timeout)", len(accepted))
	}
	if got := do(t, c, "GET", "k"); got != "$1\r\nv\r\n" {
		t.Errorf("key after failed MIGRATE: %q", got)
	}
	if n := s.s.migrateSockets().count(); n != 0 {
		t.Errorf("%d cached sockets after an error", n)
	}
}

// TestMigrateSocketCacheTTL: a cached connection unused for more than 10 s is closed, one in
// use is not.
func TestMigrateSocketCacheTTL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			if _, err := ln.Accept(); err != nil {
				return
			}
		}
	}()
	now := time.Unix(1000, 0)
	mc := &migrateCache{now: func() time.Time { return now }}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	cs, err := mc.get(host, port, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cs.release()
	for _, tc := range []struct {
		after time.Duration
		busy  bool
		want  int
	}{
		{5 * time.Second, false, 1},
		{10 * time.Second, false, 1},
		{11 * time.Second, true, 1}, // in use: kept
		{11 * time.Second, false, 0},
	} {
		now = time.Unix(1000, 0).Add(tc.after)
		if tc.busy {
			cs.mu.Lock()
		}
		if got := mc.closeIdle(); got != tc.want {
			t.Errorf("after %v busy=%v: %d cached, want %d", tc.after, tc.busy, got, tc.want)
		}
		if tc.busy {
			cs.mu.Unlock()
		}
	}
}
