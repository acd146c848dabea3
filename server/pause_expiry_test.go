package server

import (
	"strings"
	"testing"
	"time"
)

// While clients are paused (a manual failover's pause, CLIENT PAUSE WRITE) no key expires:
// active expiry waits, a read of an expired key answers nil without deleting it, nothing is
// propagated, so the paused master's offset stays final; once the pause ends the keys go.
func TestPauseHoldsExpiry(t *testing.T) {
	for _, how := range []string{"failover", "client pause write"} {
		t.Run(how, func(t *testing.T) {
			ls := startLive(t, nil)
			s := ls.s
			c := ls.dial(t)
			s.repl.stream.Activate() // as with a replica attached: an expiry would be fed
			for _, k := range []string{"k1", "k2"} {
				if got := do(t, c, "SET", k, "v", "PX", "150"); got != "+OK\r\n" {
					t.Fatalf("SET: %q", got)
				}
			}
			if how == "failover" {
				s.pauseForFailover(time.Now().UnixMilli() + 10_000)
			} else if got := do(t, c, "CLIENT", "PAUSE", "10000", "WRITE"); got != "+OK\r\n" {
				t.Fatalf("CLIENT PAUSE: %q", got)
			}
			off := s.repl.stream.Offset()
			time.Sleep(500 * time.Millisecond) // several active expiry cycles
			if got := do(t, c, "GET", "k1"); got != "$-1\r\n" {
				t.Fatalf("GET of an expired key during the pause: %q", got)
			}
			if got := do(t, c, "EXISTS", "k2"); got != ":0\r\n" {
				t.Fatalf("EXISTS of an expired key during the pause: %q", got)
			}
			time.Sleep(200 * time.Millisecond)
			if got := do(t, c, "DBSIZE"); got != ":2\r\n" {
				t.Fatalf("DBSIZE during the pause: %q (an expired key was deleted)", got)
			}
			if got := s.repl.stream.Offset(); got != off {
				t.Fatalf("the stream moved during the pause: offset %d -> %d", off, got)
			}
			if n := s.eng.Stats().ExpiredKeys.Load(); n != 0 {
				t.Fatalf("expired_keys %d during the pause", n)
			}
			if how == "failover" {
				s.pauseForFailover(0)
			} else if got := do(t, c, "CLIENT", "UNPAUSE"); got != "+OK\r\n" {
				t.Fatalf("CLIENT UNPAUSE: %q", got)
			}
			deadline := time.Now().Add(5 * time.Second)
			for do(t, c, "DBSIZE") != ":0\r\n" {
				if time.Now().After(deadline) {
					t.Fatal("the expired keys stayed after the pause")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got := s.repl.stream.Offset(); got <= off {
				t.Fatalf("the expiries were not propagated after the pause (offset %d)", got)
			}
			if info := do(t, c, "INFO", "stats"); !strings.Contains(info, "expired_keys:2\r\n") {
				t.Fatalf("expired_keys after the pause:\n%s", info)
			}
		})
	}
}
