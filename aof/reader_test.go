package aof

import (
	"bufio"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func resp(argv ...string) string { return string(AppendCommand(nil, args(argv...)...)) }

// fakeRDB consumes a 9-byte "REDIS0011" stand-in for an RDB part.
func fakeRDB(br *bufio.Reader) error {
	_, err := br.Discard(9)
	return err
}

func TestReaderCases(t *testing.T) {
	set := resp("SET", "k", "v") // 27 bytes
	ping := resp("PING")         // 14 bytes
	multi, exec := resp("MULTI"), resp("EXEC")
	cases := []struct {
		name      string
		in        string
		strict    bool // LoadTruncated false
		rdb       RDBFunc
		want      []string
		trunc     *Truncation
		err       error
		errOffset int64
	}{
		{name: "empty file", in: "", want: nil},
		{name: "annotations skipped", in: "#TS:1\r\n" + ping + "#TS:2\r\n" + set, want: []string{"db0 PING", "db0 SET k v"}},
		{name: "annotation cut by EOF is not a short read", in: ping + "#TS:12", want: []string{"db0 PING"}},
		{name: "very long annotation", in: "#" + strings.Repeat("x", 200_000) + "\n" + ping, want: []string{"db0 PING"}},
		{name: "case-insensitive multi/exec", in: resp("multi") + set + resp("Exec") + ping,
			want: []string{"TXN{db0 SET k v}", "db0 PING"}},
		{name: "empty transaction", in: multi + exec, want: []string{"TXN{}"}},
		{name: "select tracked and passed through", in: resp("SELECT", "3") + set + multi + resp("SELECT", "1") + set + exec + set,
			want: []string{"db3 SELECT 3", "db3 SET k v", "TXN{db1 SELECT 1 | db1 SET k v}", "db1 SET k v"}},
		{name: "zero-length and binary args", in: resp("SET", "", "\x00\r\n"), want: []string{`db0 SET "" "\x00\r\n"`}},

		{name: "garbage first byte", in: "x", err: ErrBadFormat, errOffset: 0},
		{name: "CRLF line between commands", in: ping + "\r\n", want: []string{"db0 PING"}, err: ErrBadFormat, errOffset: 14},
		{name: "argc 0", in: "*0\r\n", err: ErrBadFormat, errOffset: 0},
		{name: "argc negative", in: ping + "*-1\r\n", want: []string{"db0 PING"}, err: ErrBadFormat, errOffset: 14},
		{name: "argc not a number", in: "*3x\r\n", err: ErrBadFormat, errOffset: 0},
		{name: "argc above int32", in: "*99999999999\r\n$1\r\na\r\n", err: ErrBadFormat, errOffset: 0},
		{name: "LF-only header", in: "*1\n$4\nPING\n", err: ErrBadFormat, errOffset: 0},
		{name: "length line too long", in: "*" + strings.Repeat("1", 40) + "\r\n", err: ErrBadFormat, errOffset: 0},
		{name: "bulk without $", in: "*1\r\n+OK\r\n", err: ErrBadFormat, errOffset: 4},
		{name: "negative bulk length", in: "*1\r\n$-1\r\n", err: ErrBadFormat, errOffset: 4},
		{name: "bulk length overflows int64", in: "*1\r\n$99999999999999999999\r\n", err: ErrBadFormat, errOffset: 4},
		{name: "wrong bulk length", in: ping + "*1\r\n$5\r\nPING\r\n*1", want: []string{"db0 PING"}, err: ErrBadFormat, errOffset: 14 + 13},
		{name: "nested MULTI", in: multi + set + multi + exec, err: ErrBadFormat, errOffset: 15 + 27},
		{name: "EXEC without MULTI", in: set + exec, want: []string{"db0 SET k v"}, err: ErrBadFormat, errOffset: 27},
		{name: "SELECT without index", in: resp("SELECT"), err: ErrBadFormat, errOffset: 0},
		{name: "SELECT negative", in: resp("SELECT", "-1"), err: ErrBadFormat, errOffset: 0},
		{name: "SELECT not canonical", in: resp("SELECT", "01"), err: ErrBadFormat, errOffset: 0},
		{name: "RDB part without hook", in: "REDIS0011", err: ErrRDB, errOffset: 0},

		{name: "short read in first command", in: "*1\r\n$4\r\nPI",
			trunc: &Truncation{File: "appendonly.aof", Size: 10, Incomplete: true}},
		{name: "file shorter than magic", in: "*1\r\n",
			trunc: &Truncation{File: "appendonly.aof", Size: 4, Incomplete: true}},
		{name: "lone star", in: ping + "*", want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 15, ValidLen: 14, RedisLen: 14, Incomplete: true}},
		{name: "EOF before final CRLF", in: ping + set[:26], want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 40, ValidLen: 14, RedisLen: 14, Incomplete: true}},
		{name: "EOF inside bulk length line", in: ping + "*1\r\n$12", want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 21, ValidLen: 14, RedisLen: 14, Incomplete: true}},
		{name: "hostile bulk length at EOF", in: ping + "*1\r\n$99999999999\r\nabc", want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 35, ValidLen: 14, RedisLen: 14, Incomplete: true}},
		{name: "hostile argc at EOF", in: "*2147483647\r\n$1\r\na\r\n",
			trunc: &Truncation{File: "appendonly.aof", Size: 20, Incomplete: true}},
		// Redis keeps the queued commands of an open MULTI in the file on a
		// short read (RedisLen); ValidLen cuts before MULTI.
		{name: "short read inside MULTI", in: ping + multi + set + set[:10], want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 66, ValidLen: 14, RedisLen: 56, Incomplete: true, Dropped: 1}},
		{name: "MULTI without EXEC", in: ping + multi + set + set, want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 83, ValidLen: 14, RedisLen: 14, Dropped: 2}},
		{name: "annotation before open MULTI", in: ping + "#TS:5\r\n" + multi + set, want: []string{"db0 PING"},
			trunc: &Truncation{File: "appendonly.aof", Size: 63, ValidLen: 14, RedisLen: 14, Dropped: 1}},
		// Redis 7.0.15 truncates to 0 here (verified): its valid offset is not
		// moved past the RDB preamble.
		{name: "RDB then short read", in: "REDIS0011" + set[:20], rdb: fakeRDB,
			trunc: &Truncation{File: "appendonly.aof", Size: 29, ValidLen: 9, RedisLen: 0, Incomplete: true}},
		{name: "RDB then open MULTI", in: "REDIS0011" + multi + set, rdb: fakeRDB,
			trunc: &Truncation{File: "appendonly.aof", Size: 51, ValidLen: 9, RedisLen: 0, Dropped: 1}},
		{name: "RDB then commands", in: "REDIS0011" + set + ping, rdb: fakeRDB, want: []string{"db0 SET k v", "db0 PING"}},
		{name: "RDB only", in: "REDIS0011", rdb: fakeRDB},

		{name: "strict short read", in: ping + "*1\r\n$4\r\nPI", strict: true, want: []string{"db0 PING"},
			err: ErrUnexpectedEOF, errOffset: 24},
		{name: "strict open MULTI", in: multi + set, strict: true, err: ErrUnexpectedEOF, errOffset: 42},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es, tr, err := collect(t, []byte(c.in), Options{RDB: c.rdb, LoadTruncated: !c.strict})
			if c.err != nil {
				var e *Error
				if !errors.Is(err, c.err) || !errors.As(err, &e) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				if e.Offset != c.errOffset {
					t.Errorf("offset = %d, want %d (%v)", e.Offset, c.errOffset, err)
				}
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got := renderAll(es); !slices.Equal(got, c.want) {
				t.Errorf("entries = %q, want %q", got, c.want)
			}
			switch {
			case c.trunc == nil && tr != nil:
				t.Errorf("unexpected truncation %+v", tr)
			case c.trunc != nil && (tr == nil || *tr != *c.trunc):
				t.Errorf("truncation = %+v, want %+v", tr, c.trunc)
			}
		})
	}
}

func TestReaderStickyAndErrorsWrap(t *testing.T) {
	rd := NewReader(strings.NewReader("x"), "f.aof", Options{})
	_, err1 := rd.Next()
	_, err2 := rd.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors not sticky: %v / %v", err1, err2)
	}

	hookErr := errors.New("boom")
	_, err := Read(strings.NewReader("REDIS0011"), "f.aof", Options{RDB: func(*bufio.Reader) error { return hookErr }}, func(Entry) error { return nil })
	if !errors.Is(err, hookErr) || !errors.Is(err, ErrRDB) {
		t.Errorf("hook error not passed through: %v", err)
	}

	applyErr := errors.New("unknown command")
	_, err = Read(strings.NewReader(resp("PING")+resp("NOPE")), "f.aof", Options{}, func(e Entry) error {
		if string(e.Cmds[0].Argv[0]) == "NOPE" {
			return applyErr
		}
		return nil
	})
	var e *Error
	if !errors.Is(err, applyErr) || !errors.As(err, &e) || e.Offset != 14 || e.File != "f.aof" {
		t.Errorf("apply error = %v", err)
	}

	ioErr := errors.New("disk on fire")
	_, err = Read(io.MultiReader(strings.NewReader(resp("PING")), iotest.ErrReader(ioErr)), "f.aof", Options{LoadTruncated: true}, func(Entry) error { return nil })
	if !errors.Is(err, ioErr) {
		t.Errorf("I/O error = %v", err)
	}
}

func TestTruncationString(t *testing.T) {
	short := (&Truncation{File: "a.aof", Size: 10, ValidLen: 4, Incomplete: true}).String()
	revert := (&Truncation{File: "a.aof", Size: 10, ValidLen: 4, Dropped: 2}).String()
	if !strings.Contains(short, "short read while loading the AOF file a.aof") || !strings.Contains(short, "at offset 4") {
		t.Errorf("short: %q", short)
	}
	if !strings.HasPrefix(revert, "Revert incomplete MULTI/EXEC transaction in AOF file a.aof") {
		t.Errorf("revert: %q", revert)
	}
}

// TestHostileLengthsBoundedMemory: declared lengths never drive allocation;
// only the bytes actually present do.
func TestHostileLengthsBoundedMemory(t *testing.T) {
	cases := []struct {
		name string
		in   string
	}{
		{"huge bulk, 1 MiB present", "*1\r\n$99999999999\r\n" + strings.Repeat("a", 1<<20)},
		{"max int64 bulk", "*1\r\n$9223372036854775807\r\n" + strings.Repeat("a", 1<<20)},
		{"huge argc, 100k empty args", "*2147483647\r\n" + strings.Repeat("$0\r\n\r\n", 100_000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, tr, err := collect(t, []byte(c.in), Options{LoadTruncated: true})
			runtime.ReadMemStats(&after)
			if err != nil || tr == nil || tr.ValidLen != 0 || !tr.Incomplete {
				t.Fatalf("want a short read: %+v %v", tr, err)
			}
			// Linear in the input (an empty argument costs a 24-byte slice
			// header for 6 input bytes, plus append growth), never in the
			// declared lengths.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*uint64(len(c.in)) {
				t.Errorf("allocated %d bytes for a %d-byte input", alloc, len(c.in))
			}
		})
	}
}
