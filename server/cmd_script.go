package server

import (
	"bytes"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/script"
	"github.com/slotdb/slotdb/server/resp"
)

// Scripting (Redis 7.0's eval.c, script.c): EVAL & co. and SCRIPT. The Lua side lives in
// package script; here are the commands, the script client that runs redis.call through the
// normal handlers, the checks scriptCall makes, and the busy-script state.
//
// A script runs with the world held exclusively (atomic.go), so nothing else runs between
// its commands. Once it has run longer than busy-reply-threshold, other clients get BUSY
// (or run, for allow-busy commands such as SCRIPT KILL) instead of waiting: busyGate.

func init() {
	register("eval", cmdEval)
	register("evalsha", cmdEval)
	register("eval_ro", cmdEval)
	register("evalsha_ro", cmdEval)
	register("script|load", cmdScriptLoad)
	register("script|exists", cmdScriptExists)
	register("script|flush", cmdScriptFlush)
	register("script|kill", cmdScriptKill)
	register("script|help", cmdScriptHelp)
	register("script|debug", cmdScriptDebug)
	for _, name := range []string{"eval", "evalsha", "eval_ro", "evalsha_ro", "script|load", "script|flush",
		"fcall", "fcall_ro", "function|load", "function|delete", "function|flush", "function|restore"} {
		registerExclusive(name)
	}
}

const (
	errNoScript     = "NOSCRIPT No matching script. Please use EVAL."
	errSlowEval     = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errSlowFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy      = "NOTBUSY No scripts in execution right now."
	errUnkillable   = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)

// scripting is the server's scripting state. eval and funcs are changed only by exclusive
// commands (world held exclusively) and read under the shared hold.
type scripting struct {
	once    sync.Once
	eval    *script.Eval
	funcs   *script.Functions
	running atomic.Pointer[scriptRun]
	// timer marks the running script busy (armBusyTimer); threshold is the last
	// busy-reply-threshold it read.
	timer     atomic.Pointer[time.Timer]
	threshold atomic.Int64
	// the script executor: script_exec.go
	execOnce  sync.Once
	execQueue chan *execJob
}

// scriptRun is the script in execution, visible to other clients (SCRIPT KILL, FUNCTION
// STATS, busyGate).
type scriptRun struct {
	run    *script.Run
	eval   bool
	name   string
	args   [][]byte
	start  time.Time
	busy   chan struct{} // closed once it runs longer than busy-reply-threshold
	done   chan struct{} // closed when it ends
	dirty  atomic.Bool   // it wrote: SCRIPT KILL refuses
	isBusy atomic.Bool   // busy is closed
	client *Client
}

// scripts returns the initialized scripting state; functions saved in the store are loaded
// on first use.
func (s *Server) scripts() *scripting {
	sc := &s.scr
	sc.once.Do(func() {
		known := func(args [][]byte) bool { return s.resolve(args) != nil }
		sc.eval = script.NewEval(known)
		sc.funcs = script.NewFunctions(known, s.scriptLog)
		sc.eval.ShareRandom(sc.funcs)
		s.loadSavedFunctions()
	})
	return sc
}

// scriptLog is redis.log: Redis's levels onto the server log.
func (s *Server) scriptLog(level int, msg string) {
	l := slog.LevelInfo
	switch level {
	case script.LogDebug:
		l = slog.LevelDebug
	case script.LogVerbose:
		l = LevelVerbose
	case script.LogWarning:
		l = slog.LevelWarn
	}
	s.log.Log(nil, l, msg)
}

// busyCheckMax bounds the wait before the busy timer first looks at a run: reading the
// configuration costs more than a short script, so runs use the threshold read last, and a
// lowered threshold is seen at the latest this long after the script started.
const busyCheckMax = 100 * time.Millisecond

// armBusyTimer starts the busy timer for the script that just started (the world is held
// exclusively: one script at a time). One timer serves every run.
func (s *Server) armBusyTimer() {
	sc := &s.scr
	t := sc.timer.Load()
	if t == nil {
		sc.threshold.Store(int64(s.busyReplyThreshold()))
		t = time.AfterFunc(time.Hour, s.busyTimerFired)
		sc.timer.Store(t)
	}
	t.Reset(busyWait(time.Duration(sc.threshold.Load()), 0))
}

// busyWait is how long the timer waits, for a run that has run elapsed, before it looks again.
func busyWait(threshold, elapsed time.Duration) time.Duration {
	if threshold <= 0 {
		return busyCheckMax
	}
	return min(max(threshold-elapsed, 0), busyCheckMax)
}

// busyTimerFired checks the script in execution against busy-reply-threshold (read afresh)
// and marks it busy once it has run past it; otherwise it waits again. A firing meant for a
// run that has ended finds the next one, or none, and judges that one by its own start.
func (s *Server) busyTimerFired() {
	sc := &s.scr
	d := s.busyReplyThreshold()
	sc.threshold.Store(int64(d))
	sr := sc.running.Load()
	if sr == nil || sr.isBusy.Load() {
		return
	}
	elapsed := time.Since(sr.start)
	if d <= 0 || elapsed < d {
		sc.timer.Load().Reset(busyWait(d, elapsed))
		return
	}
	if !sr.isBusy.CompareAndSwap(false, true) {
		return
	}
	s.log.Warn("Slow script detected: still in execution after " + strconv.FormatInt(d.Milliseconds(), 10) +
		" milliseconds. You can try killing the script using the " + map[bool]string{true: "SCRIPT", false: "FUNCTION"}[sr.eval] +
		" KILL command. Script name is: " + sr.name + ".")
	close(sr.busy)
}

// busyReplyThreshold is busy-reply-threshold (alias lua-time-limit) in ms; 0 disables.
func (s *Server) busyReplyThreshold() time.Duration {
	if s.cfg.Get != nil {
		for _, kv := range s.cfg.Get([]string{"busy-reply-threshold"}) {
			if n, err := strconv.ParseInt(kv[1], 10, 64); err == nil {
				return time.Duration(n) * time.Millisecond
			}
		}
	}
	return 5000 * time.Millisecond
}

// busyGate runs before a command takes the world lock. While a script runs, the command
// waits for it to end; once the script is busy (past busy-reply-threshold), a command without
// the allow-busy flag gets BUSY and one with it runs at once, without the world lock. A
// shared command waits with TryRLock, so that a script turning busy reaches it too (blocked
// in RLock it would wait for a script that may never end).
//
// skip reports that execute must not call enterWorld: the command runs without the lock
// (allow-busy beside a busy script) or busyGate took the shared hold itself. ok is false
// when the BUSY reply was written.
func (s *Server) busyGate(c *Client, cmd *command) (skip, ok bool) {
	if c.inAtomic() {
		return false, true
	}
	backoff := 10 * time.Microsecond
	for {
		r := s.scr.running.Load()
		if r != nil && r.client != c {
			select {
			case <-r.busy:
				select {
				case <-r.done:
					continue
				default:
				}
				if cmd.meta.AllowBusy {
					return true, true
				}
				if r.eval {
					c.w.Error(errSlowEval)
				} else {
					c.w.Error(errSlowFunction)
				}
				return false, false
			default:
			}
		}
		if exclusive[cmd.meta.Name] || c.tx.active && !runsInMulti(cmd) {
			// Lock has writer preference: enterWorld waits in it. A command queued for
			// EXEC takes no lock at all.
			return false, true
		}
		if s.world.TryRLock() {
			c.worldShared = true
			return true, true
		}
		var busy, done <-chan struct{}
		if r != nil {
			busy, done = r.busy, r.done
		}
		select {
		case <-busy:
		case <-done:
		case <-c.done:
			return false, true
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Millisecond)
		}
	}
}

// numKeys parses EVAL/FCALL's numkeys against the argument count.
func numKeys(c *Client, arg []byte, nargs int, fcall bool) (int, bool) {
	n, ok := parseInt(arg)
	if !ok {
		if fcall {
			c.w.Error("ERR Bad number of keys provided")
		} else {
			c.w.Error(errNotInt)
		}
		return 0, false
	}
	if n > int64(nargs) {
		c.w.Error("ERR Number of keys can't be greater than number of args")
		return 0, false
	}
	if n < 0 {
		c.w.Error("ERR Number of keys can't be negative")
		return 0, false
	}
	return int(n), true
}

func cmdEval(c *Client, args [][]byte) {
	name := args[0]
	evalsha := len(name) >= 7 && eqFold(name[:7], "evalsha")
	ro := len(name) > 3 && eqFold(name[len(name)-3:], "_ro")
	if evalsha && len(args[1]) != 40 {
		c.w.Error(errNoScript)
		return
	}
	nk, ok := numKeys(c, args[2], len(args)-3, false)
	if !ok {
		return
	}
	sc := c.s.scripts()
	var sp *script.Script
	if evalsha {
		if sp = sc.eval.Get(string(args[1])); sp == nil {
			c.w.Error(errNoScript)
			return
		}
	} else {
		var err error
		if sp, err = sc.eval.Load(args[1]); err != nil {
			c.w.Error(err.Error())
			return
		}
	}
	keys, argv := args[3:3+nk], args[3+nk:]
	if !c.s.scriptAllowed(c, sp.Flags, ro) {
		return
	}
	c.s.runScript(c, true, sp.SHA, args, keys, sp.Flags, ro, func(run *script.Run) {
		sc.eval.Run(sp, run, keys, argv, &c.w)
	})
}

// scriptAllowed is scriptPrepareForRun's refusals for scripts with flags (a shebang or a
// function): no-cluster in cluster mode, a write script through an _RO command.
func (s *Server) scriptAllowed(c *Client, flags script.Flags, ro bool) bool {
	// On a replica Redis judges EVAL by its script's flags already in processCommand
	// (evalGetCommandFlags): a write script is a write command, one without allow-stale
	// is not served stale, with processCommand's error texts.
	if r := s.repl; r != nil && r.isReplica() && !c.master {
		if flags&(script.FlagCompat|script.FlagNoWrites) == 0 && r.readOnly.Load() {
			c.w.Error("READONLY You can't write against a read only replica.")
			return false
		}
		if (flags&script.FlagCompat != 0 || flags&script.FlagAllowStale == 0) && !r.serveStale.Load() && !r.linkUp() {
			c.w.Error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
			return false
		}
	}
	if flags&script.FlagCompat != 0 {
		return true
	}
	if flags&script.FlagNoCluster != 0 && s.cluster != nil {
		c.w.Error("ERR Can not run script on cluster, 'no-cluster' flag is set.")
		return false
	}
	if flags&script.FlagNoWrites == 0 && ro {
		c.w.Error("ERR Can not execute a script with write flag using *_ro command.")
		return false
	}
	return true
}

// runScript runs body as the script in execution: it builds the script client and the
// redis.call path, publishes the run for SCRIPT KILL and busyGate, and arms the busy timer.
func (s *Server) runScript(c *Client, eval bool, name string, args, keys [][]byte, flags script.Flags, ro bool, body func(run *script.Run)) {
	readOnly := ro || (flags&script.FlagCompat == 0 && flags&script.FlagNoWrites != 0)
	// Scripts without a shebang may touch any slot this node serves, as before 7.0.
	crossSlot := flags&(script.FlagCompat|script.FlagAllowCrossSlot) != 0
	slot := -1
	if s.cluster != nil && len(keys) > 0 {
		slot = int(keyslot.Of(keys[0]))
	}
	sr := &scriptRun{eval: eval, name: name, args: args, start: time.Now(),
		busy: make(chan struct{}), done: make(chan struct{}), client: c}
	sclient := &Client{s: s, db: c.db, authed: true, lastCmd: "NULL", raddr: "lua", laddr: "lua",
		created: time.Now(), fd: -1, done: make(chan struct{}), readonly: c.readonly, askingNow: c.askingNow}
	sclient.atomicDepth = 1 // blocking commands do not block inside a script
	run := &script.Run{Log: s.scriptLog}
	if !eval {
		run.Name = name
	}
	run.Call = func(argv [][]byte, proto int) ([]byte, string) {
		cmd := s.resolve(argv)
		if cmd == nil || cmd.fn == nil && cmd.subs == nil {
			return nil, "Unknown Redis command called from script"
		}
		if !cmd.meta.CheckArity(len(argv)) {
			return nil, "Wrong number of args calling Redis command from script"
		}
		if cmd.meta.NoScript {
			return nil, "This Redis command is not allowed from script"
		}
		if readOnly && (cmd.meta.Write || cmd.meta.MayReplicate) {
			return nil, "Write commands are not allowed from read-only scripts."
		}
		if cmd.meta.Write && !c.master && s.repl != nil && s.repl.isReplica() && s.repl.readOnly.Load() {
			return nil, "-READONLY You can't write against a read only replica."
		}
		if cmd.meta.Write {
			sr.dirty.Store(true)
		}
		if s.cluster != nil {
			if msg := s.scriptRoute(sclient, cmd, argv, &slot, crossSlot); msg != "" {
				return nil, msg
			}
		}
		sclient.w = resp.Writer{Proto: proto, Buf: sclient.w.Buf[:0]}
		s.callLocked(sclient, cmd, argv)
		return append([]byte(nil), sclient.w.Buf...), ""
	}
	sr.run = run
	s.scr.running.Store(sr)
	s.armBusyTimer()
	defer func() {
		s.scr.timer.Load().Stop()
		s.scr.running.Store(nil)
		close(sr.done)
		if run.Killed() {
			s.log.Warn("Lua script killed by user with SCRIPT KILL.")
		}
	}()
	body(run)
}

// scriptRoute is scriptVerifyClusterState: an inner command must be served here, and its
// keys must stay in the script's slot unless allow-cross-slot-keys.
func (s *Server) scriptRoute(sc *Client, cmd *command, argv [][]byte, slot *int, crossSlot bool) string {
	saved := sc.w
	sc.w = resp.Writer{Proto: 2}
	ok := s.routeCommand(sc, cmd, argv)
	out := sc.w.Buf
	sc.w = saved
	if !ok {
		// Only the cluster-down states have their own text; MOVED, ASK, CROSSSLOT and an
		// unbound slot are all "non local".
		switch {
		case bytes.Equal(out, []byte("-"+errDownRO+"\r\n")):
			return "Script attempted to execute a write command while the cluster is down and readonly"
		case bytes.Equal(out, []byte("-"+errDownState+"\r\n")):
			return "Script attempted to execute a command while the cluster is down"
		}
		return "Script attempted to access a non local key in a cluster node"
	}
	if crossSlot || !cmd.meta.HasKeys() {
		return ""
	}
	keys, _ := cmd.meta.Keys(argv)
	if len(keys) == 0 {
		return ""
	}
	ks := int(keyslot.Of(argv[keys[0]]))
	if *slot == -1 {
		*slot = ks
	} else if *slot != ks {
		return "Script attempted to access keys that do not hash to the same slot"
	}
	return ""
}

// scriptCounts reports the script cache and the function libraries for INFO memory:
// cached scripts and their source bytes, functions and libraries.
func (s *Server) scriptCounts() (scripts, scriptBytes, functions, libraries int) {
	sc := s.scripts()
	libraries, functions = sc.funcs.Counts()
	return sc.eval.Len(), sc.eval.Bytes(), functions, libraries
}

func cmdScriptLoad(c *Client, args [][]byte) {
	sp, err := c.s.scripts().eval.Load(args[2])
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.BulkString(sp.SHA)
}

func cmdScriptExists(c *Client, args [][]byte) {
	sc := c.s.scripts()
	c.w.Array(len(args) - 2)
	for _, sha := range args[2:] {
		if len(sha) == 40 && sc.eval.Get(string(sha)) != nil {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	}
}

func cmdScriptFlush(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async")) {
		c.w.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	c.s.scripts().eval.Flush()
	c.w.OK()
}

func cmdScriptKill(c *Client, args [][]byte) { c.s.killScript(c, true) }

// killScript is scriptKill: SCRIPT KILL stops an EVAL script, FUNCTION KILL a function,
// neither one that wrote.
func (s *Server) killScript(c *Client, eval bool) {
	r := s.scr.running.Load()
	switch {
	case r == nil:
		c.w.Error(errNotBusy)
	case r.dirty.Load():
		c.w.Error(errUnkillable)
	case eval && !r.eval:
		c.w.Error(errSlowFunction)
	case !eval && r.eval:
		c.w.Error(errSlowEval)
	default:
		r.run.Kill()
		c.w.OK()
	}
}

// cmdScriptDebug accepts NO; the Lua debugger (YES/SYNC) is not implemented.
func cmdScriptDebug(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "no"):
		c.w.OK()
	case eqFold(args[2], "yes"), eqFold(args[2], "sync"):
		c.w.Error("ERR SCRIPT DEBUG is not supported by slotdb")
	default:
		c.w.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func cmdScriptHelp(c *Client, args [][]byte) {
	lines := []string{
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	}
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Simple(l)
	}
}
