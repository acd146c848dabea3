package server

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// The blocking tests drive a real slotdb-server with several raw clients.

func bdo(t *testing.T, c *proctest.Conn, args ...string) string {
	t.Helper()
	b, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(b)
}

func bsend(t *testing.T, c *proctest.Conn, args ...string) {
	t.Helper()
	if err := c.Send(args...); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func breadReply(t *testing.T, c *proctest.Conn) string {
	t.Helper()
	b, err := c.ReadReply()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

var blockedRE = regexp.MustCompile(`blocked_clients:(\d+)`)

// waitBlocked waits until INFO reports n blocked clients, so that the order in which clients
// block is the order the test sent their commands.
func waitBlocked(t *testing.T, c *proctest.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := blockedRE.FindStringSubmatch(bdo(t, c, "INFO", "clients"))
		if m != nil && m[1] == strconv.Itoa(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d (last %v)", n, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func bbulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func keyElem(k, v string) string { return "*2\r\n" + bbulk(k) + bbulk(v) }

func TestBlockingFIFOAndTimeouts(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	ctl := srv.Dial(t)
	var ws []*proctest.Conn
	for i := range 5 {
		w := srv.Dial(t)
		ws = append(ws, w)
		bsend(t, w, "BLPOP", "q", "other", "0")
		waitBlocked(t, ctl, i+1)
	}
	// One push of several values serves the waiters in the order they blocked.
	if got := bdo(t, ctl, "RPUSH", "q", "v0", "v1", "v2"); got != ":3\r\n" {
		t.Fatalf("RPUSH = %q", got)
	}
	for i := range 3 {
		if got := breadReply(t, ws[i]); got != keyElem("q", "v"+strconv.Itoa(i)) {
			t.Errorf("waiter %d got %q", i, got)
		}
	}
	// The pusher's reply comes after the serving: the list is already drained.
	if got := bdo(t, ctl, "EXISTS", "q"); got != ":0\r\n" {
		t.Errorf("EXISTS q after serving = %q", got)
	}
	waitBlocked(t, ctl, 2)
	// The next waiters, one push at a time, on the other key they wait for.
	for i := 3; i < 5; i++ {
		bdo(t, ctl, "LPUSH", "other", "o"+strconv.Itoa(i))
		if got := breadReply(t, ws[i]); got != keyElem("other", "o"+strconv.Itoa(i)) {
			t.Errorf("waiter %d got %q", i, got)
		}
	}
	waitBlocked(t, ctl, 0)

	// A timeout answers a null array after about the time asked, and frees the queue.
	w := ws[0]
	start := time.Now()
	if got := bdo(t, w, "BRPOP", "tq", "0.2"); got != "*-1\r\n" {
		t.Errorf("BRPOP timeout = %q", got)
	}
	if d := time.Since(start); d < 190*time.Millisecond || d > 3*time.Second {
		t.Errorf("0.2 s timeout took %v", d)
	}
	bdo(t, ctl, "RPUSH", "tq", "stays")
	if got := bdo(t, ctl, "LLEN", "tq"); got != ":1\r\n" {
		t.Errorf("a timed-out waiter took the element: LLEN %q", got)
	}
	// RESP3 timeout shape, and the blocking command's time is not the slowlog's.
	bdo(t, w, "HELLO", "3")
	bdo(t, w, "CONFIG", "SET", "slowlog-log-slower-than", "100000")
	if got := bdo(t, w, "BLMOVE", "nokey", "x", "LEFT", "LEFT", "0.15"); got != "_\r\n" {
		t.Errorf("RESP3 BLMOVE timeout = %q", got)
	}
	if got := bdo(t, ctl, "SLOWLOG", "LEN"); got != ":0\r\n" {
		t.Errorf("time spent blocked counted as slow: SLOWLOG LEN %q", got)
	}
}

func TestBlockingMoveChain(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	ctl := srv.Dial(t)
	a, b, c := srv.Dial(t), srv.Dial(t), srv.Dial(t)
	bsend(t, a, "BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0")
	waitBlocked(t, ctl, 1)
	bsend(t, b, "BRPOPLPUSH", "k2", "k3", "0")
	waitBlocked(t, ctl, 2)
	bsend(t, c, "BLMPOP", "0", "2", "k4", "k3", "LEFT", "COUNT", "5")
	waitBlocked(t, ctl, 3)
	bdo(t, ctl, "RPUSH", "k1", "x")
	if got := breadReply(t, a); got != bbulk("x") {
		t.Errorf("BLMOVE got %q", got)
	}
	if got := breadReply(t, b); got != bbulk("x") {
		t.Errorf("BRPOPLPUSH got %q", got)
	}
	if got := breadReply(t, c); got != "*2\r\n"+bbulk("k3")+"*1\r\n"+bbulk("x") {
		t.Errorf("BLMPOP got %q", got)
	}
	if got := bdo(t, ctl, "EXISTS", "k1", "k2", "k3"); got != ":0\r\n" {
		t.Errorf("EXISTS after the chain = %q", got)
	}
	// A wrong-type target unblocks its waiter with WRONGTYPE and leaves the element.
	bsend(t, a, "BLMOVE", "src", "str", "LEFT", "RIGHT", "0")
	waitBlocked(t, ctl, 1)
	bdo(t, ctl, "SET", "str", "v")
	bdo(t, ctl, "RPUSH", "src", "e")
	if got := breadReply(t, a); got != "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" {
		t.Errorf("BLMOVE to a string = %q", got)
	}
	if got := bdo(t, ctl, "LLEN", "src"); got != ":1\r\n" {
		t.Errorf("LLEN src = %q", got)
	}
	// A key turning into another type leaves list waiters waiting.
	bsend(t, a, "BLPOP", "t", "0")
	waitBlocked(t, ctl, 1)
	bdo(t, ctl, "SET", "t", "string")
	bdo(t, ctl, "DEL", "t")
	waitBlocked(t, ctl, 1)
	bdo(t, ctl, "RPUSH", "t", "v")
	if got := breadReply(t, a); got != keyElem("t", "v") {
		t.Errorf("BLPOP after type change = %q", got)
	}
}

func TestBlockingClientUnblockAndDisconnect(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	ctl := srv.Dial(t)
	w := srv.Dial(t)
	id := bdo(t, w, "CLIENT", "ID")
	id = id[1 : len(id)-2]
	for _, tc := range []struct{ reason, want string }{
		{"", "*-1\r\n"},
		{"TIMEOUT", "*-1\r\n"},
		{"ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"},
	} {
		bsend(t, w, "BLPOP", "u", "0")
		waitBlocked(t, ctl, 1)
		args := []string{"CLIENT", "UNBLOCK", id}
		if tc.reason != "" {
			args = append(args, tc.reason)
		}
		if got := bdo(t, ctl, args...); got != ":1\r\n" {
			t.Errorf("%v = %q", args, got)
		}
		if got := breadReply(t, w); got != tc.want {
			t.Errorf("unblocked %s: %q", tc.reason, got)
		}
	}
	if got := bdo(t, ctl, "CLIENT", "UNBLOCK", id); got != ":0\r\n" {
		t.Errorf("CLIENT UNBLOCK of a client not blocked = %q", got)
	}
	bdo(t, ctl, "RPUSH", "u", "kept")
	if got := bdo(t, ctl, "LLEN", "u"); got != ":1\r\n" {
		t.Errorf("an unblocked client took the element: %q", got)
	}
	bdo(t, ctl, "DEL", "u")

	// A client that disconnects while blocked leaves the queue; so does one that pipelined
	// more commands behind the blocking one before closing.
	for _, pipelined := range []bool{false, true} {
		gone := srv.Dial(t)
		bsend(t, gone, "BRPOP", "d", "0")
		if pipelined {
			bsend(t, gone, "PING")
		}
		waitBlocked(t, ctl, 1)
		gone.Close()
		waitBlocked(t, ctl, 0)
		bdo(t, ctl, "RPUSH", "d", "v")
		if got := bdo(t, ctl, "LLEN", "d"); got != ":1\r\n" {
			t.Errorf("pipelined=%v: a closed client took the element: LLEN %q", pipelined, got)
		}
		bdo(t, ctl, "DEL", "d")
	}
	// Commands pipelined behind a blocking one run after it is served.
	bsend(t, w, "BLPOP", "p", "0")
	bsend(t, w, "LLEN", "p")
	waitBlocked(t, ctl, 1)
	bdo(t, ctl, "RPUSH", "p", "1", "2")
	if got := breadReply(t, w); got != keyElem("p", "1") {
		t.Errorf("pipelined BLPOP = %q", got)
	}
	if got := breadReply(t, w); got != ":1\r\n" {
		t.Errorf("pipelined LLEN = %q", got)
	}
}

// TestBlockingConcurrentPushes checks that concurrent pushers and many waiters hand every
// element to exactly one client.
func TestBlockingConcurrentPushes(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	ctl := srv.Dial(t)
	const n = 20
	ws := make([]*proctest.Conn, n)
	for i := range ws {
		ws[i] = srv.Dial(t)
		// Every waiter waits on all three keys (in different orders), so any element can
		// serve any waiter: with fewer keys greedy FIFO serving may strand one, in Redis too.
		bsend(t, ws[i], "BLPOP", "c"+strconv.Itoa(i%3), "c"+strconv.Itoa((i+1)%3), "c"+strconv.Itoa((i+2)%3), "0")
	}
	waitBlocked(t, ctl, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := proctest.Dial(srv.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer p.Close()
			if _, err := p.Do("RPUSH", "c"+strconv.Itoa(i%3), "v"+strconv.Itoa(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var got []string
	for _, w := range ws {
		raw, err := w.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(raw))
	}
	var vals []string
	for _, g := range got {
		parts := strings.Split(g, "\r\n")
		vals = append(vals, parts[len(parts)-2]) // the element, last bulk of [key, element]
	}
	sort.Strings(vals)
	seen := map[string]bool{}
	for _, v := range vals {
		if seen[v] {
			t.Errorf("element delivered twice: %q", v)
		}
		seen[v] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct elements for %d waiters: %v", len(seen), n, vals)
	}
	if got := bdo(t, ctl, "EXISTS", "c0", "c1", "c2"); got != ":0\r\n" {
		t.Errorf("elements left over: EXISTS %q", got)
	}
}

func TestParseTimeoutMs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ms   int64
		fail bool
	}{
		{"0", 0, false},
		{"1", 1000, false},
		{"1.5", 1500, false},
		{".5", 500, false},
		{"+1", 1000, false},
		{"0x10", 16000, false},
		{"0x1p3", 8000, false},
		{"1e1", 10000, false},
		{"1E-3", 1, false}, // 0.001L*1000 is just below 1: ceill makes it 1 ms (Redis returns, not blocks forever)
		{"0.29", 290, false},
		{"0.007", 7, false},
		{"2.675", 2675, false},
		{"0.0009", 1, false},
		{"-0.0001", 0, false},
		{"-1", -1000, false},
		{"inf", math.MinInt64, false},
		{"-Infinity", math.MinInt64, false},
		{"1e400", math.MinInt64, false},
		{"9223372036854775807", math.MinInt64, false},
		{"9223372036854775", 9223372036854775000, false},
		{"1\x00junk", 1000, false},
		{"\x00", 0, false},
		{"", 0, true},
		{" 1", 0, true},
		{"1 ", 0, true},
		{"nan", 0, true},
		{"x", 0, true},
		{"1e", 0, true},
		{"0x", 0, true},
		{"1e5000", 0, true},
		{"1e-5000", 0, true},
		{"1_0", 0, true},
		{"0b1", 0, true},
		{"1e-99999999999", 0, true},
		{"0e-99999999999", 0, false},
	} {
		ms, ok := parseTimeoutMs([]byte(tc.in))
		if ok == tc.fail || (ok && ms != tc.ms) {
			t.Errorf("parseTimeoutMs(%q) = %d, %v; want %d, fail=%v", tc.in, ms, ok, tc.ms, tc.fail)
		}
	}
	long := make([]byte, 5*1024)
	for i := range long {
		long[i] = '1'
	}
	if _, ok := parseTimeoutMs(long); ok {
		t.Error("a 5120-byte timeout was accepted")
	}
}
