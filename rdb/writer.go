package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Writer produces an RDB file. Calls must follow file order: header items
// (WriteAux, WriteFunction) first, then keys grouped by database, then
// Close. The header is written on the first call.
type Writer struct {
	// Compress enables LZF for strings longer than 20 bytes (rdbcompression,
	// default true). Set before the first write.
	Compress bool
	// Limits decide compact encodings (default DefaultLimits).
	Limits Limits
	// SaveLRU writes an IDLE opcode before every key, zero included, and
	// SaveLFU a FREQ opcode: rdbSaveKeyValuePair does so under an LRU or an
	// LFU maxmemory-policy. Otherwise only a positive Idle or Freq is written.
	SaveLRU, SaveLFU bool

	w       *bufio.Writer
	version int
	crc     uint64
	started bool
	db      int // current SELECTDB, -1 before the first
	closed  bool
	err     error
	enc     encoder
}

// NewWriter writes an RDB of the given version to w: 10 (Redis 7.0, also
// used when version is 0) or 11 (Redis 7.2: listpack sets, stream v3).
func NewWriter(w io.Writer, version int) *Writer {
	if version == 0 {
		version = DefaultVersion
	}
	wr := &Writer{Compress: true, Limits: DefaultLimits, w: bufio.NewWriterSize(w, 64<<10), version: version, db: -1}
	if version != 10 && version != 11 {
		wr.err = fmt.Errorf("rdb: cannot write RDB version %d (10 or 11)", version)
	}
	return wr
}

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	w.crc = CRC64(w.crc, p)
	_, w.err = w.w.Write(p)
}

// begin writes the signature once and resets the scratch encoder.
func (w *Writer) begin() *encoder {
	if w.err == nil && w.closed {
		w.err = errors.New("rdb: write after Close")
	}
	if !w.started {
		w.started = true
		w.write([]byte(fmt.Sprintf("REDIS%04d", w.version)))
	}
	w.enc = encoder{buf: w.enc.buf[:0], compress: w.Compress, version: w.version, limits: w.Limits}
	return &w.enc
}

// WriteAux writes one AUX field.
func (w *Writer) WriteAux(name, value string) error {
	e := w.begin()
	e.byte(opAux)
	e.str([]byte(name))
	e.str([]byte(value))
	w.write(e.buf)
	return w.err
}

// WriteStandardAux writes the AUX fields Redis 7.0.15 puts in every file:
// redis-ver, redis-bits, ctime, used-mem, aof-base.
func (w *Writer) WriteStandardAux(usedMem int64, aofBase bool) error {
	base := "0"
	if aofBase {
		base = "1"
	}
	for _, f := range [][2]string{
		{"redis-ver", "7.0.15"},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatInt(usedMem, 10)},
		{"aof-base", base},
	} {
		w.WriteAux(f[0], f[1])
	}
	return w.err
}

// WriteFunction writes one function library (FUNCTION2 opcode) with its
// full source code.
func (w *Writer) WriteFunction(code []byte) error {
	e := w.begin()
	e.byte(opFunction2)
	e.str(code)
	w.write(e.buf)
	return w.err
}

// SelectDB starts database db with RESIZEDB hints (key count and keys
// with an expire).
func (w *Writer) SelectDB(db int, keys, expires uint64) error {
	if db < 0 {
		return fmt.Errorf("rdb: negative db %d", db)
	}
	e := w.begin()
	e.byte(opSelectDB)
	e.length(uint64(db))
	e.byte(opResizeDB)
	e.length(keys)
	e.length(expires)
	w.write(e.buf)
	w.db = db
	return w.err
}

// WriteEntry writes one key: expire, idle or freq, type, key, value. Zero
// or negative ExpireAt, Idle and Freq mean "none" (so a zero Entry has no
// TTL), unless SaveLRU or SaveLFU asks for the opcode on every key. A SELECTDB is emitted when en.DB differs from the current db.
func (w *Writer) WriteEntry(en *Entry) error {
	if w.err != nil {
		return w.err
	}
	if en.DB != w.db {
		if en.DB < 0 {
			return fmt.Errorf("rdb: negative db %d", en.DB)
		}
		e := w.begin()
		e.byte(opSelectDB)
		e.length(uint64(en.DB))
		w.write(e.buf)
		w.db = en.DB
	}
	if en.Object.Kind > KindStream {
		return fmt.Errorf("rdb: key %q: cannot write object kind %s", en.Key, en.Object.Kind)
	}
	// The value is encoded first: its type byte precedes the key.
	v := w.begin()
	v.object(&en.Object)
	p := encoder{buf: make([]byte, 0, 32+len(en.Key)), compress: w.Compress}
	if en.ExpireAt > 0 {
		p.byte(opExpireTimeMs)
		p.i64le(en.ExpireAt)
	}
	switch {
	case w.SaveLRU || (!w.SaveLFU && en.Idle > 0):
		p.byte(opIdle)
		p.length(uint64(max(en.Idle, 0)))
	case w.SaveLFU || en.Freq > 0:
		p.byte(opFreq)
		p.byte(byte(min(max(en.Freq, 0), 255)))
	}
	p.byte(v.buf[0])
	p.str(en.Key)
	w.write(p.buf)
	w.write(v.buf[1:])
	return w.err
}

// Close writes EOF and the CRC64 and flushes; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	e := w.begin()
	e.byte(opEOF)
	w.write(e.buf)
	w.closed = true
	if w.err != nil {
		return w.err
	}
	var crc [8]byte
	binary.LittleEndian.PutUint64(crc[:], w.crc)
	if _, err := w.w.Write(crc[:]); err != nil {
		w.err = err
		return err
	}
	w.err = w.w.Flush()
	return w.err
}
