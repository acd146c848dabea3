package resp

import "bytes"

// Complete reports whether a whole multibulk request is already buffered, so that the next
// ReadCommand returns without reading the socket: the caller can tell a pipeline from a lone
// request. It is conservative: an inline request, or anything unusual, reports false.
func (r *Reader) Complete() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := r.br.Peek(n)
	return completeMultibulk(b)
}

func completeMultibulk(b []byte) bool {
	if len(b) == 0 || b[0] != '*' {
		return false
	}
	count, p, ok := countLine(b, 0)
	if !ok || count == 0 || count > 1024 { // "*0" is skipped, and ReadCommand reads on
		return false
	}
	for range count {
		if p >= len(b) || b[p] != '$' {
			return false
		}
		var l int64
		l, p, ok = countLine(b, p)
		if !ok {
			return false
		}
		if int64(len(b)-p) < l+2 {
			return false
		}
		p += int(l) + 2
	}
	return true
}

// countLine parses the "<prefix><n>\r\n" line at b[p:]; next is where the line ends.
func countLine(b []byte, p int) (n int64, next int, ok bool) {
	i := bytes.IndexByte(b[p:], '\n')
	if i < 2 || b[p+i-1] != '\r' {
		return 0, 0, false
	}
	n, ok = parseInt(b[p+1 : p+i-1])
	return n, p + i + 1, ok && n >= 0
}
