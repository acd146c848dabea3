package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// ackedWrite is a SET the server acknowledged, and when.
type ackedWrite struct {
	key, val string
	at       time.Time
}

// writeUntilKilled runs clients that SET unique keys until the server dies under them, and
// returns every write the server acknowledged. Client c sends its SETs in pipelines of
// depth[c % len(depth)] commands.
func writeUntilKilled(t *testing.T, srv *proctest.Server, clients int, killAfter time.Duration, depth ...int) (acked []ackedWrite, killedAt time.Time) {
	t.Helper()
	if len(depth) == 0 {
		depth = []int{1}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range clients {
		conn := srv.Dial(t)
		conn.SetTimeout(5 * time.Second)
		p := depth[c%len(depth)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i += p {
				for j := range p {
					if conn.Send("SET", fmt.Sprintf("c%d:k%d", c, i+j), fmt.Sprintf("v%d-%d", c, i+j)) != nil {
						return // the server is gone
					}
				}
				for j := range p {
					key, val := fmt.Sprintf("c%d:k%d", c, i+j), fmt.Sprintf("v%d-%d", c, i+j)
					reply, err := conn.ReadReply()
					if err != nil {
						return
					}
					if string(reply) != "+OK\r\n" {
						t.Errorf("SET %s: %q", key, reply)
						return
					}
					mu.Lock()
					acked = append(acked, ackedWrite{key, val, time.Now()})
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(killAfter)
	killedAt = time.Now()
	srv.Kill()
	wg.Wait()
	return acked, killedAt
}

// missingAfterRestart restarts the server and returns the acknowledged writes it lost.
func missingAfterRestart(t *testing.T, srv *proctest.Server, acked []ackedWrite) []ackedWrite {
	t.Helper()
	srv.Restart()
	conn := srv.Dial(t)
	var lost []ackedWrite
	for _, w := range acked {
		reply, err := conn.Do("GET", w.key)
		if err != nil {
			t.Fatal(err)
		}
		if string(reply) != fmt.Sprintf("$%d\r\n%s\r\n", len(w.val), w.val) {
			lost = append(lost, w)
		}
	}
	return lost
}

func TestDurabilityAlwaysLosesNothing(t *testing.T) {
	srv := proctest.StartSlotdb(t, "--appendfsync", "always")
	acked, _ := writeUntilKilled(t, srv, 8, 1500*time.Millisecond, 1, 16)
	if len(acked) < 100 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}
	lost := missingAfterRestart(t, srv, acked)
	if len(lost) > 0 {
		t.Fatalf("appendfsync always lost %d of %d acknowledged writes, e.g. %s", len(lost), len(acked), lost[0].key)
	}
	t.Logf("%d acknowledged writes, all present after SIGKILL", len(acked))
}

// Under everysec (and no) Redis write()s the AOF before it replies: a crash of the process,
// unlike one of the machine, loses no acknowledged write. Pipelined clients too.
func TestDurabilityEverySecProcessKillLosesNothing(t *testing.T) {
	for _, policy := range []string{"everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			srv := proctest.StartSlotdb(t, "--appendfsync", policy)
			acked, _ := writeUntilKilled(t, srv, 8, 1500*time.Millisecond, 1, 16, 3)
			if len(acked) < 100 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}
			lost := missingAfterRestart(t, srv, acked)
			if len(lost) > 0 {
				keys := make([]string, 0, 3)
				for _, w := range lost[:min(3, len(lost))] {
					keys = append(keys, w.key)
				}
				t.Fatalf("appendfsync %s lost %d of %d acknowledged writes to a SIGKILL, e.g. %s", policy, len(lost), len(acked), strings.Join(keys, ", "))
			}
			t.Logf("%d acknowledged writes, all present after SIGKILL", len(acked))
			// The store opened cleanly and takes writes.
			conn := srv.Dial(t)
			if reply, _ := conn.Do("SET", "after", "restart"); string(reply) != "+OK\r\n" {
				t.Fatalf("SET after restart: %q", reply)
			}
		})
	}
}
