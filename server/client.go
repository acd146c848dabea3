package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	closeAfterReply bool

	lastInteraction atomic.Int64 // unix ms
	blocked         atomic.Bool
	closed          atomic.Bool
	killed          atomic.Bool

	wmu sync.Mutex // serialises writes to conn between the client's goroutine and others
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
		rd:      resp.NewReader(conn),
		w:       resp.Writer{Proto: 2},
		created: time.Now(),
		laddr:   conn.LocalAddr().String(),
		raddr:   conn.RemoteAddr().String(),
		lastCmd: "NULL",
	}
	c.authed = s.cfg.RequirePass() == ""
	c.lastInteraction.Store(time.Now().UnixMilli())

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
		s.execute(c, args)
		if c.closeAfterReply || c.closed.Load() {
			c.flush()
			return
		}
		if c.rd.Buffered() == 0 {
			if err := c.flush(); err != nil {
				return
			}
		}
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
	if len(c.w.Buf) == 0 {
		return nil
	}
	c.wmu.Lock()
	n, err := c.conn.Write(c.w.Buf)
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
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
	_, err := c.conn.Write(b)
	c.conn.SetWriteDeadline(time.Time{})
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
}

func (c *Client) close() {
	if !c.closed.Swap(true) {
		c.conn.Close()
	}
}

func (c *Client) subscriptions() int { return 0 }

func (c *Client) describe() string {
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s", c.id, c.raddr, c.laddr, c.name)
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
