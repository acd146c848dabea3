// Package resp reads client requests and writes replies in RESP2 and RESP3, with the limits and
// protocol error texts of Redis 7.0 (networking.c processInlineBuffer/processMultibulkBuffer).
package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// inlineMax is Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or count line.
const inlineMax = 64 * 1024

// ProtocolError is a malformed request. Redis replies "-ERR " + Msg and closes the connection.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// ErrQueryBufferLimit means a request outgrew client-query-buffer-limit. Redis closes such a
// client without a reply.
var ErrQueryBufferLimit = errors.New("client reached max query buffer length")

// Limits bounds what one request may hold.
type Limits struct {
	MaxBulk  int64 // proto-max-bulk-len
	MaxQuery int64 // client-query-buffer-limit
	// Unauthenticated clients may only send small requests, as in Redis.
	Unauthenticated bool
}

// Reader parses requests from a connection.
type Reader struct {
	br *bufio.Reader
}

// NewReader returns a Reader over r with a 16 KiB buffer.
func NewReader(r io.Reader) *Reader { return &Reader{br: bufio.NewReaderSize(r, 16*1024)} }

// Buffered reports how many bytes are waiting, so the caller can flush replies only when the
// pipeline is drained.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadCommand reads the next request. Empty requests (blank inline lines, "*0") are skipped.
// The returned arguments are freshly allocated and may be retained.
func (r *Reader) ReadCommand(lim Limits) ([][]byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		var args [][]byte
		if b[0] == '*' {
			args, err = r.readMultibulk(lim)
		} else {
			args, err = r.readInline()
		}
		if err != nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

// readLine returns one line without its "\n". Redis finds line ends with strchr on the query
// buffer, so a terminator (term: '\r' for multibulk lines, '\n' inline) that comes after a NUL
// byte is never seen: such a client is read until the 64 KiB limit and gets tooBig, as there.
func (r *Reader) readLine(tooBig string, term byte) ([]byte, error) {
	var buf []byte
	for {
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return nil, err
			}
		}
		avail, _ := r.br.Peek(r.br.Buffered())
		if i := bytes.IndexByte(avail, '\n'); i >= 0 {
			buf = append(buf, avail[:i+1]...)
			r.br.Discard(i + 1)
			if !hiddenByNUL(buf, term) {
				return buf[:len(buf)-1], nil
			}
		} else {
			buf = append(buf, avail...)
			r.br.Discard(len(avail))
		}
		if len(buf) > inlineMax {
			return nil, &ProtocolError{tooBig}
		}
	}
}

func hiddenByNUL(line []byte, term byte) bool {
	nul := bytes.IndexByte(line, 0)
	if nul < 0 {
		return false
	}
	t := bytes.IndexByte(line, term)
	return t < 0 || nul < t
}

func (r *Reader) readInline() ([][]byte, error) {
	line, err := r.readLine("too big inline request", '\n')
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	args, ok := SplitArgs(line)
	if !ok {
		return nil, &ProtocolError{"unbalanced quotes in request"}
	}
	return args, nil
}

func (r *Reader) readCount(prefix byte, tooBig string) (int64, []byte, error) {
	line, err := r.readLine(tooBig, '\r')
	if err != nil {
		return 0, nil, err
	}
	if len(line) == 0 || line[len(line)-1] != '\r' {
		// Redis requires "\r\n" here; a bare "\n" leaves the count unparsable.
		return 0, line, errNoCR
	}
	line = line[:len(line)-1]
	n, ok := parseInt(line[1:])
	if line[0] != prefix {
		ok = false
	}
	return n, line, boolErr(ok)
}

var (
	errNoCR  = errors.New("no CR")
	errParse = errors.New("parse")
)

func boolErr(ok bool) error {
	if ok {
		return nil
	}
	return errParse
}

func (r *Reader) readMultibulk(lim Limits) ([][]byte, error) {
	n, _, err := r.readCount('*', "too big mbulk count string")
	if err == errNoCR || err == errParse {
		return nil, &ProtocolError{"invalid multibulk length"}
	} else if err != nil {
		return nil, err
	}
	if n > 1<<31-1 {
		return nil, &ProtocolError{"invalid multibulk length"}
	}
	if n > 10 && lim.Unauthenticated {
		return nil, &ProtocolError{"unauthenticated multibulk length"}
	}
	if n <= 0 {
		return nil, nil
	}
	// Preallocate modestly: the count is the client's claim, not yet backed by bytes.
	args := make([][]byte, 0, min(n, 1024))
	var total int64
	for i := int64(0); i < n; i++ {
		line, err := r.readLine("too big bulk count string", '\r')
		if err != nil {
			return nil, err
		}
		if len(line) == 0 || line[0] != '$' {
			c := byte('\n')
			if len(line) > 0 {
				c = line[0]
			}
			return nil, &ProtocolError{"expected '$', got '" + string([]byte{c}) + "'"}
		}
		l, ok := parseInt(bytes.TrimSuffix(line[1:], []byte{'\r'}))
		if !ok || l < 0 || (lim.MaxBulk > 0 && l > lim.MaxBulk) {
			return nil, &ProtocolError{"invalid bulk length"}
		}
		if l > 16384 && lim.Unauthenticated {
			return nil, &ProtocolError{"unauthenticated bulk length"}
		}
		// Count what Redis's query buffer would hold: headers and payload.
		total += int64(len(line)) + 1 + l + 2
		if lim.MaxQuery > 0 && total > lim.MaxQuery {
			return nil, ErrQueryBufferLimit
		}
		arg, err := r.readBulk(l)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

// readBulk reads l bytes and the trailing CRLF. Large claims are read in chunks so a client
// cannot make us allocate memory it never sends.
func (r *Reader) readBulk(l int64) ([]byte, error) {
	const chunk = 1 << 20
	var buf []byte
	if l <= chunk {
		buf = make([]byte, l)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return nil, unexpected(err)
		}
	} else {
		buf = make([]byte, 0, chunk)
		for int64(len(buf)) < l {
			step := min(l-int64(len(buf)), int64(cap(buf)-len(buf)))
			if step == 0 {
				buf = append(buf[:cap(buf)], 0)[:len(buf)]
				continue
			}
			n, err := io.ReadFull(r.br, buf[len(buf):len(buf)+int(step)])
			buf = buf[:len(buf)+n]
			if err != nil {
				return nil, unexpected(err)
			}
		}
	}
	// Redis skips the two bytes after the payload without checking them.
	if _, err := r.br.Discard(2); err != nil {
		return nil, unexpected(err)
	}
	return buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseInt is Redis's string2ll: optional '-', no '+', no leading zeros, no spaces.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}
