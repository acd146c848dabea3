package proctest

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"
)

// DefaultTimeout bounds each Do, Send and ReadReply unless SetTimeout says otherwise, so a
// server that never answers fails the test instead of hanging it.
const DefaultTimeout = 10 * time.Second

// Conn is a minimal RESP client that returns replies as raw bytes.
type Conn struct {
	nc      net.Conn
	br      *bufio.Reader
	timeout time.Duration
}

// Dial connects to addr (host:port).
func Dial(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10), timeout: DefaultTimeout}, nil
}

// MustDial connects to addr, fails the test on error and closes the connection at cleanup.
func MustDial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := Dial(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// SetTimeout sets the deadline applied to each later operation; 0 means none.
func (c *Conn) SetTimeout(d time.Duration) { c.timeout = d }

// SetDeadline sets an absolute deadline for reads and writes (see net.Conn). It holds until the
// next operation, which replaces it when a timeout is set.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

func (c *Conn) arm() {
	if c.timeout > 0 {
		c.nc.SetDeadline(time.Now().Add(c.timeout))
	}
}

// Do sends one command as a RESP array of bulk strings and returns the raw bytes of exactly one
// complete reply. Arguments are binary safe.
func (c *Conn) Do(args ...string) ([]byte, error) {
	if err := c.Send(args...); err != nil {
		return nil, err
	}
	return c.ReadReply()
}

// DoReply is Do with the reply parsed.
func (c *Conn) DoReply(args ...string) (*Reply, error) {
	raw, err := c.Do(args...)
	if err != nil {
		return nil, err
	}
	return ParseReply(raw)
}

// Send writes one command without reading its reply (pipelining, CLIENT REPLY OFF, MONITOR).
func (c *Conn) Send(args ...string) error {
	return c.SendRaw(EncodeCommand(args...))
}

// SendRaw writes bytes as they are: inline commands, malformed requests.
func (c *Conn) SendRaw(b []byte) error {
	c.arm()
	_, err := c.nc.Write(b)
	return err
}

// ReadReply reads the raw bytes of the next complete reply: a pending reply after Send, a push
// message, a MONITOR line.
func (c *Conn) ReadReply() ([]byte, error) {
	c.arm()
	return ReadRaw(c.br)
}

// EncodeCommand encodes args as a RESP array of bulk strings.
func EncodeCommand(args ...string) []byte {
	n := 16
	for _, a := range args {
		n += len(a) + 16
	}
	b := make([]byte, 0, n)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}
