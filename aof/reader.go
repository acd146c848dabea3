package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// RDBFunc loads an RDB part: a preamble at the start of a single-file AOF, or
// a base file of a multi-part directory. It must consume exactly the RDB bytes
// (through the EOF opcode and the 8-byte checksum) from r, which is positioned
// on the "REDIS" magic; RESP reading continues right after. Any error is
// fatal, including end of file inside the RDB (Redis ignores
// aof-load-truncated there).
type RDBFunc func(r *bufio.Reader) error

// Options configure reading.
type Options struct {
	// RDB loads RDB parts; nil makes an RDB part an error.
	RDB RDBFunc
	// LoadTruncated is Redis's aof-load-truncated (Redis defaults to yes): an
	// incomplete last command or an unterminated MULTI at end of file is
	// dropped and reported as a Truncation instead of failing.
	LoadTruncated bool
	// FileName is appendfilename, the prefix of every multi-part file name and
	// the name of a single-file AOF (LoadDir, Load). Default "appendonly.aof".
	FileName string
	// DirName is appenddirname (Load only). Default "appendonlydir".
	DirName string
}

func (o Options) fileName() string {
	if o.FileName == "" {
		return "appendonly.aof"
	}
	return o.FileName
}

func (o Options) dirName() string {
	if o.DirName == "" {
		return "appendonlydir"
	}
	return o.DirName
}

// Command is one logged command.
type Command struct {
	Argv   [][]byte // never reused by the reader: the caller may keep it
	DB     int      // database the command applies to (see the package doc)
	Offset int64    // offset of the command's '*' in its file
}

// Entry is the unit to apply: one command, or a whole MULTI/EXEC transaction.
type Entry struct {
	File   string
	Txn    bool      // Cmds were logged between MULTI and EXEC: apply them atomically
	Cmds   []Command // exactly one when !Txn; possibly none for an empty MULTI/EXEC
	Offset int64     // start of the command, or of MULTI
	End    int64     // just past the command, or past EXEC
}

// Reader decodes one AOF file. Next returns io.EOF at the end; after that,
// Truncation reports a dropped tail, if any.
type Reader struct {
	name    string
	opts    Options
	rdbWhat string
	p       *respReader
	started bool
	db      int
	txn     *Entry

	valid            int64 // end of the last command kept
	redisValid       int64 // Redis's valid_up_to (see Truncation.RedisLen)
	redisBeforeMulti int64

	trunc *Truncation
	err   error // sticky: io.EOF or a fatal error
}

// NewReader reads the AOF file called name (used in errors and Entries) from r.
func NewReader(r io.Reader, name string, opts Options) *Reader {
	return &Reader{name: name, opts: opts, rdbWhat: "RDB preamble of the AOF file", p: newRespReader(r)}
}

// Truncation is non-nil once Next has returned io.EOF after dropping a tail.
func (r *Reader) Truncation() *Truncation { return r.trunc }

// Next returns the next Entry, io.EOF at the end, or a fatal *Error.
func (r *Reader) Next() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
	}
	return e, err
}

var (
	cmdMulti  = []byte("MULTI")
	cmdExec   = []byte("EXEC")
	cmdSelect = []byte("SELECT")
)

func (r *Reader) next() (Entry, error) {
	if !r.started {
		r.started = true
		if err := r.readRDB(); err != nil {
			return Entry{}, err
		}
	}
	for {
		argv, start, err := r.p.readCommand()
		if err != nil {
			return Entry{}, r.readError(err)
		}
		end := r.p.offset()
		switch name := argv[0]; {
		case bytes.EqualFold(name, cmdMulti):
			if r.txn != nil {
				return Entry{}, r.badFormat(start, "MULTI calls can not be nested")
			}
			r.txn = &Entry{File: r.name, Txn: true, Offset: start}
			r.redisBeforeMulti = r.redisValid
			r.redisValid = end
			continue
		case bytes.EqualFold(name, cmdExec):
			if r.txn == nil {
				return Entry{}, r.badFormat(start, "EXEC without MULTI")
			}
			e := *r.txn
			e.End = end
			r.txn = nil
			r.valid, r.redisValid = end, end
			return e, nil
		}
		cmd := Command{Argv: argv, DB: r.db, Offset: start}
		if bytes.EqualFold(argv[0], cmdSelect) {
			db, ok := parseDB(argv)
			if !ok {
				return Entry{}, r.badFormat(start, "invalid DB index in SELECT")
			}
			r.db, cmd.DB = db, db
		}
		r.redisValid = end
		if r.txn != nil {
			r.txn.Cmds = append(r.txn.Cmds, cmd)
			continue
		}
		r.valid = end
		return Entry{File: r.name, Cmds: []Command{cmd}, Offset: start, End: end}, nil
	}
}

// readRDB hands a leading RDB part to the hook, deciding by content as Redis
// does: the first five bytes are "REDIS".
func (r *Reader) readRDB() error {
	head, err := r.p.br.Peek(5)
	if err != nil && err != io.EOF {
		return &Error{File: r.name, Offset: 0, Err: err}
	}
	if !bytes.Equal(head, []byte("REDIS")) {
		return nil
	}
	if r.opts.RDB == nil {
		return &Error{Kind: ErrRDB, File: r.name, Offset: 0, Detail: r.rdbWhat, Err: errors.New("no RDB loader configured")}
	}
	if err := r.opts.RDB(r.p.br); err != nil {
		return &Error{Kind: ErrRDB, File: r.name, Offset: r.p.offset(), Detail: r.rdbWhat, Err: err}
	}
	r.valid = r.p.offset()
	return nil
}

func (r *Reader) badFormat(off int64, msg string) error {
	return &Error{Kind: ErrBadFormat, File: r.name, Offset: off, Detail: msg}
}

// readError turns a readCommand failure into end of file, a truncation or a
// fatal error.
func (r *Reader) readError(err error) error {
	var fe *formatError
	switch {
	case err == io.EOF:
		if r.txn == nil {
			return io.EOF
		}
		return r.truncate(false)
	case err == errShort:
		return r.truncate(true)
	case errors.As(err, &fe):
		return r.badFormat(fe.off, fe.msg)
	default:
		return &Error{File: r.name, Offset: r.p.offset(), Detail: "Unrecoverable error", Err: err}
	}
}

func (r *Reader) truncate(incomplete bool) error {
	t := &Truncation{File: r.name, Size: r.p.offset(), ValidLen: r.valid, Incomplete: incomplete}
	if incomplete {
		t.RedisLen = r.redisValid
	} else {
		t.RedisLen = r.redisBeforeMulti
	}
	if r.txn != nil {
		t.Dropped = len(r.txn.Cmds)
	}
	if !r.opts.LoadTruncated {
		what := "inside a command"
		if !incomplete {
			what = fmt.Sprintf("with the MULTI at offset %d not terminated by EXEC", r.txn.Offset)
		}
		return &Error{Kind: ErrUnexpectedEOF, File: r.name, Offset: t.Size,
			Detail: fmt.Sprintf("file ends %s; the last complete command ends at offset %d (set aof-load-truncated yes, or redis-check-aof --fix)", what, t.ValidLen)}
	}
	r.txn = nil
	r.trunc = t
	return io.EOF
}

// parseDB validates SELECT's argument as Redis's string2ll would, and keeps
// it non-negative.
func parseDB(argv [][]byte) (int, bool) {
	if len(argv) != 2 {
		return 0, false
	}
	a := argv[1]
	if len(a) == 0 || (len(a) > 1 && a[0] == '0') {
		return 0, false
	}
	v, ok := parseInt(a)
	if !ok || v < 0 || v > math.MaxInt32 || a[0] == '-' {
		return 0, false
	}
	return int(v), true
}
