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
// returns every write the server acknowledged.
func writeUntilKilled(t *testing.T, srv *proctest.Server, clients int, killAfter time.Duration) (acked []ackedWrite, killedAt time.Time) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range clients {
		conn := srv.Dial(t)
		conn.SetTimeout(5 * time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key, val := fmt.Sprintf("c%d:k%d", c, i), fmt.Sprintf("v%d-%d", c, i)
				reply, err := conn.Do("SET", key, val)
				if err != nil {
					return // the server is gone
				}
				if string(reply) != "+OK\r\n" {
					t.Errorf("SET %s: %q", key, reply)
					return
				}
				mu.Lock()
				acked = append(acked, ackedWrite{key, val, time.Now()})
				mu.Unlock()
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
	acked, _ := writeUntilKilled(t, srv, 8, 1500*time.Millisecond)
	if len(acked) < 100 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}
	lost := missingAfterRestart(t, srv, acked)
	if len(lost) > 0 {
		t.Fatalf("appendfsync always lost %d of %d acknowledged writes, e.g. %s", len(lost), len(acked), lost[0].key)
	}
	t.Logf("%d acknowledged writes, all present after SIGKILL", len(acked))
}

func TestDurabilityEverySecLosesAtMostOneSecond(t *testing.T) {
	srv := proctest.StartSlotdb(t, "--appendfsync", "everysec")
	acked, killedAt := writeUntilKilled(t, srv, 8, 2500*time.Millisecond)
	lost := missingAfterRestart(t, srv, acked)
	// Redis's contract: at most about one second of writes. Allow scheduling slack on a
	// loaded 2-core machine, but nothing older than that may be gone.
	const window = 1500 * time.Millisecond
	var old []string
	for _, w := range lost {
		if killedAt.Sub(w.at) > window {
			old = append(old, w.key)
		}
	}
	if len(old) > 0 {
		t.Fatalf("everysec lost %d writes acknowledged more than %v before the kill, e.g. %s", len(old), window, strings.Join(old[:min(3, len(old))], ", "))
	}
	t.Logf("%d acknowledged, %d lost (all within %v of the kill)", len(acked), len(lost), window)
	// The store opened cleanly and takes writes.
	conn := srv.Dial(t)
	if reply, _ := conn.Do("SET", "after", "restart"); string(reply) != "+OK\r\n" {
		t.Fatalf("SET after restart: %q", reply)
	}
}
