package server

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// Reply modes of CLIENT REPLY.
const (
	replyOn = iota
	replyOff
	replySkip // skip the next reply only
)

// Client is one connection.
type Client struct {
	s    *Server
	id   int64
	conn net.Conn
	rd   *resp.Reader
	w    resp.Writer

	db        int
	authed    bool
	name      string
	libName   string
	libVer    string
	created   time.Time
	lastCmd   string
	laddr     string
	raddr     string
	isMonitor bool

	replyMode       int
	skipThis        bool // CLIENT REPLY SKIP applies to the next command
	skipping        bool // this command's reply is dropped (CLIENT REPLY SKIP before it)
	closeAfterReply bool
	noEvict         bool // CLIENT NO-EVICT
	argvLen         int  // bytes of the current command's arguments (CLIENT LIST argv-mem)
	replyPeak       int  // largest pending reply flushed (CLIENT LIST rbp)
	fd              int  // socket descriptor, -1 if unknown (CLIENT LIST fd)
	readonly        bool // READONLY: a replica serves its master's slots for reads (route.go)
	asking          bool // ASKING was the last command: set by ASKING, moved to askingNow
	askingNow       bool // this command runs with the ASKING flag (route.go)

	lastInteraction atomic.Int64 // unix ms
	blocked         atomic.Bool
	closed          atomic.Bool
	killed          atomic.Bool

	wmu sync.Mutex // serialises writes to conn between the client's goroutine and others

	done chan struct{} // closed by close: wakes the client if it waits on CLIENT PAUSE
	// wake, set by a blocking command while the client is blocked, ends the wait as CLIENT
	// UNBLOCK asks (with an error reply or as a timeout).
	wake atomic.Pointer[func(withError bool)]

	pubMu sync.Mutex
	pub   clientPub // the fields other goroutines read (CLIENT LIST, KILL, INFO), see publish

	tx             multiState     // MULTI/EXEC and WATCH: cmd_multi.go
	subs           *subscriptions // channels and patterns, nil before the first: pubsub.go
	out            asyncOut       // output shared with publishers: pubsub.go
	worldShared    bool           // holds Server.world shared: atomic.go
	worldExclusive bool           // holds Server.world exclusively
	atomicDepth    int            // inside EXEC or a script
	argv           [][]byte       // the command running: its default propagated form (propagate.go)
	master         bool           // the master client of a replica (repl_replica.go)
	replica        *replicaConn   // set when PSYNC made this connection a replica (repl_master.go)
	replHello      replicaHello   // what REPLCONF announced before PSYNC

	// Pipelined SETs running as one engine group (pipeline.go); the slices are reused.
	group       *engine.Group
	run         [][][]byte
	groupKeys   [][]byte
	groupStarts []time.Time

	// The master client's run of stream commands applied as one commit (repl_apply.go).
	applyRun *engine.ApplyRun
}

func (s *Server) serveConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if ka := s.cfg.TCPKeepalive(); ka > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
		}
	}
	c := &Client{
		s:       s,
		id:      s.nextID.Add(1),
		conn:    conn,
		w:       resp.Writer{Proto: 2},
		created: time.Now(),
		laddr:   conn.LocalAddr().String(),
		raddr:   conn.RemoteAddr().String(),
		lastCmd: "NULL",
		fd:      connFD(conn),
		done:    make(chan struct{}),
	}
	c.rd = resp.NewReader(countingReader{conn, s, c})
	c.authed = s.cfg.RequirePass() == ""
	c.lastInteraction.Store(time.Now().UnixMilli())
	c.publish()

	s.mu.Lock()
	if len(s.clients) >= s.cfg.MaxClients() {
		s.mu.Unlock()
		s.stats.rejectedConns.Add(1)
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	if s.deniedByProtectedMode(conn) {
		s.mu.Unlock()
		s.stats.rejectedConns.Add(1)
		conn.Write([]byte(protectedModeError))
		conn.Close()
		return
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	defer s.removeClient(c)
	c.loop()
}

func (s *Server) removeClient(c *Client) {
	c.close()
	s.forgetClient(c) // WATCHed keys and subscriptions: cmd_multi.go, pubsub.go
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	if c.isMonitor {
		s.removeMonitor(c)
	}
}

func (c *Client) loop() {
	s := c.s
	for {
		lim := resp.Limits{
			MaxBulk:         s.cfg.ProtoMaxBulk(),
			MaxQuery:        s.cfg.QueryBufLimit(),
			Unauthenticated: !c.authed,
		}
		args, err := c.rd.ReadCommand(lim)
		if err != nil {
			c.readError(err)
			return
		}
		c.lastInteraction.Store(time.Now().UnixMilli())
		if isPlainSet(args) && c.rd.Complete() {
			if !c.runPipeline(args, lim) { // SETs buffered behind it: pipeline.go
				return
			}
		} else {
			s.execute(c, args)
		}
		if c.closeAfterReply || c.closed.Load() {
			c.flush()
			return
		}
		// Replies are flushed when the reader needs more bytes from the socket (countingReader),
		// so a pipeline gets one write, and nothing waits behind a partial request.
	}
}

func (c *Client) readError(err error) {
	var pe *resp.ProtocolError
	switch {
	case errors.As(err, &pe):
		c.s.stats.protoErrors.Add(1)
		c.s.log.Log(nil, LevelVerbose, "Protocol error ("+pe.Msg+") from client: "+c.describe())
		c.w.Error("ERR " + pe.Error())
		c.flush()
	case errors.Is(err, resp.ErrQueryBufferLimit):
		c.s.log.Warn("Closing client that reached max query buffer length: " + c.describe())
		c.flush()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		c.flush()
	default:
		c.flush()
	}
}

// flush writes pending replies to the socket.
func (c *Client) flush() error {
	if c.out.shared.Load() {
		c.replyPeak = max(c.replyPeak, len(c.w.Buf))
		return c.flushShared() // publishers write to this client too: pubsub.go
	}
	if len(c.w.Buf) == 0 {
		return nil
	}
	c.replyPeak = max(c.replyPeak, len(c.w.Buf))
	c.wmu.Lock()
	n, err := c.conn.Write(c.w.Buf)
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
	c.s.intro.writes.Add(1)
	if cap(c.w.Buf) > 64<<10 {
		c.w.Buf = nil // do not pin a burst's buffer for the life of the connection
	} else {
		c.w.Buf = c.w.Buf[:0]
	}
	return err
}

// writeAsync sends an out-of-band message (MONITOR feed) from another goroutine.
func (c *Client) writeAsync(b []byte) {
	if c.closed.Load() {
		return
	}
	c.wmu.Lock()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	n, err := c.conn.Write(b)
	c.conn.SetWriteDeadline(time.Time{})
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
	c.s.intro.writes.Add(1)
	if err != nil {
		c.close()
	}
}

func (c *Client) close() {
	if !c.closed.Swap(true) {
		c.conn.Close()
		if c.done != nil {
			close(c.done)
		}
	}
}

// subCounts returns the client's channel, pattern and shard-channel subscriptions.
// Another goroutine may change them (pubsub_slots.go): they are read under ps.mu.
func (c *Client) subCounts() (sub, psub, ssub int) {
	if c.subs == nil { // set only by the client's own goroutine
		return 0, 0, 0
	}
	c.s.ps.mu.Lock()
	defer c.s.ps.mu.Unlock()
	return c.subs.counts()
}

func (c *Client) subscriptions() int {
	sub, psub, ssub := c.subCounts()
	return sub + psub + ssub
}

// multiQueued returns the number of commands queued after MULTI, -1 outside a transaction.
func (c *Client) multiQueued() int {
	if !c.tx.active {
		return -1
	}
	return len(c.tx.queue)
}

// clientPub is the state of a client that other goroutines may read. The client's own
// goroutine copies it from its live fields (publish) after each command and when it blocks.
type clientPub struct {
	db, proto        int
	name, lastCmd    string
	monitor, noEvict bool
	closeAfterReply  bool
	multi            int
	sub, psub, ssub  int
	qbuf, argvLen    int
	obl, rbs, rbp    int
	replica          bool // PSYNC made the connection a replica (repl_master.go)
}

// state reads the live fields; only the client's own goroutine may call it.
func (c *Client) state() clientPub {
	p := clientPub{
		db: c.db, proto: c.w.Proto, name: c.name, lastCmd: c.lastCmd,
		monitor: c.isMonitor, noEvict: c.noEvict, closeAfterReply: c.closeAfterReply,
		multi: c.multiQueued(), argvLen: c.argvLen, obl: len(c.w.Buf),
		rbs: cap(c.w.Buf), rbp: c.replyPeak, replica: c.replica != nil,
	}
	if c.rd != nil {
		p.qbuf = c.rd.Buffered()
	}
	p.sub, p.psub, p.ssub = c.subCounts()
	return p
}

// publish makes the live state visible to other goroutines. Between commands a client holds
// no arguments and no pending output, as in Redis.
func (c *Client) publish() {
	p := c.state()
	if !c.blocked.Load() {
		p.argvLen = 0
	}
	p.obl = 0
	c.pubMu.Lock()
	c.pub = p
	c.pubMu.Unlock()
}

// snapshot returns the last published state; any goroutine may call it.
func (c *Client) snapshot() clientPub {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	return c.pub
}

// totMem approximates Redis's tot-mem: query buffer, reply buffer, arguments.
func (p clientPub) totMem() int { return 16<<10 + p.rbs + p.argvLen + 1024 }

// idleExempt reports whether the timeout directive spares the client: blocked, MONITOR and
// subscribed clients are never closed for idleness.
func (c *Client) idleExempt() bool {
	if c.blocked.Load() {
		return true
	}
	p := c.snapshot()
	return p.monitor || p.sub+p.psub+p.ssub > 0
}

func (c *Client) describe() string {
	return string(c.s.clientInfo(nil, c, c, time.Now()))
}

// countingReader counts the bytes and reads of a connection for INFO stats, and flushes the
// client's pending replies before it blocks on the socket.
type countingReader struct {
	r io.Reader
	s *Server
	c *Client
}

func (r countingReader) Read(p []byte) (int, error) {
	if err := r.c.flush(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	r.s.stats.netInput.Add(int64(n))
	r.s.intro.reads.Add(1)
	return n, err
}

// connFD returns the socket's descriptor for CLIENT LIST, -1 when there is none.
func connFD(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

const protectedModeError = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

func (s *Server) deniedByProtectedMode(conn net.Conn) bool {
	if !s.cfg.ProtectedMode() || s.cfg.RequirePass() != "" {
		return false
	}
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && !ip.IsLoopback() && !strings.HasPrefix(conn.RemoteAddr().Network(), "unix")
}
