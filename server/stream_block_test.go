package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// XREAD BLOCK and XREADGROUP BLOCK: the same multi-client scripts run against slotdb and a
// real redis-server 7.0, and their transcripts must be equal byte for byte.

// sbStep is one step of a blocking script. Client 0 is the controller.
type sbStep struct {
	c    int
	op   byte // 'd' do and record, 'x' do unrecorded, 's' send, 'r' read and record, 'w' wait for args[0] blocked clients, 'u' CLIENT UNBLOCK client c [args[0]]
	args []string
}

func sbDo(c int, args ...string) sbStep   { return sbStep{c, 'd', args} }
func sbX(c int, args ...string) sbStep    { return sbStep{c, 'x', args} }
func sbSend(c int, args ...string) sbStep { return sbStep{c, 's', args} }
func sbRead(c int) sbStep                 { return sbStep{c, 'r', nil} }
func sbWait(n int) sbStep                 { return sbStep{0, 'w', []string{strconv.Itoa(n)}} }

// runBlockScript runs steps on srv with n clients and returns the recorded replies.
func runBlockScript(t *testing.T, srv *proctest.Server, n int, steps []sbStep) []string {
	t.Helper()
	conns := make([]*proctest.Conn, n)
	ids := make([]string, n)
	for i := range conns {
		conns[i] = srv.Dial(t)
		ids[i] = strings.TrimSpace(bdo(t, conns[i], "CLIENT", "ID")[1:])
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var out []string
	for i, st := range steps {
		c := conns[st.c]
		label := strconv.Itoa(i) + " c" + strconv.Itoa(st.c) + " " + strings.Join(st.args, " ") + ": "
		switch st.op {
		case 'd':
			out = append(out, label+bdo(t, c, st.args...))
		case 'x':
			bdo(t, c, st.args...)
		case 's':
			bsend(t, c, st.args...)
		case 'r':
			out = append(out, label+breadReply(t, c))
		case 'w':
			n, _ := strconv.Atoi(st.args[0])
			waitBlocked(t, conns[0], n)
		case 'u':
			out = append(out, label+bdo(t, conns[0], append([]string{"CLIENT", "UNBLOCK", ids[st.c]}, st.args...)...))
		}
	}
	return out
}

// diffBlockScript runs steps against both servers and compares the transcripts; it returns
// slotdb's for further checks.
func diffBlockScript(t *testing.T, slot, ref *proctest.Server, n int, steps []sbStep) []string {
	t.Helper()
	got := runBlockScript(t, slot, n, steps)
	want := runBlockScript(t, ref, n, steps)
	if len(got) != len(want) {
		t.Fatalf("transcripts differ in length: slotdb %d, redis %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("slotdb %q\n redis %q", got[i], want[i])
		}
	}
	return got
}

func TestStreamBlockingDifferential(t *testing.T) {
	slot := proctest.StartSlotdb(t)
	ref := proctest.StartRedis(t)
	xrg := func(c int, consumer string, extra ...string) sbStep {
		args := append([]string{"XREADGROUP", "GROUP", "g", consumer}, extra...)
		return sbSend(c, append(args, "BLOCK", "0", "STREAMS", "s", ">")...)
	}
	scripts := map[string][]sbStep{
		// Consumers of one group are served one entry each, first blocked first.
		"group-fifo": {
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
			xrg(1, "c1", "COUNT", "1"), sbWait(1),
			xrg(2, "c2", "COUNT", "1"), sbWait(2),
			xrg(3, "c3", "COUNT", "1"), sbWait(3),
			sbDo(0, "XINFO", "CONSUMERS", "s", "g"), // nobody is created while blocked
			sbDo(0, "XADD", "s", "1-1", "f", "a"), sbRead(1), sbWait(2),
			sbDo(0, "XADD", "s", "2-1", "f", "b", "g", "c"), sbRead(2), sbWait(1),
			sbDo(0, "XADD", "s", "3-1", "f", "d"), sbRead(3), sbWait(0),
			sbDo(0, "XPENDING", "s", "g"), // the summary: the extended form has idle times
		},
		// Plain readers are all served from the same entries; a key named twice waits once.
		"xread-all": {
			sbDo(0, "XADD", "s", "5-0", "x", "1"),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "0"), sbWait(1),
			sbSend(2, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "t", "t", "0", "$"), sbWait(2),
			sbDo(0, "XADD", "t", "1-0", "y", "2"), sbRead(1), sbRead(2), sbWait(0),
		},
		// MULTI/EXEC and Lua wake blocked readers with everything they added.
		"exec-and-lua": {
			sbDo(0, "XADD", "s", "5-0", "x", "1"),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			sbDo(0, "MULTI"), sbDo(0, "XADD", "s", "6-0", "a", "1"), sbDo(0, "XADD", "s", "7-0", "b", "2"),
			sbDo(0, "EXEC"), sbRead(1),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			sbDo(0, "EVAL", "return redis.call('xadd', KEYS[1], '8-0', 'c', '3')", "1", "s"), sbRead(1),
			// An entry added and deleted in one transaction still serves: an empty list.
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			sbDo(0, "MULTI"), sbDo(0, "XADD", "s", "9-0", "d", "4"), sbDo(0, "XDEL", "s", "9-0"),
			sbDo(0, "EXEC"), sbRead(1), sbWait(0),
			// Inside MULTI a blocking read answers at once.
			sbDo(1, "MULTI"), sbDo(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbDo(1, "EXEC"),
		},
		// Deleting the key, destroying the group, replacing the value or flushing answers a
		// blocked XREADGROUP with an error; a plain XREAD keeps waiting for a new stream.
		"gone": {
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			xrg(2, "c"), sbWait(2),
			sbDo(0, "DEL", "s"), sbRead(2), sbWait(1),
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), sbWait(1),
			xrg(2, "c"), sbWait(2),
			sbDo(0, "XGROUP", "DESTROY", "s", "g"), sbRead(2), sbWait(1),
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$"),
			xrg(2, "c"), sbWait(2),
			sbDo(0, "SET", "s", "str"), sbRead(2), sbWait(1),
			sbDo(0, "DEL", "s"), sbDo(0, "XADD", "s", "9-9", "f", "v"), sbRead(1), sbWait(0),
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$"),
			xrg(2, "c"), sbWait(1),
			sbDo(0, "FLUSHDB"), sbRead(2), sbWait(0),
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
			xrg(2, "c"), sbWait(1),
			sbDo(0, "FLUSHALL"), sbRead(2), sbWait(0),
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
			xrg(2, "c"), sbWait(1),
			sbDo(0, "SWAPDB", "0", "1"), sbRead(2), sbWait(0),
			// A list pushed to the key of a blocked XREAD does not serve it.
			sbX(0, "FLUSHALL"),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			sbDo(0, "RPUSH", "s", "x"), sbWait(1), sbDo(0, "DEL", "s"),
			sbDo(0, "XADD", "s", "1-1", "f", "v"), sbRead(1),
		},
		// Timeouts, NOACK, several keys, CLIENT UNBLOCK and argument errors.
		"timeouts": {
			sbDo(0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
			sbDo(0, "XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"),
			sbDo(1, "XREAD", "BLOCK", "30", "STREAMS", "s", "$"),
			sbDo(1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "30", "STREAMS", "s", ">"),
			sbX(1, "HELLO", "3"),
			sbDo(1, "XREAD", "BLOCK", "30", "STREAMS", "s", "$"),
			sbSend(1, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", "t", ">", ">"), sbWait(1),
			sbDo(0, "XADD", "t", "4-4", "k", "v"), sbRead(1),
			sbDo(0, "XPENDING", "t", "g"),
			sbX(1, "HELLO", "2"),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			{1, 'u', nil}, sbRead(1),
			sbSend(1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"), sbWait(1),
			{1, 'u', []string{"TIMEOUT"}}, sbRead(1),
			sbSend(1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"), sbWait(1),
			{1, 'u', []string{"ERROR"}}, sbRead(1), sbWait(0),
			sbDo(1, "XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"),
			sbDo(1, "XREAD", "BLOCK", "-1", "STREAMS", "s", "$"),
			sbDo(1, "XREADGROUP", "GROUP", "nope", "c", "BLOCK", "0", "STREAMS", "s", ">"),
		},
	}
	for _, name := range []string{"group-fifo", "xread-all", "exec-and-lua", "gone", "timeouts"} {
		t.Run(name, func(t *testing.T) {
			for _, srv := range []*proctest.Server{slot, ref} {
				c := srv.Dial(t)
				bdo(t, c, "FLUSHALL")
				c.Close()
			}
			got := diffBlockScript(t, slot, ref, 4, scripts[name])
			if name == "gone" && !strings.Contains(strings.Join(got, "\n"), "-UNBLOCKED the stream key no longer exists") {
				t.Errorf("no UNBLOCKED error in %q", got)
			}
		})
	}
}

// TestStreamBlockingTimeout checks that a blocked read wakes at its deadline, not at a
// polling step, and that INFO counts it while it waits. (The deadline is in whole
// milliseconds of the clock, as Redis's mstime, so it may fall just under 300 ms.)
func TestStreamBlockingTimeout(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	ctl, w := srv.Dial(t), srv.Dial(t)
	start := time.Now()
	bsend(t, w, "XREAD", "BLOCK", "300", "STREAMS", "s", "$")
	waitBlocked(t, ctl, 1)
	if info := bdo(t, ctl, "INFO", "clients"); !strings.Contains(info, "clients_in_timeout_table:1") {
		t.Errorf("INFO clients while blocked with a timeout:\n%s", info)
	}
	if got := breadReply(t, w); got != "*-1\r\n" {
		t.Errorf("timed out XREAD = %q", got)
	}
	if d := time.Since(start); d < 290*time.Millisecond || d > 2*time.Second {
		t.Errorf("XREAD BLOCK 300 returned after %v", d)
	}
	waitBlocked(t, ctl, 0)
}
