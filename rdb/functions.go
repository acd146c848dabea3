package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
)

// FUNCTION DUMP payloads: the FUNCTION2 records of an RDB (opcode 245, the
// library's code), then the RDB version (u16le) and CRC64 (u64le), as
// Redis 7.0's functionDumpCommand writes them.

// EncodeFunctionsDump makes FUNCTION DUMP's payload from library codes.
func EncodeFunctionsDump(codes [][]byte) []byte {
	e := encoder{compress: true, version: DumpVersion, limits: DefaultLimits}
	for _, code := range codes {
		e.byte(opFunction2)
		e.str(code)
	}
	e.buf = binary.LittleEndian.AppendUint16(e.buf, DumpVersion)
	return binary.LittleEndian.AppendUint64(e.buf, CRC64(0, e.buf))
}

// DecodeFunctionsDump checks a FUNCTION DUMP payload as FUNCTION RESTORE
// does (version ≤ 10, matching CRC) and returns the library codes. Old
// FUNCTION records (opcode 246) are read too; anything else is an error.
func DecodeFunctionsDump(payload []byte) ([][]byte, error) {
	n := len(payload)
	if n < 10 {
		return nil, ErrDumpPayload
	}
	if binary.LittleEndian.Uint16(payload[n-10:]) > DumpVersion ||
		binary.LittleEndian.Uint64(payload[n-8:]) != CRC64(0, payload[:n-8]) {
		return nil, ErrDumpPayload
	}
	// The records are read by the file reader: a header before, EOF and a
	// zero (disabled) checksum after.
	file := make([]byte, 0, n+9)
	file = append(file, "REDIS0010"...)
	file = append(file, payload[:n-10]...)
	file = append(file, opEOF, 0, 0, 0, 0, 0, 0, 0, 0)
	r := NewReader(bytes.NewReader(file))
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Functions(), nil
		}
		if err != nil {
			return nil, err
		}
		if e != nil {
			return nil, errors.New("rdb: FUNCTION DUMP payload holds a key, not a library")
		}
	}
}

// LibraryName is the name a library's code declares in its first line
// ("#!lua name=mylib ..."), or "" if it declares none.
func LibraryName(code []byte) string {
	line, _, _ := bytes.Cut(code, []byte("\n"))
	if !bytes.HasPrefix(line, []byte("#!")) {
		return ""
	}
	f := strings.Fields(string(line[2:]))
	for i := 1; i < len(f); i++ { // f[0] is the engine
		if v, ok := strings.CutPrefix(f[i], "name="); ok {
			return v
		}
	}
	return ""
}
