package server

import (
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/server/resp"
)

// Pipelined SETs: when a client has several SETs already buffered, they run as one engine
// Group (engine/group.go): their keys' stripes are taken together up front, each SET runs as
// usual (same handler, same reply, same stats), and their writes are committed in one Pebble
// batch before any of their replies can be sent. That replaces a commit per command (and,
// with the WAL written before every reply, a WAL write per command) by one per pipeline.
//
// The group runs only on a quiet path that needs none of execute's gates: the client is
// authenticated, outside MULTI, not a replication link, not subscribed, replying normally; no
// pause, no script and no slot migration is in progress; on a cluster node every key is served
// here outside any migrating or importing slot, and min-replicas-to-write is off. Otherwise,
// or when the world lock is not free at once, each command goes through execute. Locks are
// taken in the same order as by a lone command (world shared, global shared, stripes in
// index order) and nothing waits while holding the stripes, so no deadlock is added.

// maxGroup bounds the SETs of one group (and so the stripes held at once).
const maxGroup = 64

// isPlainSet reports whether args is a SET the group may run: arity checked, option parsing
// and every reply are the handler's business.
func isPlainSet(args [][]byte) bool {
	return len(args) >= 3 && len(args[0]) == 3 && eqFold(args[0], "set")
}

// runPipeline runs first, a SET, together with the SETs buffered behind it, then the command
// that ended the run. It reports false when the connection is done (a read error was handled).
func (c *Client) runPipeline(first [][]byte, lim resp.Limits) bool {
	s := c.s
	run := append(c.run[:0], first)
	var next [][]byte
	var rerr error
	for len(run) < maxGroup && c.rd.Complete() {
		args, err := c.rd.ReadCommand(lim)
		if err != nil {
			rerr = err
			break
		}
		if !isPlainSet(args) {
			next = args
			break
		}
		run = append(run, args)
	}
	s.executeSets(c, run)
	clear(run)
	c.run = run[:0]
	if next != nil && !c.closeAfterReply && !c.closed.Load() {
		s.execute(c, next)
	}
	if rerr != nil {
		c.readError(rerr)
		return false
	}
	return true
}

// executeSets runs SETs, grouping the longest runs the quiet path allows.
func (s *Server) executeSets(c *Client, run [][][]byte) {
	for len(run) > 0 {
		if c.closeAfterReply || c.closed.Load() {
			return
		}
		n := 0
		if s.groupQuiet(c) {
			for n < len(run) && s.servedHere(run[n][1]) {
				n++
			}
		}
		if n < 2 || !s.executeGroup(c, run[:n]) {
			n = 1
			s.execute(c, run[0])
		}
		run = run[n:]
	}
}

// groupQuiet reports whether none of execute's gates would act on a SET of c's.
func (s *Server) groupQuiet(c *Client) bool {
	if !c.authed || c.tx.active || c.master || c.replica != nil || c.replyMode != replyOn ||
		c.skipThis || c.asking || (c.w.Proto == 2 && c.subscriptions() > 0) {
		return false
	}
	if s.intro.pause.on.Load() || s.scr.running.Load() != nil || s.repl.isReplica() || s.repl.minReplicas.Load() > 0 {
		return false
	}
	if s.cluster != nil {
		if m := s.migrations(); m != nil && m.any.Load() {
			return false
		}
	}
	return true
}

// servedHere reports whether routeCommand would let a write of key through without a look at
// the keyspace: the slot is this node's, the cluster is up, and no migration touches it.
func (s *Server) servedHere(key []byte) bool {
	if s.cluster == nil {
		return true
	}
	route, ok := s.cluster.Route(int(keyslot.Of(key)))
	return ok && route.Served && route.Mine && !route.Migrating && !route.Importing
}

// executeGroup runs run (SETs that passed groupQuiet and servedHere) as one engine group: what
// execute does for each, minus the gates. It reports false, having run nothing, when the group
// cannot start at once (a pause began, the world lock is wanted, the engine is closed).
func (s *Server) executeGroup(c *Client, run [][][]byte) bool {
	cmd := s.commands["set"]
	n := int64(len(run))
	counted := !c.master && mayReplicate(cmd)
	if counted {
		s.wgate.inflight.Add(n) // pauseGate's count, before its check of the pause
	}
	if s.intro.pause.on.Load() || !s.world.TryRLock() {
		if counted {
			s.wgate.inflight.Add(-n)
		}
		return false
	}
	c.worldShared = true
	keys := c.groupKeys[:0]
	for _, args := range run {
		keys = append(keys, args[1])
	}
	g, err := s.eng.NewGroup(c.db, keys)
	clear(keys)
	c.groupKeys = keys[:0]
	if err != nil {
		s.exitWorld(c)
		if counted {
			s.wgate.inflight.Add(-n)
		}
		return false
	}
	c.group = g
	starts := c.groupStarts[:0]
	first := len(c.w.Buf)
	for _, args := range run {
		mark := len(c.w.Buf)
		c.skipping = false
		c.argvLen = argvLen(args)
		c.askingNow = false
		c.lastCmd = cmd.meta.Name
		start := time.Now()
		s.call(c, cmd, args)
		dur := time.Since(start)
		starts = append(starts, start)
		s.stats.commandsProcessed.Add(1)
		cmd.stat.record(dur, replyIsError(c.w.Buf, mark))
		if !cmd.meta.SkipSlowlog {
			s.slowlog.maybeAdd(s.cfg, c, args, dur)
		}
		s.finishReply(c, mark)
	}
	c.group = nil
	if err := g.Commit(); err != nil {
		// Nothing of the group was written: each command answers the storage error.
		c.w.Buf = c.w.Buf[:first]
		for range run {
			mark := len(c.w.Buf)
			c.storeError(err)
			s.finishReply(c, mark)
		}
	}
	s.serveBlocked() // clients blocked on keys the group wrote: blocking.go
	s.exitWorld(c)
	if counted {
		s.wgate.inflight.Add(-n)
	}
	if !cmd.meta.SkipMonitor && !cmd.meta.Admin {
		for i, args := range run {
			s.feedMonitors(c, args, starts[i])
		}
	}
	c.groupStarts = starts[:0]
	return true
}
