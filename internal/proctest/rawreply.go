package proctest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits on what one reply may hold, so a broken or hostile server cannot make the client
// allocate without bound or recurse forever.
const (
	maxLine  = 1 << 20   // longest header or simple line
	maxBulk  = 512 << 20 // Redis's default proto-max-bulk-len
	maxDepth = 128       // deepest nesting of aggregates
)

// ErrStreamed is returned for RESP3 streamed strings and aggregates ($?, *? ...), which Redis
// 7.0 never sends.
var ErrStreamed = errors.New("resp: streamed replies are not supported")

// ReadRaw reads exactly one complete reply from r and returns its raw bytes. An attribute (|)
// is returned together with the reply it annotates, so the result is always a whole reply.
func ReadRaw(r *bufio.Reader) ([]byte, error) {
	return readRaw(r, nil, 0)
}

func readRaw(r *bufio.Reader, buf []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return buf, fmt.Errorf("resp: nesting deeper than %d at offset %d", maxDepth, len(buf))
	}
	start := len(buf)
	buf, err := readLine(r, buf)
	if err != nil {
		return buf, err
	}
	typ := buf[start]
	body := buf[start+1 : len(buf)-2]
	switch typ {
	case '+', '-':
		return buf, nil
	case ':':
		if _, err := parseInt(body); err != nil {
			return buf, fmt.Errorf("resp: bad integer %q at offset %d", body, start)
		}
		return buf, nil
	case '(':
		if !isBigNumber(body) {
			return buf, fmt.Errorf("resp: bad big number %q at offset %d", body, start)
		}
		return buf, nil
	case ',':
		if len(body) == 0 {
			return buf, fmt.Errorf("resp: empty double at offset %d", start)
		}
		return buf, nil
	case '_':
		if len(body) != 0 {
			return buf, fmt.Errorf("resp: null with payload %q at offset %d", body, start)
		}
		return buf, nil
	case '#':
		if len(body) != 1 || (body[0] != 't' && body[0] != 'f') {
			return buf, fmt.Errorf("resp: bad boolean %q at offset %d", body, start)
		}
		return buf, nil
	case '$', '!', '=':
		if len(body) == 1 && body[0] == '?' {
			return buf, ErrStreamed
		}
		n, err := parseLen(body, typ == '$', start)
		if err != nil || n < 0 {
			return buf, err
		}
		if n > maxBulk {
			return buf, fmt.Errorf("resp: bulk length %d over %d at offset %d", n, maxBulk, start)
		}
		return readBulkBody(r, buf, n)
	case '*', '%', '~', '>', '|':
		if len(body) == 1 && body[0] == '?' {
			return buf, ErrStreamed
		}
		n, err := parseLen(body, typ == '*' || typ == '%', start)
		if err != nil || n < 0 {
			return buf, err
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		for i := int64(0); i < n; i++ {
			if buf, err = readRaw(r, buf, depth+1); err != nil {
				return buf, err
			}
		}
		if typ == '|' {
			// An attribute annotates the reply that follows it.
			return readRaw(r, buf, depth+1)
		}
		return buf, nil
	}
	return buf, fmt.Errorf("resp: unknown reply type %q at offset %d", typ, start)
}

// readLine appends one line including its "\r\n" to buf.
func readLine(r *bufio.Reader, buf []byte) ([]byte, error) {
	start := len(buf)
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf)-start > maxLine {
			return buf, fmt.Errorf("resp: line longer than %d bytes at offset %d", maxLine, start)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(buf) == 0 {
				return buf, io.EOF // a clean end between replies
			}
			return buf, truncated(err, start)
		}
		break
	}
	if len(buf)-start < 3 || buf[len(buf)-2] != '\r' {
		return buf, fmt.Errorf("resp: malformed line %q at offset %d", buf[start:], start)
	}
	return buf, nil
}

func readBulkBody(r *bufio.Reader, buf []byte, n int64) ([]byte, error) {
	start := len(buf)
	// Grow with the data actually received, never by the announced length alone.
	for need := n + 2; need > 0; {
		chunk := need
		if chunk > 64<<10 {
			chunk = 64 << 10
		}
		old := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[old:]); err != nil {
			return buf[:old], truncated(err, start)
		}
		need -= chunk
	}
	if buf[len(buf)-2] != '\r' || buf[len(buf)-1] != '\n' {
		return buf, fmt.Errorf("resp: bulk of %d bytes not followed by CRLF at offset %d", n, len(buf)-2)
	}
	return buf, nil
}

func truncated(err error, off int) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("resp: reply truncated at offset %d: %w", off, err)
}

// parseLen parses a canonical length; -1 is allowed when nullable and returned as is.
func parseLen(b []byte, nullable bool, off int) (int64, error) {
	n, err := parseInt(b)
	if err != nil || n < -1 || (n == -1 && !nullable) {
		return 0, fmt.Errorf("resp: bad length %q at offset %d", b, off)
	}
	return n, nil
}

// parseInt accepts only the canonical decimal form (no "+", no leading zeros), so that a parsed
// reply re-encodes to the same bytes.
func parseInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, err
	}
	if strconv.FormatInt(n, 10) != string(b) {
		return 0, errors.New("non-canonical integer")
	}
	return n, nil
}

func isBigNumber(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
