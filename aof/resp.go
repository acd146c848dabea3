package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// errShort marks end of file inside a command (Redis's "short read").
var errShort = errors.New("short read")

// formatError is a RESP syntax error at an offset; the Reader turns it into
// an *Error with the file name.
type formatError struct {
	off int64
	msg string
}

func (e *formatError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

// countReader counts the bytes pulled from the underlying reader so that
// offsets survive the RDB hook reading through the same bufio.Reader.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type respReader struct {
	cr *countReader
	br *bufio.Reader
}

func newRespReader(r io.Reader) *respReader {
	cr := &countReader{r: r}
	return &respReader{cr: cr, br: bufio.NewReaderSize(cr, 64<<10)}
}

// offset is the position of the next unread byte.
func (p *respReader) offset() int64 { return p.cr.n - int64(p.br.Buffered()) }

const (
	maxHeaderLine = 32 // "*<int64>\r\n" fits easily; longer is garbage
	maxArgc       = math.MaxInt32
	argvPrealloc  = 64       // never trust argc for allocation
	bulkChunk     = 64 << 10 // bulk strings grow as their bytes arrive
)

// readCommand parses one RESP command, skipping "#" annotation lines before
// it. It returns io.EOF at a clean command boundary, errShort when the file
// ends inside the command, a *formatError for bad syntax, or an I/O error.
func (p *respReader) readCommand() (argv [][]byte, start int64, err error) {
	for {
		start = p.offset()
		c, err := p.br.ReadByte()
		if err != nil {
			return nil, start, err // io.EOF here is a clean end
		}
		if c == '#' {
			// Annotation: skip to end of line. Like Redis, an annotation cut by
			// end of file is not a short read.
			if err := p.skipLine(); err != nil {
				return nil, start, err
			}
			continue
		}
		if c != '*' {
			return nil, start, &formatError{start, fmt.Sprintf("expected '*' at the start of a command, got %q", c)}
		}
		break
	}
	argc, err := p.readLength(start)
	if err != nil {
		return nil, start, err
	}
	if argc < 1 || argc > maxArgc {
		return nil, start, &formatError{start, fmt.Sprintf("invalid multibulk length %d", argc)}
	}
	argv = make([][]byte, 0, min(argc, argvPrealloc))
	for range argc {
		hdr := p.offset()
		c, err := p.br.ReadByte()
		if err != nil {
			return nil, start, shortOr(err)
		}
		if c != '$' {
			return nil, start, &formatError{hdr, fmt.Sprintf("expected '$' at the start of an argument, got %q", c)}
		}
		n, err := p.readLength(hdr)
		if err != nil {
			return nil, start, err
		}
		if n < 0 {
			return nil, start, &formatError{hdr, fmt.Sprintf("invalid bulk length %d", n)}
		}
		arg, err := p.readBulk(n)
		if err != nil {
			return nil, start, err
		}
		crlf := p.offset()
		var two [2]byte
		if _, err := io.ReadFull(p.br, two[:]); err != nil {
			return nil, start, shortOr(err)
		}
		if two != [2]byte{'\r', '\n'} {
			return nil, start, &formatError{crlf, fmt.Sprintf("expected CRLF after a bulk string of %d bytes, got %q", n, two[:])}
		}
		argv = append(argv, arg)
	}
	return argv, start, nil
}

// shortOr maps end of file inside a command to errShort.
func shortOr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errShort
	}
	return err
}

func (p *respReader) skipLine() error {
	for {
		_, err := p.br.ReadSlice('\n')
		if err == nil {
			return nil
		}
		if err == bufio.ErrBufferFull {
			continue // long line: keep skipping without buffering it
		}
		return err // io.EOF: clean end, as Redis's fgets loop
	}
}

// readLength reads "<decimal>\r\n" after a '*' or '$' found at hdr.
func (p *respReader) readLength(hdr int64) (int64, error) {
	var buf [maxHeaderLine]byte
	n := 0
	for {
		c, err := p.br.ReadByte()
		if err != nil {
			return 0, shortOr(err)
		}
		if c == '\n' {
			break
		}
		if n == len(buf) {
			return 0, &formatError{hdr, "length line too long"}
		}
		buf[n] = c
		n++
	}
	line := buf[:n]
	if n < 2 || line[n-1] != '\r' {
		return 0, &formatError{hdr, fmt.Sprintf("malformed length line %q", line)}
	}
	v, ok := parseInt(line[:n-1])
	if !ok {
		return 0, &formatError{hdr, fmt.Sprintf("malformed length %q", line[:n-1])}
	}
	return v, nil
}

// parseInt parses an optionally negative decimal int64.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// readBulk reads n bytes. The buffer grows only as bytes actually arrive, so
// a hostile length costs at most about twice the bytes present in the file.
func (p *respReader) readBulk(n int64) ([]byte, error) {
	if n <= bulkChunk {
		b := make([]byte, n)
		if _, err := io.ReadFull(p.br, b); err != nil {
			return nil, shortOr(err)
		}
		return b, nil
	}
	var b []byte
	for int64(len(b)) < n {
		chunk := min(n-int64(len(b)), int64(max(bulkChunk, len(b))))
		have := len(b)
		b = slices.Grow(b, int(chunk))[:have+int(chunk)]
		if _, err := io.ReadFull(p.br, b[have:]); err != nil {
			return nil, shortOr(err)
		}
	}
	return b, nil
}
