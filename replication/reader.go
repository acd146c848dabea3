package replication

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Limits of what a stream command may announce: a hostile or corrupt stream gets an error,
// never a huge allocation up front.
const (
	maxArgs = 1 << 20
	maxBulk = 512 << 20
)

// CommandReader reads the commands of a replication stream and counts their bytes (the
// replica's offset advances by exactly what it read).
type CommandReader struct {
	r   *bufio.Reader
	off int64 // bytes consumed
	raw []byte
	// Keep makes ReadCommand keep the raw bytes of the last command (Raw), for a replica that
	// passes its master's stream on.
	Keep bool
}

// NewCommandReader reads commands from r.
func NewCommandReader(r *bufio.Reader) *CommandReader { return &CommandReader{r: r} }

// Offset is how many bytes have been consumed.
func (c *CommandReader) Offset() int64 { return c.off }

// Raw is the bytes of the last command read (with Keep).
func (c *CommandReader) Raw() []byte { return c.raw }

// ReadCommand reads one multibulk command. A bare newline (a keepalive) is consumed and
// returned as an empty argv. The argv slices are the caller's.
func (c *CommandReader) ReadCommand() ([][]byte, error) {
	c.raw = c.raw[:0]
	line, err := c.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, nil // "\n" or "\r\n"
	}
	if line[0] != '*' {
		return nil, fmt.Errorf("replication: stream offset %d: expected a multibulk, got %q", c.off, clip(line))
	}
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n < 0 || n > maxArgs {
		return nil, fmt.Errorf("replication: stream offset %d: bad multibulk length %q", c.off, clip(line))
	}
	argv := make([][]byte, 0, min(n, 64))
	for range n {
		line, err := c.line()
		if err != nil {
			return nil, unexpected(err)
		}
		if len(line) == 0 || line[0] != '$' {
			return nil, fmt.Errorf("replication: stream offset %d: expected a bulk, got %q", c.off, clip(line))
		}
		l, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || l < 0 || l > maxBulk {
			return nil, fmt.Errorf("replication: stream offset %d: bad bulk length %q", c.off, clip(line))
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, unexpected(err)
		}
		if b[l] != '\r' || b[l+1] != '\n' {
			return nil, fmt.Errorf("replication: stream offset %d: bulk not followed by CRLF", c.off)
		}
		c.off += l + 2
		if c.Keep {
			c.raw = append(c.raw, b...)
		}
		argv = append(argv, b[:l:l])
	}
	return argv, nil
}

// line reads one line without its terminator.
func (c *CommandReader) line() ([]byte, error) {
	var line []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			if len(line) > 64<<10 {
				return nil, fmt.Errorf("replication: stream offset %d: line too long", c.off)
			}
			continue
		}
		if err != nil {
			if len(line) > 0 {
				return nil, unexpected(err)
			}
			return nil, err
		}
		break
	}
	c.off += int64(len(line))
	if c.Keep {
		c.raw = append(c.raw, line...)
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// Buffered reports whether a whole command (or a bare newline) is already buffered, so that
// the next ReadCommand returns without waiting for the network: a replica applying a run of
// commands ends the run rather than hold it open waiting for more input.
func (c *CommandReader) Buffered() bool {
	n := c.r.Buffered()
	if n == 0 {
		return false
	}
	b, _ := c.r.Peek(n)
	line, rest, ok := cutLine(b)
	if !ok {
		return false
	}
	if len(line) == 0 || line[0] != '*' {
		return true // a keepalive, or a protocol error ReadCommand reports at once
	}
	args, ok := atoi(line[1:])
	if !ok {
		return true
	}
	for range args {
		if line, rest, ok = cutLine(rest); !ok {
			return false
		}
		if len(line) == 0 || line[0] != '$' {
			return true
		}
		l, ok := atoi(line[1:])
		if !ok {
			return true
		}
		if int64(len(rest)) < l+2 {
			return false
		}
		rest = rest[l+2:]
	}
	return true
}

// cutLine splits b after its first "\n", returning the line without "\r\n".
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, b, false
	}
	line = b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, b[i+1:], true
}

// atoi parses a small non-negative decimal.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}
