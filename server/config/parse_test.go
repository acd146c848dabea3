package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // nil: unbalanced
	}{
		{"", []string{}},
		{"  a  b\tc ", []string{"a", "b", "c"}},
		{`"a b" 'c d'`, []string{"a b", "c d"}},
		{`"\n\r\t\b\a\\\"\x41\x4a\xzz"`, []string{"\n\r\t\b\a\\\"AJxzz"}},
		{`'it\'s' 'a\nb'`, []string{"it's", `a\nb`}},
		{`ab"cd"`, []string{"abcd"}},
		{`"" ''`, []string{"", ""}},
		{`"abc"x`, nil},
		{`'abc'x`, nil},
		{`"abc`, nil},
		{`'abc`, nil},
		{`"abc\`, nil},
		{"a\vb", []string{"a\vb"}},
	} {
		got, ok := SplitArgs(tc.in)
		if tc.want == nil {
			if ok {
				t.Errorf("SplitArgs(%q) = %q, want unbalanced", tc.in, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitArgs(%q) = %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
}

func FuzzReprSplit(f *testing.F) {
	for _, s := range []string{"", "a b", "\x00\xff\"\\", "\n\r\t\a\b", "'", "x\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := SplitArgs(Repr(s))
		if !ok || len(got) != 1 || got[0] != s {
			t.Fatalf("SplitArgs(Repr(%q)) = %q %v", s, got, ok)
		}
		SplitArgs(s) // must not panic on anything
	})
}

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  bool
	}{
		{"0", 0, false}, {"", 0, false}, {"kb", 0, false}, {"1b", 1, false}, {"1k", 1000, false},
		{"1KB", 1024, false}, {"1m", 1000000, false}, {"1mb", 1 << 20, false}, {"1g", 1e9, false},
		{"2Gb", 2 << 30, false}, {"-1", 0, true}, {"1x", 0, true}, {"1 kb", 0, true}, {"1.5mb", 0, true},
		{"99999999999999999999", 1<<64 - 1, false}, {"18446744073709551615kb", 18446744073709550592, false},
		{strings.Repeat("1", 128), 0, true},
	} {
		got, err := ParseMemory(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v", tc.in, got, err)
		}
	}
	for v, want := range map[int64]string{0: "0", 1023: "1023", 1024: "1kb", 3 << 20: "3mb", 2 << 30: "2gb", 1025 << 10: "1025kb"} {
		if got := FormatMemory(v); got != want {
			t.Errorf("FormatMemory(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestStringMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		nocase bool
		want   bool
	}{
		{"*", "", false, false} /* as Redis: the loop never runs */, {"*", "abc", false, true}, {"a*c", "abbbc", false, true},
		{"a?c", "abc", false, true}, {"a?c", "ac", false, false}, {"[abc]x", "bx", false, true},
		{"[^abc]x", "bx", false, false}, {"[a-c]x", "cx", false, true}, {"[c-a]x", "bx", false, true},
		{"[a-c]x", "Cx", true, true}, {"[a-c]x", "Cx", false, false}, {`a\*b`, "a*b", false, true},
		{`a\*b`, "axb", false, false}, {"MAX*", "maxmemory", true, true}, {"MAX*", "maxmemory", false, false},
		{"[abc", "a", false, true}, {"[", "", false, false}, {"a**", "a", false, true}, {"*a*b", "xaxb", false, true},
		{`[\]]`, "]", false, true}, {"ab", "abc", false, false}, {"abc", "ab", false, false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false, false},
	} {
		if got := StringMatch(tc.pat, tc.s, tc.nocase); got != tc.want {
			t.Errorf("StringMatch(%q, %q, %v) = %v", tc.pat, tc.s, tc.nocase, got)
		}
	}
}

func FuzzStringMatch(f *testing.F) {
	f.Add("*a?[b-c]\\", "abc")
	f.Add("[^", "x")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 64 || len(s) > 64 {
			return
		}
		StringMatch(pat, s, true)
		if !strings.ContainsAny(pat, `*?[\`) && StringMatch(pat, s, false) != (pat == s) {
			t.Fatalf("literal %q vs %q", pat, s)
		}
	})
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want Args
	}{
		{nil, Args{}},
		{[]string{"-v"}, Args{Version: true}},
		{[]string{"r.conf"}, Args{File: "r.conf"}},
		{[]string{"r.conf", "--port", "7000", "--bind", "a", "b"}, Args{File: "r.conf", Options: `port "7000" ` + "\n" + `bind "a" "b" `}},
		{[]string{"--save", "--port", "1"}, Args{Options: `save ""` + "\n" + `port "1" `}},
		{[]string{"--port", "1", "--save"}, Args{Options: `port "1" ` + "\n" + `save ""`}},
		{[]string{"--port 1", "--x"}, Args{Options: "port 1 \nx "}},
		{[]string{"-", "--port", "1"}, Args{Stdin: true, Options: `port "1" `}},
		{[]string{"r.conf", "--port", "1", "-"}, Args{File: "r.conf", Stdin: true, Options: `port "1" `}},
		{[]string{"r.conf", "-", "--x"}, Args{File: "r.conf", Options: `"-" ` + "\nx "}},
	} {
		if got := ParseArgs(tc.argv); got != tc.want {
			t.Errorf("ParseArgs(%q) =\n %+v\nwant %+v", tc.argv, got, tc.want)
		}
	}
	for in, want := range map[string]string{"/a/b": "/a/b", "x.conf": "/w/d/x.conf", "../x": "/w/x", "../../../x": "/x", " y ": "/w/d/y"} {
		if got := absolutePath("/w/d", in); got != want {
			t.Errorf("absolutePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadSemantics(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(name, body string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sub/inc.conf", "maxmemory 1mb\n")
	write("a.conf", "save 10 1\nsave 20 2\nactiverehashing no\nlist-max-ziplist-entries 1\ndir sub\ninclude inc.conf\nsave 30 3\nsave 40 4\nSLAVEOF h 1\nuser x on\n")
	c, err := Load(ParseArgs([]string{"a.conf", "--timeout", "5"}), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// After an include Redis forgets it is reading a file: save replaces.
	if got := c.String("save"); got != "40 4" {
		t.Errorf("save = %q", got)
	}
	if c.Memory("maxmemory") != 1<<20 || c.Int("timeout") != 5 || c.Bool("activerehashing") {
		t.Errorf("values: %d %d %v", c.Memory("maxmemory"), c.Int("timeout"), c.Bool("activerehashing"))
	}
	if h, p, ok := c.ReplicaOf(); !ok || h != "h" || p != 1 {
		t.Errorf("replicaof %q %d %v", h, p, ok)
	}
	if got := c.Ignored(); !reflect.DeepEqual(got, []string{"activerehashing", "list-max-ziplist-entries", "user"}) {
		t.Errorf("Ignored = %q", got)
	}
	if c.Dir() != filepath.Join(dir, "sub") || c.File() != filepath.Join(dir, "a.conf") {
		t.Errorf("dir %q file %q", c.Dir(), c.File())
	}
	if s := c.Snapshot(); s.Timeout != 5 || s.MaxMemory != 1<<20 || len(s.Save) != 1 || s.Port != 6379 {
		t.Errorf("snapshot %+v", s)
	}
}

func TestSetAtomicAndCallbacks(t *testing.T) {
	c := New()
	var seen []string
	c.OnChange("maxmemory", func(v string) error { seen = append(seen, "maxmemory="+v); return nil })
	c.OnChange("timeout", func(v string) error {
		if v == "13" {
			return errors.New("unlucky")
		}
		return nil
	})
	if err := c.Set("maxmemory", "1kb", "timeout", "5"); err != nil {
		t.Fatal(err)
	}
	err := c.Set("maxmemory", "2kb", "timeout", "13")
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'timeout') - unlucky" {
		t.Fatalf("got %v", err)
	}
	if c.Int("maxmemory") != 1024 || c.Int("timeout") != 5 {
		t.Errorf("not rolled back: %d %d", c.Int("maxmemory"), c.Int("timeout"))
	}
	want := []string{"maxmemory=1024", "maxmemory=2048", "maxmemory=1024"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("callbacks %q, want %q", seen, want)
	}
	for args, msg := range map[string]string{
		"maxmemory":          "ERR wrong number of arguments for 'config|set' command",
		"maxmemory 1 x":      "ERR syntax error",
		"dbfilename x.rdb":   "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config",
		"appendonly yes":     "LOADING Redis is loading the dataset in memory",
		"slaveof h 1":        "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config",
		"slave-priority abc": "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer",
	} {
		f := strings.Fields(args)
		if len(f) == 3 && f[0] == "slaveof" {
			f = []string{"slaveof", "h 1"}
		}
		err := c.SetWith(SetOptions{Loading: true}, f...)
		if err == nil || err.Error() != msg {
			t.Errorf("Set %q: got %v, want %q", args, err, msg)
		}
	}
	if err := c.SetWith(SetOptions{Local: true}, "dbfilename", "x.rdb"); err == nil {
		t.Error("protected config set with enable-protected-configs no")
	}
}
