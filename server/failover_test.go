package server_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// FAILOVER (standalone): errors byte for byte against redis-server 7.0.15, the handover
// between slotdb nodes under a write load (no acknowledged write lost), both directions with
// a real Redis (PSYNC ... FAILOVER sent and received), timeout and ABORT.

func TestFailoverErrorsMatchRedis(t *testing.T) {
	run := func(m, r *proctest.Server) []string {
		mc := m.Dial(t)
		waitInSync(t, mc, r.Dial(t))
		rc := r.Dial(t)
		var out []string
		for _, cmd := range [][]string{
			{"FAILOVER", "ABORT"}, {"FAILOVER", "TO", "x"}, {"FAILOVER", "TO", "x", "y"},
			{"FAILOVER", "TIMEOUT", "0"}, {"FAILOVER", "TIMEOUT", "-1"}, {"FAILOVER", "TIMEOUT", "x"},
			{"FAILOVER", "FORCE"}, {"FAILOVER", "TIMEOUT", "10", "FORCE"},
			{"FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port), "FORCE"},
			{"FAILOVER", "TO", "127.0.0.1", "1"}, {"FAILOVER", "foo"}, {"FAILOVER", "ABORT", "now"},
			{"FAILOVER", "TO", "a", "1", "TO", "b", "2"}, {"FAILOVER", "TIMEOUT", "5", "TIMEOUT", "6"},
			{"PSYNC", "?", "-1", "FAILOVER"},
		} {
			out = append(out, strings.Join(cmd, " ")+" -> "+string(replDo(t, mc, cmd...).Raw()))
		}
		for _, cmd := range [][]string{{"FAILOVER"}, {"PSYNC", strings.Repeat("a", 40), "1", "FAILOVER"}} {
			out = append(out, "replica: "+strings.Join(cmd, " ")+" -> "+string(replDo(t, rc, cmd...).Raw()))
		}
		return out
	}
	rm := proctest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	want := run(rm, proctest.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(rm.Port)))
	sm := proctest.StartSlotdb(t)
	got := run(sm, proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(sm.Port)))
	for i := range want {
		// The port in the FORCE case differs between the two runs.
		w, g := want[i], got[i]
		if strings.Contains(w, " FORCE ->") {
			w, g = w[strings.Index(w, "->"):], g[strings.Index(g, "->"):]
		}
		if w != g {
			t.Errorf("\nredis:  %q\nslotdb: %q", want[i], got[i])
		}
	}
	// Also in cluster mode, as Redis.
	cl := proctest.StartSlotdb(t, "--cluster-enabled", "yes")
	if got := string(replDo(t, cl.Dial(t), "FAILOVER").Raw()); got != "-ERR FAILOVER not allowed in cluster mode.\r\n" {
		t.Errorf("FAILOVER in cluster mode: %q", got)
	}
}

// failoverUnderLoad runs FAILOVER on m while clients write, waits for the switch, and
// checks that every acknowledged write is on the new master.
func failoverUnderLoad(t *testing.T, m, r *proctest.Server, args ...string) {
	t.Helper()
	mc, rc := m.Dial(t), r.Dial(t)
	waitInSync(t, mc, rc)
	var mu sync.Mutex
	acked := map[string]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := proctest.Dial(m.Addr())
			if err != nil {
				return
			}
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k, v := "w"+strconv.Itoa(w)+":"+strconv.Itoa(i), strconv.Itoa(i)
				rep, err := c.Do("SET", k, v)
				if err != nil {
					return
				}
				if string(rep) == "+OK\r\n" {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	if got := string(replDo(t, mc, append([]string{"FAILOVER"}, args...)...).Raw()); got != "+OK\r\n" {
		t.Fatalf("FAILOVER: %q", got)
	}
	waitFor(t, 15*time.Second, "the replica is master", func() bool { return roleOf(t, rc)[0] == "master" })
	waitFor(t, 15*time.Second, "the old master follows it", func() bool {
		role := roleOf(t, mc)
		return len(role) == 5 && role[0] == "slave" && role[2] == strconv.Itoa(r.Port) && role[3] == "connected"
	})
	if st := infoField(t, mc, "master_failover_state"); st != "no-failover" {
		t.Errorf("master_failover_state after the failover = %q", st)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}
	lost := 0
	for k, v := range acked {
		if got := replDo(t, rc, "GET", k).Str; got != v {
			if lost++; lost <= 5 {
				t.Errorf("acknowledged write %s=%s reads %q on the new master", k, v, got)
			}
		}
	}
	t.Logf("%d acknowledged writes, %d lost", len(acked), lost)
	if !logHas(t, m, "Successful partial resynchronization with master") && !logHas(t, m, "Master accepted a Partial Resynchronization") {
		t.Error("the old master did not continue partially from the new one")
	}
}

func TestFailoverSlotdbToSlotdb(t *testing.T) {
	m := proctest.StartSlotdb(t)
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	failoverUnderLoad(t, m, r, "TO", "127.0.0.1", strconv.Itoa(r.Port), "TIMEOUT", "10000")
	if id2 := infoField(t, r.Dial(t), "master_replid2"); id2 == strings.Repeat("0", 40) {
		t.Error("the new master kept no secondary replication id")
	}
}

func TestFailoverSlotdbToRedis(t *testing.T) {
	m := proctest.StartSlotdb(t)
	r := proctest.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	failoverUnderLoad(t, m, r)
}

func TestFailoverRedisToSlotdb(t *testing.T) {
	m := proctest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	failoverUnderLoad(t, m, r)
	if !logHas(t, r, "MASTER MODE enabled (failover request from") {
		t.Error("slotdb did not log the failover request")
	}
}

func TestFailoverTimeoutAndAbort(t *testing.T) {
	m := proctest.StartSlotdb(t)
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port), "--enable-debug-command", "yes")
	mc, rc := m.Dial(t), r.Dial(t)
	waitInSync(t, mc, rc)
	// The replica stalls (DEBUG SLEEP runs alone), so it cannot reach the offset in time.
	stall := func() {
		go func() {
			c, err := proctest.Dial(r.Addr())
			if err == nil {
				c.Do("DEBUG", "SLEEP", "1.5")
				c.Close()
			}
		}()
		time.Sleep(100 * time.Millisecond)
		replDo(t, mc, "SET", "k", "v")
	}
	stall()
	replDo(t, mc, "FAILOVER", "TIMEOUT", "500")
	if st := infoField(t, mc, "master_failover_state"); st != "waiting-for-sync" {
		t.Errorf("master_failover_state = %q, want waiting-for-sync", st)
	}
	if got := string(replDo(t, mc, "FAILOVER").Raw()); got != "-ERR FAILOVER already in progress.\r\n" {
		t.Errorf("second FAILOVER: %q", got)
	}
	if got := string(replDo(t, mc, "REPLICAOF", "127.0.0.1", "1").Raw()); got != "-ERR REPLICAOF not allowed while failing over.\r\n" {
		t.Errorf("REPLICAOF while failing over: %q", got)
	}
	waitFor(t, 5*time.Second, "the failover times out", func() bool {
		return infoField(t, mc, "master_failover_state") == "no-failover"
	})
	if !logHas(t, m, "FAILOVER to any replica aborted: Replica never caught up before timeout") {
		t.Error("no timeout line in the log")
	}
	if got := string(replDo(t, mc, "SET", "after", "timeout").Raw()); got != "+OK\r\n" || roleOf(t, mc)[0] != "master" {
		t.Errorf("after the timeout: SET %q, ROLE %v", got, roleOf(t, mc))
	}

	// ABORT while waiting: writes held by the pause go on.
	time.Sleep(1600 * time.Millisecond)
	stall()
	replDo(t, mc, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port))
	held := make(chan string, 1)
	go func() {
		c, err := proctest.Dial(m.Addr())
		if err != nil {
			held <- err.Error()
			return
		}
		defer c.Close()
		rep, _ := c.Do("SET", "held", "1")
		held <- string(rep)
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case got := <-held:
		t.Fatalf("a write ran during the failover's pause: %q", got)
	default:
	}
	if got := string(replDo(t, mc, "FAILOVER", "ABORT").Raw()); got != "+OK\r\n" {
		t.Errorf("FAILOVER ABORT: %q", got)
	}
	if got := <-held; got != "+OK\r\n" {
		t.Errorf("the held write after ABORT: %q", got)
	}
	if !logHas(t, m, "aborted: Failover manually aborted") {
		t.Error("no abort line in the log")
	}
	if roleOf(t, mc)[0] != "master" {
		t.Error("the master changed role after ABORT")
	}
}

func TestFailoverForceAfterTimeout(t *testing.T) {
	m := proctest.StartSlotdb(t)
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port), "--enable-debug-command", "yes")
	mc, rc := m.Dial(t), r.Dial(t)
	waitInSync(t, mc, rc)
	go func() {
		c, err := proctest.Dial(r.Addr())
		if err == nil {
			c.Do("DEBUG", "SLEEP", "1")
			c.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	replDo(t, mc, "SET", "k", "v")
	replDo(t, mc, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port), "TIMEOUT", "300", "FORCE")
	waitFor(t, 10*time.Second, "the forced failover completes", func() bool {
		role := roleOf(t, mc)
		return len(role) == 5 && role[0] == "slave" && role[3] == "connected" && roleOf(t, rc)[0] == "master"
	})
	if !logHas(t, m, "time out exceeded, failing over.") {
		t.Error("no forced-failover line in the log")
	}
	if st := infoField(t, mc, "master_failover_state"); st != "no-failover" {
		t.Errorf("master_failover_state = %q", st)
	}
	// FORCE accepts losing what the target had not applied (here SET k, if the target took
	// the PSYNC FAILOVER before the rest of its stream): the two converge either way.
	replDo(t, rc, "SET", "after", "force")
	waitInSync(t, rc, mc)
	sameData(t, rc, mc)
}
