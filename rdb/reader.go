package rdb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// Entry is one key read from an RDB file.
type Entry struct {
	DB  int
	Key []byte
	// ExpireAt is the absolute expire time in unix ms, or -1.
	ExpireAt int64
	// Idle is the LRU idle time in seconds (IDLE opcode), or -1.
	Idle int64
	// Freq is the LFU counter (FREQ opcode), or -1.
	Freq   int
	Object Object
}

// AuxField is one AUX name/value pair.
type AuxField struct {
	Key, Value []byte
}

// Reader decodes an RDB stream one key at a time.
type Reader struct {
	d        decoder
	version  int
	started  bool
	err      error
	db       int
	aux      []AuxField
	funcs    [][]byte
	checksum uint64
	noCRC    bool
}

// NewReader reads an RDB from r. If r is an io.ByteReader (e.g. a
// *bufio.Reader) it is used as is, so after Next returns io.EOF it is
// positioned exactly after the RDB (an AOF tail may follow); otherwise it is
// buffered.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{}
	if br, ok := r.(io.ByteReader); ok {
		rd.d.r, rd.d.br = r, br
	} else {
		b := bufio.NewReader(r)
		rd.d.r, rd.d.br = b, b
	}
	return rd
}

// Version returns the file's RDB version, reading the header if needed.
func (r *Reader) Version() (int, error) {
	if err := r.header(); err != nil {
		return 0, err
	}
	return r.version, nil
}

// Aux returns the AUX fields seen so far (all of them once the first key
// has been returned, in files written by Redis).
func (r *Reader) Aux() []AuxField { return r.aux }

// Functions returns the function library codes seen so far (FUNCTION2).
func (r *Reader) Functions() [][]byte { return r.funcs }

// Offset is the number of bytes consumed.
func (r *Reader) Offset() int64 { return r.d.off }

// ChecksumDisabled reports, after io.EOF, a file without a usable CRC
// (version < 5 or stored checksum 0).
func (r *Reader) ChecksumDisabled() bool { return r.noCRC }

func (r *Reader) header() (err error) {
	if r.started {
		if r.version > 0 {
			return nil
		}
		return r.err
	}
	r.started = true
	defer func() { r.err = err }()
	defer recoverErr(&err)
	var h [9]byte
	r.d.fixed(h[:])
	if string(h[:5]) != "REDIS" {
		r.d.failAt(0, "wrong signature trying to load DB from file")
	}
	v, err := strconv.Atoi(string(h[5:]))
	if err != nil || v < MinVersion || v > MaxVersion {
		r.d.failAt(5, "can't handle RDB format version %s", h[5:])
	}
	r.version = v
	return nil
}

// Next returns the next key, or io.EOF after the EOF opcode and a valid
// checksum. Any other error is final.
func (r *Reader) Next() (e *Entry, err error) {
	if err := r.header(); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	defer func() {
		if err != nil {
			r.err = err
		}
	}()
	defer recoverErr(&err)
	d := &r.d
	expire, idle, freq := int64(-1), int64(-1), -1
	for {
		start := d.off
		t := d.byte()
		switch t {
		case opEOF:
			r.finish()
			return nil, io.EOF
		case opSelectDB:
			db := d.length()
			if db > 1<<31-1 {
				d.failAt(start, "SELECTDB %d out of range", db)
			}
			r.db = int(db)
		case opExpireTime:
			expire = int64(int32(d.u32le())) * 1000
		case opExpireTimeMs:
			expire = d.i64le()
		case opResizeDB:
			d.length()
			d.length()
		case opAux:
			k := d.str()
			r.aux = append(r.aux, AuxField{Key: k, Value: d.str()})
		case opFreq:
			freq = int(d.byte())
		case opIdle:
			idle = int64(d.length())
			if idle < 0 {
				d.failAt(start, "IDLE value out of range")
			}
		case opModuleAux:
			name, _ := moduleTypeName(d.length())
			d.failAt(start, "the RDB file contains AUX module data I can't load: no matching module '%s'", name)
		case opFunctionPre:
			d.str() // name
			d.str() // engine
			if d.length() != 0 {
				d.str() // description
			}
			r.funcs = append(r.funcs, d.str())
		case opFunction2:
			r.funcs = append(r.funcs, d.str())
		default:
			if !validType(t) {
				d.failAt(start, "unknown RDB encoding type %d", t)
			}
			key := d.str()
			obj := d.object(t)
			return &Entry{DB: r.db, Key: key, ExpireAt: expire, Idle: idle, Freq: freq, Object: obj}, nil
		}
	}
}

func validType(t byte) bool {
	return t <= TypeModule2 || (t >= TypeHashZipmap && t <= TypeStreamListpacks3)
}

// finish handles what follows the EOF opcode: the CRC64 for version ≥ 5.
func (r *Reader) finish() {
	d := &r.d
	if r.version < 5 {
		r.noCRC = true
		r.err = io.EOF
		return
	}
	want := d.crc
	off := d.off
	var b [8]byte
	d.fixed(b[:])
	var got uint64
	for i := 7; i >= 0; i-- {
		got = got<<8 | uint64(b[i])
	}
	if got == 0 {
		r.noCRC = true
	} else if got != want {
		d.failAt(off, "wrong RDB checksum: stored %016x, computed %016x", got, want)
	}
	r.checksum = got
	r.err = io.EOF
}

// String describes the entry briefly (for logs and test failures).
func (e *Entry) String() string {
	return fmt.Sprintf("db=%d key=%q type=%s expire=%d", e.DB, e.Key, e.Object.Kind, e.ExpireAt)
}
