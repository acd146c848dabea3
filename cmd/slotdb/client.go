package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// A small pipelining RESP2 client for the tools, and the cluster's slot map.

// respError is an error reply.
type respError string

func (e respError) Error() string { return string(e) }

type conn struct {
	addr string
	nc   net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{addr: addr, nc: nc, r: bufio.NewReaderSize(nc, 1<<20), w: bufio.NewWriterSize(nc, 1<<20)}, nil
}

func (c *conn) Close() error { return c.nc.Close() }

// send queues a command (flushed by Flush or a read).
func (c *conn) send(args ...[]byte) error {
	c.w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		c.w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n")
		c.w.Write(a)
		c.w.WriteString("\r\n")
	}
	return nil
}

// read returns the next reply: string, int64, nil, []any or respError.
func (c *conn) read() (any, error) {
	if c.w.Buffered() > 0 {
		if err := c.w.Flush(); err != nil {
			return nil, err
		}
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 {
		return nil, fmt.Errorf("%s: bad reply line %q", c.addr, line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 1<<30 {
			return nil, fmt.Errorf("%s: bad bulk length %q", c.addr, body)
		}
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 1<<24 {
			return nil, fmt.Errorf("%s: bad array length %q", c.addr, body)
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unexpected reply %q", c.addr, line)
}

// do sends one command and returns its reply; an error reply is returned as the error.
func (c *conn) do(args ...string) (any, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.send(bs...)
	v, err := c.read()
	if err != nil {
		return nil, err
	}
	if e, ok := v.(respError); ok {
		return nil, e
	}
	return v, nil
}

// topology is a target: one standalone node, or a cluster's masters and slot owners.
type topology struct {
	cluster bool
	masters []string           // addresses
	owner   [keyslot.Slots]int // slot -> index in masters (cluster)
}

// discover asks addr for CLUSTER SLOTS; a node without cluster support is standalone.
func discover(addr string) (*topology, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	v, err := c.do("CLUSTER", "SLOTS")
	var re respError
	if errors.As(err, &re) && strings.Contains(string(re), "cluster support disabled") {
		return &topology{masters: []string{addr}}, nil
	}
	if err != nil {
		return nil, err
	}
	t := &topology{cluster: true}
	idx := map[string]int{}
	ranges, _ := v.([]any)
	if len(ranges) == 0 {
		return nil, fmt.Errorf("%s: CLUSTER SLOTS lists no slots", addr)
	}
	for _, r := range ranges {
		a, ok := r.([]any)
		if !ok || len(a) < 3 {
			return nil, fmt.Errorf("%s: malformed CLUSTER SLOTS reply", addr)
		}
		lo, _ := a[0].(int64)
		hi, _ := a[1].(int64)
		m, _ := a[2].([]any)
		if len(m) < 2 || lo < 0 || hi >= keyslot.Slots || lo > hi {
			return nil, fmt.Errorf("%s: malformed CLUSTER SLOTS range", addr)
		}
		host, _ := m[0].(string)
		port, _ := m[1].(int64)
		if host == "" || host == "?" {
			host, _, _ = net.SplitHostPort(addr)
		}
		maddr := net.JoinHostPort(host, strconv.FormatInt(port, 10))
		i, ok := idx[maddr]
		if !ok {
			i = len(t.masters)
			idx[maddr] = i
			t.masters = append(t.masters, maddr)
		}
		for s := lo; s <= hi; s++ {
			t.owner[s] = i
		}
	}
	return t, nil
}

// redirect parses "MOVED 3999 127.0.0.1:6381" / "ASK ...".
func redirect(e respError) (kind string, slot int, addr string, ok bool) {
	f := strings.Fields(string(e))
	if len(f) != 3 || (f[0] != "MOVED" && f[0] != "ASK") {
		return "", 0, "", false
	}
	s, err := strconv.Atoi(f[1])
	if err != nil {
		return "", 0, "", false
	}
	return f[0], s, f[2], true
}
