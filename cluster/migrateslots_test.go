package cluster

import (
	"bytes"
	"errors"
	"testing"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// keyIn returns a key whose slot is in (in=true) or out of 0..99.
func keyIn(in bool) string {
	for i := 0; ; i++ {
		k := "key" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
		if (keyslot.Of([]byte(k)) < 100) == in {
			return k
		}
	}
}

func argv(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func TestSlotFilter(t *testing.T) {
	f := NewSlotFilter([]engine.SlotRange{{Start: 0, End: 99}})
	in, out := keyIn(true), keyIn(false)
	in2 := "{" + in + "}x"
	for _, c := range []struct {
		argv [][]byte
		keep bool
		err  bool
	}{
		{argv("SET", in, "v"), true, false},
		{argv("set", out, "v"), false, false},
		{argv("DEL", in, in2), true, false},
		{argv("DEL", in, out), false, true},
		{argv("PEXPIREAT", in, "123"), true, false},
		{argv("SELECT", "0"), false, false},
		{argv("MULTI"), false, false},
		{argv("EXEC"), false, false},
		{argv("PING"), false, false},
		{argv("FLUSHALL"), false, true},
		{argv("FLUSHDB"), false, true},
		{argv("SWAPDB", "0", "1"), false, true},
		{argv("SCRIPT", "LOAD", "return 1"), false, false},
		{argv("NOSUCHCOMMAND", in), false, false},
		{argv("SET", in), false, false}, // wrong arity: no keys found
		{nil, false, false},
	} {
		keep, err := f.Keep(c.argv)
		if keep != c.keep || (err != nil) != c.err || err != nil && !errors.Is(err, ErrUnmovable) {
			t.Errorf("%q: keep=%v err=%v, want keep=%v err=%v", c.argv, keep, err, c.keep, c.err)
		}
	}
}

func TestFramesAndRanges(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, FrameCommands, AppendCommand(nil, argv("SET", "a", "b"))); err != nil {
		t.Fatal(err)
	}
	WriteFrame(&b, FrameEnd, nil)
	typ, p, err := ReadFrame(&b)
	if err != nil || typ != FrameCommands || string(p) != "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n" {
		t.Fatalf("%q %q %v", typ, p, err)
	}
	if typ, p, err := ReadFrame(&b); err != nil || typ != FrameEnd || len(p) != 0 {
		t.Fatalf("%q %q %v", typ, p, err)
	}
	for _, bad := range [][]byte{
		{'X', 0, 0, 0, 0},      // unknown type
		{'C', 0xff, 0, 0, 0},   // too long
		{'C', 0, 0, 0, 5, 'a'}, // truncated
		{'C', 0},               // truncated header
	} {
		if _, _, err := ReadFrame(bytes.NewReader(bad)); err == nil {
			t.Errorf("frame %x accepted", bad)
		}
	}
	rs, err := ParseRanges("0-99 200-200 16000-16383")
	if err != nil || FormatRanges(rs) != "0-99 200-200 16000-16383" {
		t.Fatalf("%v %v", rs, err)
	}
	for _, bad := range []string{"", "5-1", "0-16384", "x", "1"} {
		if _, err := ParseRanges(bad); err == nil {
			t.Errorf("ParseRanges(%q) accepted", bad)
		}
	}
}
