package aof

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
)

// AppendCommand appends the RESP encoding of argv, as Redis logs it
// ("*N\r\n" then "$len\r\n<bytes>\r\n" per argument), to dst.
func AppendCommand(dst []byte, argv ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(argv)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range argv {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// Encoder writes commands in AOF form to a buffered writer.
type Encoder struct {
	w   *bufio.Writer
	buf []byte
	db  int
	n   int64
	err error
}

// NewEncoder returns an Encoder on w. No db is selected yet, so the first
// WriteDB emits a SELECT, as at the start of every Redis incr file.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 64<<10), db: -1}
}

// Write writes one command as is. A SELECT written here is remembered.
func (e *Encoder) Write(argv ...[]byte) error {
	if len(argv) == 2 && bytes.EqualFold(argv[0], cmdSelect) {
		if db, ok := parseDB(argv); ok {
			e.db = db
		}
	}
	return e.raw(AppendCommand(e.buf[:0], argv...))
}

// WriteDB writes a command for database db, preceded by "SELECT db" when db
// is not the database last selected (Redis's feedAppendOnlyFile rule).
func (e *Encoder) WriteDB(db int, argv ...[]byte) error {
	if db != e.db {
		if err := e.Write([]byte("SELECT"), strconv.AppendInt(nil, int64(db), 10)); err != nil {
			return err
		}
	}
	return e.Write(argv...)
}

// Timestamp writes a "#TS:<unix seconds>" annotation line.
func (e *Encoder) Timestamp(unix int64) error {
	b := append(e.buf[:0], "#TS:"...)
	b = strconv.AppendInt(b, unix, 10)
	return e.raw(append(b, '\r', '\n'))
}

func (e *Encoder) raw(b []byte) error {
	e.buf = b[:0]
	if e.err != nil {
		return e.err
	}
	n, err := e.w.Write(b)
	e.n += int64(n)
	e.err = err
	return err
}

// Size is the number of bytes written so far.
func (e *Encoder) Size() int64 { return e.n }

// Flush flushes buffered output to the underlying writer.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	e.err = e.w.Flush()
	return e.err
}
