package resp

import (
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// Writer accumulates replies for one connection. Proto selects RESP2 (2) or RESP3 (3) shapes
// for the types whose encoding differs.
type Writer struct {
	Buf   []byte
	Proto int
}

func (w *Writer) Simple(s string) { w.Buf = redcon.AppendString(w.Buf, s) }
func (w *Writer) OK()             { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Error writes an error reply. msg must carry its code ("ERR ...", "WRONGTYPE ...").
func (w *Writer) Error(msg string) { w.Buf = redcon.AppendError(w.Buf, msg) }

func (w *Writer) Int(n int64)         { w.Buf = redcon.AppendInt(w.Buf, n) }
func (w *Writer) Bulk(b []byte)       { w.Buf = redcon.AppendBulk(w.Buf, b) }
func (w *Writer) BulkString(s string) { w.Buf = redcon.AppendBulkString(w.Buf, s) }
func (w *Writer) BulkInt(n int64) {
	w.Buf = redcon.AppendBulkString(w.Buf, strconv.FormatInt(n, 10))
}

// Null is a missing value: "$-1" in RESP2, "_" in RESP3.
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "$-1\r\n"...)
	}
}

// NullArray is a missing aggregate: "*-1" in RESP2, "_" in RESP3.
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "*-1\r\n"...)
	}
}

func (w *Writer) Array(n int) { w.Buf = redcon.AppendArray(w.Buf, n) }

// Map starts a map of n pairs: "%n" in RESP3, a flat array of 2n in RESP2.
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.Buf = appendHeader(w.Buf, '%', int64(n))
	} else {
		w.Buf = redcon.AppendArray(w.Buf, 2*n)
	}
}

// Set starts a set reply: "~n" in RESP3, an array in RESP2.
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.Buf = appendHeader(w.Buf, '~', int64(n))
	} else {
		w.Buf = redcon.AppendArray(w.Buf, n)
	}
}

// Push starts an out-of-band message: ">n" in RESP3, an array in RESP2.
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.Buf = appendHeader(w.Buf, '>', int64(n))
	} else {
		w.Buf = redcon.AppendArray(w.Buf, n)
	}
}

// Bool is ":1"/":0" in RESP2 and "#t"/"#f" in RESP3.
func (w *Writer) Bool(b bool) {
	switch {
	case w.Proto == 3 && b:
		w.Buf = append(w.Buf, "#t\r\n"...)
	case w.Proto == 3:
		w.Buf = append(w.Buf, "#f\r\n"...)
	case b:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.Buf = append(w.Buf, ":0\r\n"...)
	}
}

// Double writes a score as Redis 7.0's addReplyDouble: a bulk string of "%.17g" in RESP2
// ("inf"/"-inf" for infinities), a ",<num>" double in RESP3.
func (w *Writer) Double(f float64) {
	var s string
	switch {
	case math.IsInf(f, 1):
		s = "inf"
	case math.IsInf(f, -1):
		s = "-inf"
	default:
		s = FormatDouble17(f)
	}
	if w.Proto == 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
	} else {
		w.Buf = redcon.AppendBulkString(w.Buf, s)
	}
}

// Verbatim is a "=len\r\ntxt:..." verbatim string in RESP3 and a bulk string in RESP2.
func (w *Writer) Verbatim(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.Buf = appendHeader(w.Buf, '=', int64(len(s)+4))
	w.Buf = append(w.Buf, "txt:"...)
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends already-encoded RESP.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

func appendHeader(b []byte, c byte, n int64) []byte {
	b = append(b, c)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

// FormatDouble17 formats like C's printf("%.17g").
func FormatDouble17(f float64) string {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	// Go writes exponents as "e+06"; C writes at least two digits too, so they agree. Go's 'g'
	// keeps trailing zeros removed like %g does.
	return s
}
