package server

import "time"

// Atomic execution (MULTI/EXEC, scripts): Redis runs one command at a time, so EXEC and a
// script see nothing of other clients between their commands. slotdb runs commands
// concurrently; the world lock (Server.world) restores that guarantee where it matters:
//
//   - every command's handler runs with world held shared (execute: enterWorld/exitWorld);
//   - an exclusive command (EXEC; EVAL & co. register themselves with registerExclusive)
//     runs with world held exclusively, and runs its inner commands one by one through
//     callLocked, which takes no lock;
//   - a client that waits inside a handler (blocked on keys) releases its shared hold first
//     (releaseWorld / reacquireWorld), or an EXEC would wait for it forever;
//   - inside an exclusive command blocking commands do not block (denyBlocking).

// exclusive names the commands that run with the world held exclusively.
var exclusive = map[string]bool{"exec": true}

// registerExclusive makes a command (by its cmdmeta name) run with the world held
// exclusively: its handler may then call callLocked. Call from init.
func registerExclusive(name string) { exclusive[name] = true }

// enterWorld takes the world lock for cmd's handler: exclusive or shared.
func (s *Server) enterWorld(c *Client, cmd *command) {
	if exclusive[cmd.meta.Name] {
		s.world.Lock()
		c.worldExclusive = true
		s.repl.stream.BeginBatch() // its writes propagate together: propagate.go
		return
	}
	s.world.RLock()
	c.worldShared = true
}

// exitWorld releases what enterWorld took (and the handler did not give back).
func (s *Server) exitWorld(c *Client) {
	switch {
	case c.worldExclusive:
		c.worldExclusive = false
		s.repl.stream.EndBatch()
		s.world.Unlock()
	case c.worldShared:
		c.worldShared = false
		s.world.RUnlock()
	}
}

// releaseWorld gives up the client's shared hold before it waits (a blocked command); it
// reports whether there was one, for reacquireWorld.
func (c *Client) releaseWorld() bool {
	if !c.worldShared {
		return false
	}
	c.worldShared = false
	c.s.world.RUnlock()
	return true
}

// reacquireWorld takes the shared hold back after a wait, if releaseWorld gave it up.
func (c *Client) reacquireWorld(held bool) {
	if held {
		c.s.world.RLock()
		c.worldShared = true
	}
}

// callLocked runs one command inside an exclusive command (EXEC, a script), as Redis's
// call() does for each: the handler, then commandstats, errorstats, slowlog and MONITOR.
// The caller holds the world exclusively; blocking commands do not block in here.
func (s *Server) callLocked(c *Client, cmd *command, args [][]byte) {
	mark := len(c.w.Buf)
	c.atomicDepth++
	start := time.Now()
	s.call(c, cmd, args)
	dur := time.Since(start)
	c.atomicDepth--
	s.stats.commandsProcessed.Add(1)
	isErr := replyIsError(c.w.Buf, mark)
	cmd.stat.record(dur, isErr)
	if isErr {
		s.countReplyError(c.w.Buf, mark)
	}
	if !cmd.meta.SkipSlowlog {
		s.slowlog.maybeAdd(s.cfg, c, args, dur)
	}
	if !cmd.meta.SkipMonitor && !cmd.meta.Admin {
		s.feedMonitors(c, args, start)
	}
}

// inAtomic reports whether the client runs inside EXEC or a script.
func (c *Client) inAtomic() bool { return c.atomicDepth > 0 }
