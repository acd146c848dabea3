package sds

import (
	"fmt"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want string // fmt of the args, or "unbalanced"
	}{
		{"", "[]"},
		{"  set  k v ", "[set k v]"},
		{`set k "a b\x41\n"`, "[set k a bA\n]"},
		{`set k 'it\'s'`, "[set k it's]"},
		{`"a"b`, "unbalanced"}, // closing quote must be followed by a blank
		{`'a'b`, "unbalanced"},
		{`"abc`, "unbalanced"},
		{`'abc`, "unbalanced"},
		{`a"b c"`, "[ab c]"}, // quotes may start inside a word
		{"a\x00b c", "[a]"},  // a C string: the NUL ends the line
		{`"\q\\\""`, `[q\"]`},
		{`"\x4g"`, "[x4g]"},
	}
	for _, c := range cases {
		args, ok := SplitArgs(c.in)
		got := "unbalanced"
		if ok {
			got = fmt.Sprint(args)
		}
		if got != c.want {
			t.Errorf("SplitArgs(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestReprRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", "quote\"back\\slash", "\x00\x01\xff\n\r\t\a\b"} {
		args, ok := SplitArgs(Repr(s))
		if s == "" {
			if !ok || len(args) != 1 || args[0] != "" {
				t.Errorf("Repr(%q) = %s does not round trip", s, Repr(s))
			}
			continue
		}
		if !ok || len(args) != 1 || args[0] != s && s[0] != 0 {
			t.Errorf("Repr(%q) = %s splits to %q", s, Repr(s), args)
		}
	}
	if NeedsRepr("plain") || !NeedsRepr("a b") || !NeedsRepr("\x01") {
		t.Error("NeedsRepr")
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`set "a\x41" 'b\''`, `"unterminated`, "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, ok := SplitArgs(s)
		if !ok {
			return
		}
		for _, a := range args {
			if got, ok := SplitArgs(Repr(a)); !ok || len(got) != 1 || (got[0] != a && !containsNUL(a)) {
				t.Fatalf("Repr(%q) does not round trip: %q", a, got)
			}
		}
	})
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
