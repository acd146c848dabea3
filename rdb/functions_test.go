package rdb

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testLib = "#!lua name=rdblib\nredis.register_function('rdbecho', function(keys, args) return args[1] end)"
const testLib2 = "#!lua name=other\nredis.register_function('otherone', function(keys, args) return 1 end)"

func TestLibraryName(t *testing.T) {
	for code, want := range map[string]string{
		testLib:                          "rdblib",
		"#!lua name=x":                   "x",
		"#!lua  name=a description=b\nx": "a",
		"#!lua\nname=x":                  "",
		"#!":                             "",
		"return 1":                       "",
		"":                               "",
	} {
		if got := LibraryName([]byte(code)); got != want {
			t.Errorf("LibraryName(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestFunctionsDumpRoundTrip(t *testing.T) {
	codes := [][]byte{[]byte(testLib), []byte(testLib2)}
	got, err := DecodeFunctionsDump(EncodeFunctionsDump(codes))
	if err != nil || len(got) != 2 || string(got[0]) != testLib || string(got[1]) != testLib2 {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	empty, err := DecodeFunctionsDump(EncodeFunctionsDump(nil))
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty payload: %q, %v", empty, err)
	}
	bad := EncodeFunctionsDump(codes)
	bad[3] ^= 1
	if _, err := DecodeFunctionsDump(bad); err != ErrDumpPayload {
		t.Fatalf("corrupt payload: %v", err)
	}
	// A key's DUMP payload is not a functions payload.
	if _, err := DecodeFunctionsDump(EncodeDump(&Object{Kind: KindString, Str: []byte("x")})); err == nil {
		t.Fatal("a key's payload decoded as libraries")
	}
	for _, p := range [][]byte{nil, {1, 2, 3}} {
		if _, err := DecodeFunctionsDump(p); err == nil {
			t.Fatalf("%q accepted", p)
		}
	}
}

// TestFunctionsWithRedis: Redis's FUNCTION DUMP decodes to the loaded code, our payload
// restores on Redis, and Redis loads a file whose FUNCTION2 records our writer wrote.
func TestFunctionsWithRedis(t *testing.T) {
	s := startRedis(t, "")
	rc := s.conn(t)
	rc.must(t, "FUNCTION", "LOAD", testLib)
	payload := rc.must(t, "FUNCTION", "DUMP").(string)
	codes, err := DecodeFunctionsDump([]byte(payload))
	if err != nil || len(codes) != 1 || string(codes[0]) != testLib {
		t.Fatalf("Redis's FUNCTION DUMP decodes to %q, %v", codes, err)
	}
	rc.must(t, "FUNCTION", "FLUSH")
	rc.must(t, "FUNCTION", "RESTORE", EncodeFunctionsDump([][]byte{[]byte(testLib), []byte(testLib2)}))
	if got := rc.must(t, "FCALL", "rdbecho", 0, "x"); got != "x" {
		t.Fatalf("FCALL after FUNCTION RESTORE of our payload: %v", got)
	}

	dir := t.TempDir()
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	w.WriteStandardAux(0, false)
	w.WriteFunction([]byte(testLib))
	w.WriteFunction([]byte(testLib2))
	w.WriteEntry(&Entry{Key: []byte("k"), Object: Object{Kind: KindString, Str: []byte("v")}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rc2 := startRedis(t, dir).conn(t)
	if got := rc2.must(t, "FCALL", "otherone", 0); got != int64(1) {
		t.Fatalf("FCALL otherone on the loaded file: %v", got)
	}
	if got := rc2.must(t, "GET", "k"); got != "v" {
		t.Fatalf("GET k: %v", got)
	}
}

// TestWriterIdleFreqAlways: under SaveLRU / SaveLFU every key gets its opcode, zero
// included, as rdbSaveKeyValuePair writes it; otherwise only positive values.
func TestWriterIdleFreqAlways(t *testing.T) {
	for _, c := range []struct {
		lru, lfu        bool
		idle, freq      int64
		wantIdle, wantF int64
	}{
		{false, false, 0, 0, -1, -1},
		{false, false, 7, 0, 7, -1},
		{false, false, 0, 9, -1, 9},
		{true, false, 0, 0, 0, -1},
		{true, false, 12, 3, 12, -1},
		{false, true, 0, 0, -1, 0},
		{false, true, 12, 300, -1, 255},
	} {
		var buf bytes.Buffer
		w := NewWriter(&buf, 0)
		w.SaveLRU, w.SaveLFU = c.lru, c.lfu
		w.WriteEntry(&Entry{Key: []byte("k"), Idle: c.idle, Freq: int(c.freq), Object: Object{Kind: KindString, Str: []byte("v")}})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r := NewReader(&buf)
		en, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if en.Idle != c.wantIdle || int64(en.Freq) != c.wantF {
			t.Errorf("%+v: read IDLE %d FREQ %d", c, en.Idle, en.Freq)
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("%+v: after the key: %v", c, err)
		}
	}
}

// TestRedisWritesZeroIdleFreq: what Redis 7.0 itself writes for a key of idle 0 / LFU 0
// under each policy, read back with the reader (the reference for the writer's flags).
func TestRedisWritesZeroIdleFreq(t *testing.T) {
	for policy, want := range map[string][2]int64{
		"allkeys-lru": {0, -1}, "volatile-lfu": {-1, 0}, "noeviction": {-1, -1},
	} {
		s := startRedis(t, "", "--maxmemory-policy", policy)
		rc := s.conn(t)
		rc.must(t, "SET", "src", "v")
		p := rc.must(t, "DUMP", "src")
		rc.must(t, "DEL", "src")
		opt := []any{"RESTORE", "k", 0, p}
		if strings.Contains(policy, "lfu") {
			opt = append(opt, "FREQ", 0)
		} else if strings.Contains(policy, "lru") {
			opt = append(opt, "IDLETIME", 0)
		}
		rc.must(t, opt...)
		rc.must(t, "SAVE")
		f, err := os.Open(filepath.Join(s.dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		en, err := NewReader(f).Next()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if en.Idle != want[0] || int64(en.Freq) != want[1] {
			t.Errorf("%s: Redis wrote IDLE %d FREQ %d, want %v", policy, en.Idle, en.Freq, want)
		}
	}
}

func FuzzDecodeFunctionsDump(f *testing.F) {
	f.Add(EncodeFunctionsDump([][]byte{[]byte(testLib), []byte(testLib2)}))
	f.Add(EncodeFunctionsDump(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var codes [][]byte
		var err error
		allocGuard(t, len(data), func() { codes, err = DecodeFunctionsDump(data) })
		if err != nil {
			return
		}
		again, err := DecodeFunctionsDump(EncodeFunctionsDump(codes))
		if err != nil || len(again) != len(codes) {
			t.Fatalf("re-encoded %q: %q, %v", codes, again, err)
		}
		for i := range codes {
			if !bytes.Equal(codes[i], again[i]) {
				t.Fatalf("library %d: %q became %q", i, codes[i], again[i])
			}
		}
	})
}
