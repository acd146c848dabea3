package server

import (
	"sync/atomic"
	"time"
)

// The write pause of a manual failover (CLUSTER FAILOVER's MFSTART on the master): writes
// wait, reads go on (CLIENT PAUSE WRITE semantics, PauseByFailover). Redis pauses between
// two commands of its single thread, so the offset it then announces covers every write
// it acknowledged. slotdb runs commands concurrently, so a write that passed the pause
// check just before the pause began may still be running: such writes are counted, and
// the master announces its offset as final (WritesPaused) only once none is left.
//
// The count is taken before the pause is checked and the pause is set before the count
// is read (both sequentially consistent atomics), so a write either sees the pause or is
// seen by the drain.

// writeGate counts the writes in flight between the pause check and their end.
type writeGate struct {
	inflight atomic.Int64
}

// mayReplicate reports whether a write pause holds cmd (processCommand's
// is_may_replicate_command; EXEC is held whatever it queued, as pausedFor does).
// Blocking commands are not counted: a client blocked in BLPOP would hold the drain until
// its timeout (a blocking command that writes at once right as the pause begins is the
// one case left to the timing).
func mayReplicate(cmd *command) bool {
	m := cmd.meta
	return (m.Write || m.MayReplicate || m.Name == "exec") && !m.Blocking
}

// pauseGate holds c while a pause applies to cmd, then counts cmd as a write in flight
// (counted: the caller must call writeDone when it ends). A command that waited is checked
// again against the slot map and the replication rules, as Redis reprocesses a postponed
// client: a manual failover may have moved its slot meanwhile. ok is false when the
// client was closed while paused or the command was refused (the reply is written).
func (s *Server) pauseGate(c *Client, cmd *command, args [][]byte) (counted, ok bool) {
	count := !c.master && mayReplicate(cmd)
	ps := &s.intro.pause
	for {
		if count {
			s.wgate.inflight.Add(1)
		}
		if !ps.on.Load() {
			return count, true
		}
		if held, _, _ := ps.pausedFor(cmd); !held {
			return count, true
		}
		if count {
			s.writeDone()
		}
		if !s.waitPause(c, cmd) {
			return false, false
		}
		mark := len(c.w.Buf)
		if s.cluster != nil && !c.master && !s.routeQueued(c, cmd, args) || s.replicationDenies(c, cmd) {
			s.rejected(c, cmd)
			s.finishReply(c, mark)
			return false, false
		}
	}
}

// writeDone ends a write counted by pauseGate.
func (s *Server) writeDone() { s.wgate.inflight.Add(-1) }

// pauseForFailover starts (until > 0, Unix ms) or lifts (0) the manual failover's pause.
func (s *Server) pauseForFailover(until int64) {
	if until <= 0 {
		s.UnpauseClients(PauseByFailover)
		return
	}
	s.PauseClients(PauseByFailover, until, true)
}

// failoverPaused reports whether the manual failover's pause is in effect.
func (s *Server) failoverPaused() bool {
	ps := &s.intro.pause
	if !ps.on.Load() {
		return false
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ev := ps.events[PauseByFailover]
	return ev.active && ev.end >= time.Now().UnixMilli()
}

// writesDrained reports whether the failover pause is in effect with no write in flight:
// the offset is then final.
func (s *Server) writesDrained() bool {
	return s.failoverPaused() && s.wgate.inflight.Load() == 0
}

// expiryHeld is the engine's expiry hold: while any pause is in effect (a manual failover's,
// CLIENT PAUSE, SHUTDOWN waiting for its replicas) no key expires, so the offset a paused
// master announces stays final and a replica taking over finds the same dataset (Redis's
// checkClientPauseTimeoutAndReturnIfPaused in activeExpireCycle and expireIfNeeded).
//
// A read-only replica holds its expiry too: its master's DELs remove expired keys (Redis's
// replicas run no active expiry and expireIfNeeded deletes nothing there), so the stream is
// its only writer, which lets it apply the stream in runs (repl_apply.go).
func (s *Server) expiryHeld() bool {
	if r := s.repl; r.isReplica() && r.readOnly.Load() {
		return true
	}
	if !s.intro.pause.on.Load() {
		return false
	}
	paused, _ := s.ClientsPaused()
	return paused
}
