package config

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type fatalCase struct {
	Name   string            `json:"name"`
	Files  map[string]string `json:"files"`
	Args   []string          `json:"args"`
	Stdin  string            `json:"stdin"`
	Stderr string            `json:"stderr"`
	Log    string            `json:"log"`
	OK     bool              `json:"ok"`
}

// TestFatalGolden loads each captured case and compares the error with the
// bytes the real redis-server wrote to stderr (or the fatal line it logged).
func TestFatalGolden(t *testing.T) {
	cases := readJSONL[fatalCase](t, "fatal.jsonl")
	for _, fc := range cases {
		t.Run(fc.Name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range fc.Files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			_, err := Load(ParseArgs(fc.Args), LoadOptions{Stdin: strings.NewReader(fc.Stdin)})
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), dir, "$DIR")
			}
			var fe *FatalError
			switch {
			case fc.OK:
				if err != nil {
					t.Fatalf("redis-server started, Load failed: %v", err)
				}
			case fc.Stderr != "":
				if !errors.As(err, &fe) || got != fc.Stderr {
					t.Fatalf("got  %q (%T)\nwant %q", got, err, fc.Stderr)
				}
			default:
				if err == nil || got != fc.Log {
					t.Fatalf("got  %q\nwant %q", got, fc.Log)
				}
			}
		})
	}
}

type rewriteCase struct {
	Name   string     `json:"name"`
	Conf   string     `json:"conf"`
	Args   []string   `json:"args"`
	Late   string     `json:"late"`
	Sets   [][]string `json:"sets"`
	Port   int        `json:"port"`
	Result string     `json:"result"`
}

// TestRewriteGolden replays each CONFIG REWRITE case. Redis appends new lines
// in its hash table's (random) order, so the trailing appended block is
// compared as a set; everything before it must match byte for byte.
func TestRewriteGolden(t *testing.T) {
	for _, rc := range readJSONL[rewriteCase](t, "rewrite.jsonl") {
		t.Run(rc.Name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			port := strconv.Itoa(rc.Port)
			conf := filepath.Join(dir, "redis.conf")
			if err := os.WriteFile(conf, []byte(strings.ReplaceAll(rc.Conf, "$PORT", port)), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(ParseArgs(append([]string{conf, "--port", port}, rc.Args...)), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rc.Late != "" {
				f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString(rc.Late)
				f.Close()
			}
			for _, s := range rc.Sets {
				if err := c.Set(s...); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Rewrite(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.ReplaceAll(string(b), dir, "$DIR"), "\n")
			want := strings.Split(rc.Result, "\n")
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			g, w := append([]string(nil), got[i:]...), append([]string(nil), want[i:]...)
			sort.Strings(g)
			sort.Strings(w)
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Fatalf("rewritten file differs from line %d:\n--- got\n%s\n--- want\n%s", i+1, strings.Join(got, "\n"), rc.Result)
			}
			if st, err := os.Stat(conf); err != nil || st.Mode().Perm() != os.FileMode(0o644&^umask()) {
				t.Errorf("mode %v, %v", st.Mode(), err)
			}
		})
	}
}

func TestRewriteWithoutFile(t *testing.T) {
	err := New().Rewrite()
	if err == nil || err.Error() != "ERR The server is running without a config file" {
		t.Fatalf("got %v", err)
	}
}
