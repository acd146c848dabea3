package server

import (
	"testing"
	"time"
)

// The manual failover's pause holds writes, lets reads through, counts no held write as
// in flight, and releases the writes when lifted.
func TestFailoverPause(t *testing.T) {
	ls := startLive(t, nil)
	s := ls.s
	w, r := ls.dial(t), ls.dial(t)
	if got := do(t, w, "SET", "k", "v1"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	s.pauseForFailover(time.Now().UnixMilli() + 10_000)
	if !s.failoverPaused() || !s.writesDrained() {
		t.Fatalf("paused %v, drained %v", s.failoverPaused(), s.writesDrained())
	}
	done := make(chan string, 1)
	go func() {
		b, err := w.Do("SET", "k", "v2")
		if err != nil {
			done <- err.Error()
			return
		}
		done <- string(b)
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case got := <-done:
		t.Fatalf("a write ran during the pause: %q", got)
	default:
	}
	if got := do(t, r, "GET", "k"); got != "$2\r\nv1\r\n" {
		t.Fatalf("GET during the pause: %q", got)
	}
	if !s.writesDrained() {
		t.Fatal("a held write counts as in flight")
	}
	// A write that passed the gate before the pause keeps the offset from being final.
	s.wgate.inflight.Add(1)
	if s.writesDrained() {
		t.Fatal("drained with a write in flight")
	}
	s.writeDone()
	if !s.writesDrained() {
		t.Fatal("not drained once the write ended")
	}
	s.pauseForFailover(0)
	select {
	case got := <-done:
		if got != "+OK\r\n" {
			t.Fatalf("held SET after the pause: %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the held write was not released")
	}
	if s.failoverPaused() || s.wgate.inflight.Load() != 0 {
		t.Fatalf("after the pause: paused %v, in flight %d", s.failoverPaused(), s.wgate.inflight.Load())
	}
	if got := do(t, r, "GET", "k"); got != "$2\r\nv2\r\n" {
		t.Fatalf("GET after the pause: %q", got)
	}
	if s.logRole() != 'M' {
		t.Fatalf("log role of a master: %c", s.logRole())
	}
}
