package server

import (
	"strconv"
	"strings"
	"time"
)

// execute runs one request as Redis's processCommand + call do: lookup and arity, then
// authentication, then the command; then stats, slowlog and MONITOR.
func (s *Server) execute(c *Client, args [][]byte) {
	mark := len(c.w.Buf)
	suppress := c.replyMode == replyOff || c.skipThis
	c.skipThis = false

	cmd := s.lookup(c, args)
	if cmd == nil {
		s.finishReply(c, mark, suppress)
		return
	}
	if !c.authed && !cmd.meta.NoAuth {
		c.w.Error("NOAUTH Authentication required.")
		s.finishReply(c, mark, suppress)
		return
	}
	c.lastCmd = cmd.meta.Name
	start := time.Now()
	cmd.fn(c, args)
	dur := time.Since(start)
	s.stats.commandsProcessed.Add(1)
	if !cmd.meta.SkipSlowlog {
		s.slowlog.maybeAdd(s.cfg, c, args, dur)
	}
	if !cmd.meta.SkipMonitor && !cmd.meta.Admin {
		s.feedMonitors(c, args, start)
	}
	s.finishReply(c, mark, suppress)
}

// finishReply drops the reply when CLIENT REPLY OFF/SKIP says so.
func (s *Server) finishReply(c *Client, mark int, suppress bool) {
	if suppress {
		c.w.Buf = c.w.Buf[:mark]
	}
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
		b.WriteString(reprString(a))
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

// reprString quotes like Redis's sdscatrepr.
func reprString(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, ch := range b {
		switch ch {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(ch)
		case '\n':
			sb.WriteString("\\n")
		case '\r':
			sb.WriteString("\\r")
		case '\t':
			sb.WriteString("\\t")
		case '\a':
			sb.WriteString("\\a")
		case '\b':
			sb.WriteString("\\b")
		default:
			if ch >= 0x20 && ch < 0x7f {
				sb.WriteByte(ch)
			} else {
				sb.WriteString("\\x")
				const hex = "0123456789abcdef"
				sb.WriteByte(hex[ch>>4])
				sb.WriteByte(hex[ch&15])
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
