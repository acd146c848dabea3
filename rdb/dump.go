package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The RESTORE errors Redis 7.0 replies with ("-ERR " + text).
var (
	ErrDumpPayload   = errors.New("DUMP payload version or checksum are wrong")
	ErrBadDataFormat = errors.New("Bad data format")
)

// DumpError is returned by DecodeDump. Error() is exactly Redis's reply
// text (without "ERR "); Detail says what was wrong, for logs.
type DumpError struct {
	Err    error // ErrDumpPayload or ErrBadDataFormat
	Detail string
}

func (e *DumpError) Error() string { return e.Err.Error() }
func (e *DumpError) Unwrap() error { return e.Err }

// DumpVersion is the RDB version written in payload footers: 10, which
// Redis 7.0, 7.2 and 7.4+ all accept.
const DumpVersion = DefaultVersion

// EncodeDump serializes o as DUMP does on Redis 7.0 (rdbcompression yes):
// type byte, value, RDB version 10 (u16le), CRC64 (u64le).
func EncodeDump(o *Object) []byte {
	e := encoder{compress: true, version: DumpVersion, limits: DefaultLimits}
	e.object(o)
	e.buf = binary.LittleEndian.AppendUint16(e.buf, DumpVersion)
	return binary.LittleEndian.AppendUint64(e.buf, CRC64(0, e.buf))
}

// DecodeDump checks and decodes a DUMP payload as Redis 7.0's RESTORE does:
// footer version ≤ 10 and a matching CRC (a zero CRC is not special), then
// a valid 7.0 type byte and a decodable, non-empty value. Like Redis, it
// tolerates bytes between the value and the footer.
func DecodeDump(payload []byte) (o Object, err error) {
	if len(payload) < 10 {
		return o, &DumpError{ErrDumpPayload, "payload shorter than 10 bytes"}
	}
	n := len(payload)
	if v := binary.LittleEndian.Uint16(payload[n-10:]); v > DumpVersion {
		return o, &DumpError{ErrDumpPayload, fmt.Sprintf("RDB version %d is newer than %d", v, DumpVersion)}
	}
	if got, want := binary.LittleEndian.Uint64(payload[n-8:]), CRC64(0, payload[:n-8]); got != want {
		return o, &DumpError{ErrDumpPayload, fmt.Sprintf("CRC %016x, computed %016x", got, want)}
	}
	t := payload[0]
	if !validType(t) || t > TypeStreamListpacks2 || t == TypeModule || t == TypeModule2 {
		return o, &DumpError{ErrBadDataFormat, fmt.Sprintf("object type %d not loadable", t)}
	}
	// Redis parses the value from the whole payload buffer, footer included.
	br := bytes.NewReader(payload[1:])
	d := decoder{r: br, br: br, off: 1}
	if err := decodeInto(&d, t, &o); err != nil {
		return Object{}, &DumpError{ErrBadDataFormat, err.Error()}
	}
	if o.IsEmpty() {
		return Object{}, &DumpError{ErrBadDataFormat, "empty " + o.Kind.String()}
	}
	return o, nil
}

func decodeInto(d *decoder, t byte, o *Object) (err error) {
	defer recoverErr(&err)
	*o = d.object(t)
	return nil
}
