package server

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("client|id", func(c *Client, a [][]byte) { c.w.Int(c.id) })
	register("client|getname", cmdClientGetName)
	register("client|setname", cmdClientSetName)
	register("client|info", func(c *Client, a [][]byte) {
		c.w.Verbatim(string(append(c.s.clientInfo(nil, c, c, time.Now()), '\n')))
	})
	register("client|list", cmdClientList)
	register("client|kill", cmdClientKill)
	register("client|reply", cmdClientReply)
	register("client|no-evict", cmdClientNoEvict)
	register("client|pause", cmdClientPause)
	register("client|unpause", func(c *Client, a [][]byte) { c.s.UnpauseClients(PauseByClient); c.w.OK() })
	register("client|unblock", cmdClientUnblock)
	register("client|getredir", func(c *Client, a [][]byte) { c.w.Int(-1) })
	register("client|trackinginfo", cmdClientTrackingInfo)
	register("client|caching", func(c *Client, a [][]byte) {
		c.w.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	})
	register("client|help", func(c *Client, a [][]byte) { writeHelp(c, clientHelp) })
}

// Client types, as getClientTypeByName names them.
const (
	clientNormal = iota
	clientReplica
	clientPubSub
	clientMaster
)

func clientTypeByName(b []byte) int {
	switch {
	case eqFold(b, "normal"):
		return clientNormal
	case eqFold(b, "slave"), eqFold(b, "replica"):
		return clientReplica
	case eqFold(b, "pubsub"):
		return clientPubSub
	case eqFold(b, "master"):
		return clientMaster
	}
	return -1
}

// clientType is getClientType: MONITOR clients count as normal.
func (p clientPub) clientType() int {
	if p.replica && !p.monitor {
		return clientReplica
	}
	if p.sub+p.psub+p.ssub > 0 {
		return clientPubSub
	}
	return clientNormal
}

// subcommandSyntaxError is addReplySubcommandSyntaxError.
func subcommandSyntaxError(c *Client, args [][]byte) {
	c.w.Error(sanitize("ERR unknown subcommand or wrong number of arguments for '" +
		truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func writeHelp(c *Client, lines []string) {
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Simple(l)
	}
}

func cmdClientGetName(c *Client, args [][]byte) {
	if c.name == "" {
		c.w.Null()
		return
	}
	c.w.BulkString(c.name)
}

func cmdClientSetName(c *Client, args [][]byte) {
	if !validClientName(args[2]) {
		c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.name = string(args[2]) // "" removes the name
	c.w.OK()
}

// clientList returns the connected clients by id, skipping those already closed.
func (s *Server) clientList() []*Client {
	s.mu.Lock()
	list := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		if !c.closed.Load() {
			list = append(list, c)
		}
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

func (s *Server) clientByID(id int64) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[id]; c != nil && !c.closed.Load() {
		return c
	}
	return nil
}

// clientInfo appends c's CLIENT LIST line (catClientInfoString, 7.0.15's fields) to b. self
// is the client running the command: its live fields are read, the others' published ones.
func (s *Server) clientInfo(b []byte, c, self *Client, now time.Time) []byte {
	var p clientPub
	if c == self {
		p = c.state()
	} else {
		p = c.snapshot()
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.id, 10)
	b = append(b, " addr="...)
	b = append(b, c.raddr...)
	b = append(b, " laddr="...)
	b = append(b, c.laddr...)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, int64(c.fd), 10)
	b = append(b, " name="...)
	b = append(b, p.name...)
	b = append(b, " age="...)
	b = strconv.AppendInt(b, now.Unix()-c.created.Unix(), 10)
	b = append(b, " idle="...)
	b = strconv.AppendInt(b, now.Unix()-c.lastInteraction.Load()/1000, 10)
	b = append(b, " flags="...)
	b = c.appendFlags(b, p)
	for _, f := range []struct {
		name string
		v    int
	}{{"db", p.db}, {"sub", p.sub}, {"psub", p.psub}, {"ssub", p.ssub}, {"multi", p.multi},
		{"qbuf", p.qbuf}, {"qbuf-free", max(0, 16<<10-p.qbuf)}, {"argv-mem", p.argvLen},
		{"multi-mem", 0}, {"rbs", p.rbs}, {"rbp", p.rbp}, {"obl", p.obl}, {"oll", 0},
		{"omem", 0}, {"tot-mem", p.totMem()}} {
		b = append(b, ' ')
		b = append(b, f.name...)
		b = append(b, '=')
		b = strconv.AppendInt(b, int64(f.v), 10)
	}
	b = append(b, " events=r cmd="...)
	b = append(b, p.lastCmd...)
	b = append(b, " user=default redir=-1 resp="...)
	b = strconv.AppendInt(b, int64(p.proto), 10)
	return b
}

// appendFlags writes the flag letters in catClientInfoString's order.
func (c *Client) appendFlags(b []byte, p clientPub) []byte {
	n := len(b)
	if p.replica && !p.monitor {
		b = append(b, 'S')
	}
	if p.monitor {
		b = append(b, 'O')
	}
	if p.sub+p.psub+p.ssub > 0 {
		b = append(b, 'P')
	}
	if p.multi >= 0 {
		b = append(b, 'x')
	}
	if c.blocked.Load() {
		b = append(b, 'b')
	}
	if p.closeAfterReply {
		b = append(b, 'c')
	}
	if c.killed.Load() {
		b = append(b, 'A')
	}
	if p.noEvict {
		b = append(b, 'e')
	}
	if len(b) == n {
		b = append(b, 'N')
	}
	return b
}

func cmdClientList(c *Client, args [][]byte) {
	now := time.Now()
	typ := -1
	var ids []int64
	switch {
	case len(args) == 4 && eqFold(args[2], "type"):
		if typ = clientTypeByName(args[3]); typ == -1 {
			c.w.Error("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
	case len(args) > 3 && eqFold(args[2], "id"):
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.w.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
	case len(args) != 2:
		c.w.Error(errSyntax)
		return
	}
	var b []byte
	if ids != nil {
		for _, id := range ids { // in argument order, repeats included, as Redis does
			if t := c.s.clientByID(id); t != nil {
				b = c.s.clientInfo(b, t, c, now)
				b = append(b, '\n')
			}
		}
	} else {
		for _, t := range c.s.clientList() {
			if typ != -1 {
				p := t.snapshot()
				if t == c {
					p = c.state()
				}
				if p.clientType() != typ {
					continue
				}
			}
			b = c.s.clientInfo(b, t, c, now)
			b = append(b, '\n')
		}
	}
	c.w.Verbatim(string(b))
}

// killFilter is CLIENT KILL's criteria; zero values match everything.
type killFilter struct {
	addr, laddr *string
	typ         int
	id          int64
	skipMe      bool
}

func cmdClientKill(c *Client, args [][]byte) {
	f := killFilter{typ: -1, skipMe: true}
	oldForm := len(args) == 3
	if oldForm {
		a := string(args[2])
		f.addr, f.skipMe = &a, false // the old form may kill the caller
	} else {
		for i := 2; i < len(args); i += 2 {
			more := i+1 < len(args)
			opt := args[i]
			switch {
			case eqFold(opt, "id") && more:
				id, ok := parseInt(args[i+1])
				if !ok || id < 1 {
					c.w.Error("ERR client-id should be greater than 0")
					return
				}
				f.id = id
			case eqFold(opt, "type") && more:
				if f.typ = clientTypeByName(args[i+1]); f.typ == -1 {
					c.w.Error("ERR Unknown client type '" + string(args[i+1]) + "'")
					return
				}
			case eqFold(opt, "addr") && more:
				a := string(args[i+1])
				f.addr = &a
			case eqFold(opt, "laddr") && more:
				a := string(args[i+1])
				f.laddr = &a
			case eqFold(opt, "user") && more:
				if string(args[i+1]) != "default" { // the default user is the only one
					c.w.Error("ERR No such user '" + string(args[i+1]) + "'")
					return
				}
			case eqFold(opt, "skipme") && more:
				switch {
				case eqFold(args[i+1], "yes"):
					f.skipMe = true
				case eqFold(args[i+1], "no"):
					f.skipMe = false
				default:
					c.w.Error(errSyntax)
					return
				}
			default:
				c.w.Error(errSyntax)
				return
			}
		}
	}
	killed := 0
	for _, t := range c.s.clientList() {
		if f.addr != nil && t.raddr != *f.addr || f.laddr != nil && t.laddr != *f.laddr ||
			f.id != 0 && t.id != f.id || t == c && f.skipMe {
			continue
		}
		if f.typ != -1 {
			p := t.snapshot()
			if t == c {
				p = c.state()
			}
			if p.clientType() != f.typ {
				continue
			}
		}
		if t == c {
			c.closeAfterReply = true // after this reply, as Redis flags CLOSE_AFTER_REPLY
		} else {
			c.s.killClient(t)
		}
		killed++
	}
	if !oldForm {
		c.w.Int(int64(killed))
	} else if killed == 0 {
		c.w.Error("ERR No such client")
	} else {
		c.w.OK()
	}
}

// killClient closes another client at once and drops it from the client table.
func (s *Server) killClient(t *Client) {
	t.killed.Store(true)
	t.close()
	s.mu.Lock()
	delete(s.clients, t.id)
	s.mu.Unlock()
}

func cmdClientReply(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.replyMode = replyOn
		c.skipping = false // ON clears a pending SKIP before its own +OK, as Redis does
		c.w.OK()
	case eqFold(args[2], "off"):
		c.replyMode = replyOff
	case eqFold(args[2], "skip"):
		if c.replyMode != replyOff {
			c.skipThis = true
		}
	default:
		c.w.Error(errSyntax)
	}
}

func cmdClientNoEvict(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.noEvict = true
	case eqFold(args[2], "off"):
		c.noEvict = false
	default:
		c.w.Error(errSyntax)
		return
	}
	c.w.OK()
}

func cmdClientPause(c *Client, args [][]byte) {
	if len(args) > 4 {
		subcommandSyntaxError(c, args)
		return
	}
	writesOnly := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			writesOnly = true
		case eqFold(args[3], "all"):
		default:
			c.w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := parseInt(args[2])
	if !ok {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	// 7.0.15 adds the timeout to now without an overflow check: a huge one wraps into the
	// past and pauses nothing.
	var end int64
	if ms > 0 {
		end = ms + time.Now().UnixMilli()
	}
	c.s.PauseClients(PauseByClient, end, writesOnly)
	c.w.OK()
}

func cmdClientUnblock(c *Client, args [][]byte) {
	if len(args) > 4 {
		subcommandSyntaxError(c, args)
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "timeout"):
		case eqFold(args[3], "error"):
			withError = true
		default:
			c.w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := c.intArg(args[2])
	if !ok {
		return
	}
	// Only clients blocked by a blocking command can be woken; a client held by CLIENT PAUSE
	// is not (7.0.15 crashes on that case; later versions answer 0).
	if t := c.s.clientByID(id); t != nil && t.blocked.Load() {
		if wake := t.wake.Load(); wake != nil {
			(*wake)(withError)
			c.w.Int(1)
			return
		}
	}
	c.w.Int(0)
}

func cmdClientTrackingInfo(c *Client, args [][]byte) {
	c.w.Map(3)
	c.w.BulkString("flags")
	c.w.Set(1)
	c.w.BulkString("off")
	c.w.BulkString("redirect")
	c.w.Int(-1)
	c.w.BulkString("prefixes")
	c.w.Array(0)
}

var clientHelp = []string{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"HELP",
	"    Prints this help.",
}

// Client pause.

// PausePurpose says who paused clients; each purpose holds its own pause, and the most
// restrictive active one applies (Redis's pause_purpose).
type PausePurpose int

const (
	PauseByClient   PausePurpose = iota // CLIENT PAUSE
	PauseByShutdown                     // SHUTDOWN waiting for replicas
	PauseByFailover                     // manual failover / FAILOVER
	numPausePurposes
)

type pauseEvent struct {
	end        int64 // unix ms
	writesOnly bool
	active     bool
}

type pauseState struct {
	on      atomic.Bool // some purpose may be active: the dispatcher's fast path
	mu      sync.Mutex
	events  [numPausePurposes]pauseEvent
	changed chan struct{} // closed and replaced on every change, waking waiters
}

// PauseClients holds commands from normal clients until end (unix ms): writes (and commands
// that may replicate) only, or all of them. As in Redis, a later call for the same purpose
// sets the type but never shortens the end.
func (s *Server) PauseClients(p PausePurpose, end int64, writesOnly bool) {
	ps := &s.intro.pause
	ps.mu.Lock()
	ev := &ps.events[p]
	if !ev.active || ev.end < end {
		ev.end = end
	}
	ev.writesOnly, ev.active = writesOnly, true
	ps.on.Store(true)
	ps.broadcast()
	ps.mu.Unlock()
}

// UnpauseClients ends the pause of one purpose.
func (s *Server) UnpauseClients(p PausePurpose) {
	ps := &s.intro.pause
	ps.mu.Lock()
	ps.events[p] = pauseEvent{}
	ps.broadcast()
	ps.mu.Unlock()
}

// ClientsPaused reports whether a pause is in effect and whether it holds writes only.
func (s *Server) ClientsPaused() (paused, writesOnly bool) {
	ps := &s.intro.pause
	ps.mu.Lock()
	defer ps.mu.Unlock()
	all, writes, _ := ps.current(time.Now().UnixMilli())
	return all || writes, writes && !all
}

func (ps *pauseState) broadcast() {
	if ps.changed != nil {
		close(ps.changed)
	}
	ps.changed = make(chan struct{})
}

// current drops expired events and returns what is paused and until when the earliest of the
// active events lasts. Callers hold mu.
func (ps *pauseState) current(now int64) (all, writes bool, until int64) {
	any := false
	for i := range ps.events {
		ev := &ps.events[i]
		if !ev.active {
			continue
		}
		if ev.end < now {
			*ev = pauseEvent{}
			continue
		}
		any = true
		if ev.writesOnly {
			writes = true
		} else {
			all = true
		}
		if until == 0 || ev.end < until {
			until = ev.end
		}
	}
	if !any {
		ps.on.Store(false)
	}
	return all, writes, until
}

// expire runs from the cron so that a lapsed pause releases the fast path.
func (ps *pauseState) expire() {
	if !ps.on.Load() {
		return
	}
	ps.mu.Lock()
	ps.current(time.Now().UnixMilli())
	ps.mu.Unlock()
}

// pausedFor reports whether the pause holds cmd now, and when to look again.
func (ps *pauseState) pausedFor(cmd *command) (bool, int64, chan struct{}) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	all, writes, until := ps.current(time.Now().UnixMilli())
	held := all || writes && (cmd.meta.Write || cmd.meta.MayReplicate || cmd.meta.Name == "exec")
	return held, until, ps.changed
}

// waitPause holds the client while a pause applies to cmd, as blockPostponeClient does: the
// client shows as blocked and is not timed out. It flushes replies already produced first.
// It returns false if the client was closed meanwhile.
func (s *Server) waitPause(c *Client, cmd *command) bool {
	ps := &s.intro.pause
	if !ps.on.Load() {
		return true
	}
	held, until, changed := ps.pausedFor(cmd)
	if !held {
		return true
	}
	c.flush()
	c.blocked.Store(true)
	c.publish()
	defer func() {
		c.blocked.Store(false)
		c.lastInteraction.Store(time.Now().UnixMilli())
	}()
	for held {
		// Wake at the end (+1 ms: an event lasts while end >= now) or on any change.
		t := time.NewTimer(time.Until(time.UnixMilli(until + 1)))
		select {
		case <-changed:
		case <-t.C:
		case <-c.done:
			t.Stop()
			return false
		}
		t.Stop()
		held, until, changed = ps.pausedFor(cmd)
	}
	return true
}
