package server

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/slotdb/slotdb/internal/sds"
)

// execute runs one request as Redis's processCommand + call do: lookup and arity, then
// authentication, then CLIENT PAUSE, then the command; then stats, slowlog and MONITOR.
func (s *Server) execute(c *Client, args [][]byte) {
	mark := len(c.w.Buf)
	c.skipping = c.skipThis
	c.skipThis = false
	c.argvLen = argvLen(args)
	c.askingNow, c.asking = c.asking, false // ASKING lasts for one command

	cmd := s.lookup(c, args)
	if cmd == nil {
		s.rejected(c, s.resolve(args))
		s.finishReply(c, mark)
		return
	}
	c.lastCmd = cmd.meta.Name
	if !c.authed && !cmd.meta.NoAuth {
		c.w.Error("NOAUTH Authentication required.")
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	if c.tx.active && cmd.meta.NoMulti {
		c.w.Error("ERR Command not allowed inside a transaction")
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	if s.cluster != nil && !c.master && !s.routeQueued(c, cmd, args) { // cmd_multi.go: EXEC routes its queue
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	if s.replicationDenies(c, cmd) { // NOREPLICAS, READONLY, MASTERDOWN: repl.go
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	if !c.allowedInPubsub(cmd) { // RESP2 subscribed context: cmd_pubsub.go
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	// CLIENT PAUSE and a manual failover's pause; writes are counted until they end.
	counted, ok := s.pauseGate(c, cmd, args) // pause.go
	if counted {
		defer s.writeDone()
	}
	if !ok {
		return // closed while paused, or refused after it (the slot moved)
	}
	mark = len(c.w.Buf) // waitPause may have flushed earlier replies
	// A long script runs: BUSY, or allow-busy commands run beside it (cmd_script.go).
	bypass, ok := s.busyGate(c, cmd)
	if !ok {
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	if c.tx.active && !runsInMulti(cmd) {
		s.exitWorld(c)               // busyGate may have taken the shared hold: queueing needs none
		s.queueCommand(c, cmd, args) // for EXEC: cmd_multi.go
		s.finishReply(c, mark)
		return
	}
	if !bypass && runsOnExecutor(cmd) { // scripts run on the script executor: script_exec.go
		if start, dur, ok := s.execOnExecutor(c, cmd, args); ok {
			s.finishCommand(c, cmd, args, start, dur, mark)
			return
		}
	}
	if !bypass {
		s.enterWorld(c, cmd) // shared, or exclusive for EXEC and scripts: atomic.go
	}
	if s.cluster != nil && !c.master && s.migrationGate(c, cmd, args) { // slots being handed over: cmd_migrateslots.go
		s.exitWorld(c)
		s.rejected(c, cmd)
		s.finishReply(c, mark)
		return
	}
	start := time.Now()
	s.call(c, cmd, args)
	dur := time.Since(start)
	if waited, ok := c.takeBlockedWait(); ok {
		dur -= waited // Redis leaves the time blocked out of the command's duration
		mark = 0      // and block flushed the earlier replies
	}
	s.serveBlocked() // clients blocked on keys this command wrote: blocking.go
	s.exitWorld(c)
	s.finishCommand(c, cmd, args, start, dur, mark)
}

// finishCommand is what follows a command that ran: stats, slowlog, MONITOR, the reply.
func (s *Server) finishCommand(c *Client, cmd *command, args [][]byte, start time.Time, dur time.Duration, mark int) {
	s.stats.commandsProcessed.Add(1)
	cmd.stat.record(dur, replyIsError(c.w.Buf, mark))
	if !cmd.meta.SkipSlowlog {
		s.slowlog.maybeAdd(s.cfg, c, args, dur)
	}
	if !cmd.meta.SkipMonitor && !cmd.meta.Admin {
		s.feedMonitors(c, args, start)
	}
	s.finishReply(c, mark)
}

// finishReply counts an error reply for INFO errorstats, drops the reply when CLIENT REPLY
// OFF/SKIP says so, and publishes the client's state for CLIENT LIST.
func (s *Server) finishReply(c *Client, mark int) {
	if replyIsError(c.w.Buf, mark) {
		s.countReplyError(c.w.Buf, mark)
	}
	if c.replyMode == replyOff || c.skipping || c.replica != nil { // replicas get no replies
		c.w.Buf = c.w.Buf[:mark]
	}
	c.publish()
}

func replyIsError(buf []byte, mark int) bool { return len(buf) > mark && buf[mark] == '-' }

// countReplyError counts the error reply at buf[mark:] for INFO errorstats.
func (s *Server) countReplyError(buf []byte, mark int) {
	end := mark + 1
	for end < len(buf) && buf[end] != '\r' {
		end++
	}
	s.countError(errorCode(buf[mark+1 : end]))
}

// resolve finds the command argv names without checking arity or writing errors; nil when
// the name or subcommand is unknown.
func (s *Server) resolve(args [][]byte) *command {
	var buf [32]byte
	cmd := s.commands[string(lowerInto(buf[:0], args[0]))]
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		cmd = cmd.subs[string(lowerInto(buf[:0], args[1]))]
	}
	return cmd
}

// rejected accounts a command refused before it ran: Redis sets the client's last command at
// lookup ("NULL" when unknown) and counts rejected_calls.
func (s *Server) rejected(c *Client, cmd *command) {
	c.flagTransaction() // a command refused while queueing aborts the EXEC: cmd_multi.go
	if cmd != nil && cmd.meta.Name == "exec" {
		c.abortRejectedExec()
	}
	if cmd == nil {
		c.lastCmd = "NULL"
		return
	}
	c.lastCmd = cmd.meta.Name
	cmd.stat.rejected.Add(1)
}

func argvLen(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	return n
}

// feedMonitors sends the command to MONITOR clients in Redis's format.
func (s *Server) feedMonitors(c *Client, args [][]byte, t time.Time) {
	mons := s.monitors.Load()
	if mons == nil || len(*mons) == 0 {
		return
	}
	var b strings.Builder
	b.WriteByte('+')
	b.WriteString(strconv.FormatInt(t.Unix(), 10))
	b.WriteByte('.')
	us := strconv.Itoa(t.Nanosecond() / 1000)
	b.WriteString(strings.Repeat("0", 6-len(us)) + us)
	b.WriteString(" [")
	b.WriteString(strconv.Itoa(c.db))
	b.WriteByte(' ')
	b.WriteString(c.raddr)
	b.WriteString("]")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(sds.Repr(string(a)))
	}
	b.WriteString("\r\n")
	msg := []byte(b.String())
	for _, m := range *mons {
		if m != c {
			m.writeAsync(msg)
		}
	}
}

func (s *Server) addMonitor(c *Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Client
	if old := s.monitors.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, c)
	s.monitors.Store(&list)
}

func (s *Server) removeMonitor(c *Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.monitors.Load()
	if old == nil {
		return
	}
	var list []*Client
	for _, m := range *old {
		if m != c {
			list = append(list, m)
		}
	}
	s.monitors.Store(&list)
}

// call runs the handler. A bug in one command must not take the node down: a panic is logged
// with its stack and answered as an error (the failed command committed nothing).
func (s *Server) call(c *Client, cmd *command, args [][]byte) {
	mark := len(c.w.Buf)
	prev := c.argv
	c.argv = args // propagate.go
	defer func() {
		c.argv = prev
		if r := recover(); r != nil {
			s.log.Warn(fmt.Sprintf("internal error in '%s': %v\n%s", cmd.meta.Name, r, debug.Stack()))
			c.w.Buf = c.w.Buf[:mark]
			c.w.Error("ERR internal error")
		}
	}()
	cmd.fn(c, args)
}
