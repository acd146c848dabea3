package server

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Process tests of MULTI/EXEC against a real slotdb-server: atomicity under concurrent
// clients, WATCH invalidation, and blocked clients versus EXEC. The reply texts are checked
// against Redis 7.0.15 by testdata/diff/multi.txt.

func mdo(t *testing.T, c *proctest.Conn, args ...string) string {
	t.Helper()
	b, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(b)
}

func msend(t *testing.T, c *proctest.Conn, args ...string) {
	t.Helper()
	if err := c.Send(args...); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func mread(t *testing.T, c *proctest.Conn) string {
	t.Helper()
	b, err := c.ReadReply()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// TestExecAtomicUnderConcurrency: two clients increment x and y in transactions while a third
// reads both, in one command and in its own transaction; it must never see them differ.
func TestExecAtomicUnderConcurrency(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	const rounds = 300
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 2 {
		c := srv.Dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for _, cmd := range [][]string{{"MULTI"}, {"INCR", "x"}, {"INCR", "y"}, {"EXEC"}} {
					if err := c.Send(cmd...); err != nil {
						errs <- err.Error()
						return
					}
				}
				for range 3 {
					c.ReadReply()
				}
				if r, err := c.ReadReply(); err != nil || !strings.HasPrefix(string(r), "*2\r\n:") {
					errs <- "EXEC = " + string(r)
					return
				}
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	checker := srv.Dial(t)
	checks := 0
	for finished := false; !finished; checks++ {
		select {
		case <-writersDone:
			finished = true // one last check after the writers stopped
		default:
		}
		mg := mdo(t, checker, "MGET", "x", "y")
		if p := strings.Split(mg, "\r\n"); len(p) > 4 && p[2] != p[4] {
			t.Fatalf("MGET saw x != y: %q", mg)
		}
		msend(t, checker, "MULTI")
		msend(t, checker, "GET", "x")
		msend(t, checker, "GET", "y")
		msend(t, checker, "EXEC")
		for range 3 {
			mread(t, checker)
		}
		ex := mread(t, checker)
		if p := strings.Split(ex, "\r\n"); len(p) > 4 && p[2] != p[4] {
			t.Fatalf("EXEC saw x != y: %q", ex)
		}
	}
	select {
	case e := <-errs:
		t.Fatal(e)
	default:
	}
	if got := mdo(t, checker, "MGET", "x", "y"); got != "*2\r\n$3\r\n600\r\n$3\r\n600\r\n" {
		t.Fatalf("final MGET = %q", got)
	}
	t.Logf("%d consistent checks", checks)
}

// TestWatchInvalidation: EXEC fails (null array) after another client's write, an expiry, a
// FLUSHALL, FLUSHDB or SWAPDB of a watched key, and succeeds when nothing changed it.
func TestWatchInvalidation(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	c, other := srv.Dial(t), srv.Dial(t)
	const aborted, ran = "*-1\r\n", "*1\r\n+PONG\r\n"
	cases := []struct {
		name  string
		setup []string // by c before WATCH k
		touch [][]string
		sleep time.Duration
		want  string
	}{
		{"untouched", []string{"SET", "k", "v"}, nil, 0, ran},
		{"other client's write", []string{"SET", "k", "v"}, [][]string{{"APPEND", "k", "x"}}, 0, aborted},
		{"other client's delete", []string{"SET", "k", "v"}, [][]string{{"DEL", "k"}}, 0, aborted},
		{"same value", []string{"SET", "k", "v"}, [][]string{{"SET", "k", "v"}}, 0, aborted},
		{"read only", []string{"SET", "k", "v"}, [][]string{{"GET", "k"}, {"STRLEN", "k"}}, 0, ran},
		{"expired", []string{"SET", "k", "v", "PX", "50"}, nil, 150 * time.Millisecond, aborted},
		{"flushall", []string{"SET", "k", "v"}, [][]string{{"FLUSHALL"}}, 0, aborted},
		{"flushall of a missing key", []string{"DEL", "k"}, [][]string{{"FLUSHALL"}}, 0, ran},
		{"flushdb", []string{"SET", "k", "v"}, [][]string{{"FLUSHDB"}}, 0, aborted},
		{"swapdb", []string{"SET", "k", "v"}, [][]string{{"SWAPDB", "0", "1"}}, 0, aborted},
		{"created", []string{"DEL", "k"}, [][]string{{"SET", "k", "new"}}, 0, aborted},
		{"other db", []string{"SET", "k", "v"}, [][]string{{"SELECT", "1"}, {"SET", "k", "v"}, {"SELECT", "0"}}, 0, ran},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mdo(t, c, "FLUSHALL")
			mdo(t, c, tc.setup...)
			if got := mdo(t, c, "WATCH", "k"); got != "+OK\r\n" {
				t.Fatalf("WATCH = %q", got)
			}
			for _, cmd := range tc.touch {
				mdo(t, other, cmd...)
			}
			time.Sleep(tc.sleep)
			mdo(t, c, "MULTI")
			mdo(t, c, "PING")
			if got := mdo(t, c, "EXEC"); got != tc.want {
				t.Fatalf("EXEC = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestExecWithBlockedClients: a client blocked on a key does not hold EXEC off, an EXEC
// that pushes serves it, and a blocking command inside MULTI answers at once.
func TestExecWithBlockedClients(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	blocked, c := srv.Dial(t), srv.Dial(t)
	msend(t, blocked, "BLPOP", "q", "0")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(mdo(t, c, "INFO", "clients"), "blocked_clients:1") {
		if time.Now().After(deadline) {
			t.Fatal("the BLPOP never blocked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mdo(t, c, "MULTI")
	mdo(t, c, "RPUSH", "q", "a", "b")
	mdo(t, c, "LLEN", "q")
	// Inside EXEC nobody is served yet: LLEN sees both elements, as in Redis.
	if got := mdo(t, c, "EXEC"); got != "*2\r\n:2\r\n:2\r\n" {
		t.Fatalf("EXEC = %q", got)
	}
	if got := mread(t, blocked); got != "*2\r\n$1\r\nq\r\n$1\r\na\r\n" {
		t.Fatalf("BLPOP = %q", got)
	}
	mdo(t, c, "MULTI")
	mdo(t, c, "BLPOP", "empty", "0")
	mdo(t, c, "BLPOP", "q", "0")
	if got := mdo(t, c, "EXEC"); got != "*2\r\n*-1\r\n*2\r\n$1\r\nq\r\n$1\r\nb\r\n" {
		t.Fatalf("EXEC = %q", got)
	}
	// Many clients blocked and transactions running side by side.
	var ws []*proctest.Conn
	for i := range 4 {
		w := srv.Dial(t)
		ws = append(ws, w)
		msend(t, w, "BLPOP", "w"+strconv.Itoa(i), "0")
	}
	for i := range 4 {
		mdo(t, c, "MULTI")
		mdo(t, c, "RPUSH", "w"+strconv.Itoa(i), "x")
		if got := mdo(t, c, "EXEC"); got != "*1\r\n:1\r\n" {
			t.Fatalf("EXEC = %q", got)
		}
	}
	for i, w := range ws {
		if got := mread(t, w); !strings.Contains(got, "w"+strconv.Itoa(i)) {
			t.Fatalf("waiter %d = %q", i, got)
		}
	}
}

// TestMultiClusterSlots: in cluster mode the keys of a transaction must share one slot. A
// command whose own keys differ is refused at queue time (EXECABORT later); commands that
// differ from each other are refused at EXEC, which discards the transaction. Expected bytes
// are redis-server 7.0.15's (cluster-enabled, owning every slot).
func TestMultiClusterSlots(t *testing.T) {
	srv := proctest.StartSlotdb(t, "--cluster-enabled", "yes", "--cluster-own-all-slots")
	c := srv.Dial(t)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(mdo(t, c, "CLUSTER", "INFO"), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatal("cluster never ok")
		}
		time.Sleep(50 * time.Millisecond)
	}
	steps := []struct {
		cmd  []string
		want string
	}{
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"SET", "a", "1"}, "+QUEUED\r\n"},
		{[]string{"SET", "b", "2"}, "+QUEUED\r\n"},
		{[]string{"EXEC"}, "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{[]string{"EXEC"}, "-ERR EXEC without MULTI\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"MSET", "a", "1", "b", "2"}, "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{[]string{"SET", "{a}x", "1"}, "+QUEUED\r\n"},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{[]string{"MULTI"}, "+OK\r\n"},
		{[]string{"SET", "a", "1"}, "+QUEUED\r\n"},
		{[]string{"SET", "{a}y", "2"}, "+QUEUED\r\n"},
		{[]string{"GET", "a"}, "+QUEUED\r\n"},
		{[]string{"EXEC"}, "*3\r\n+OK\r\n+OK\r\n$1\r\n1\r\n"},
	}
	for i, st := range steps {
		if got := mdo(t, c, st.cmd...); got != st.want {
			t.Fatalf("step %d %v = %q, want %q", i, st.cmd, got, st.want)
		}
	}
}
