package config

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readJSONL decodes testdata/<name>, one JSON value per line, into out.
func readJSONL[T any](t *testing.T, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}

// loadIn loads argv with the working directory set to a fresh temp dir,
// returned with the config.
func loadIn(t *testing.T, argv ...string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := Load(ParseArgs(argv), LoadOptions{})
	if err != nil {
		t.Fatalf("Load(%q): %v", argv, err)
	}
	return c, dir
}

func TestGetDefaultsGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/get_defaults.txt")
	if err != nil {
		t.Fatal(err)
	}
	c, dir := loadIn(t, "--port", "6380", "--daemonize", "no")
	var want, hidden []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "hidden "):
			hidden = append(hidden, strings.TrimPrefix(l, "hidden "))
		default:
			want = append(want, l)
		}
	}
	var got []string
	for _, nv := range c.Get("*") {
		v := nv.Value
		switch nv.Name {
		case "dir": // the process's working directory
			v = strings.ReplaceAll(v, dir, "$DIR")
		case "port": // the generator's server listened on a free port
			v = "$PORT"
		}
		got = append(got, nv.Name+"\t"+v)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CONFIG GET * differs from redis-server:\n got %d lines\nwant %d lines\n%s", len(got), len(want), diffLines(got, want))
	}
	for _, h := range hidden {
		name, val, _ := strings.Cut(h, "\t")
		if got := c.Get(name); len(got) != 1 || got[0].Value != val {
			t.Errorf("hidden %s: got %v, want %q", name, got, val)
		}
		if got := c.Get(name + "*"); len(got) != 0 && got[0].Name == name {
			t.Errorf("hidden %s matched a pattern", name)
		}
	}
}

func diffLines(got, want []string) string {
	in := map[string]bool{}
	for _, g := range got {
		in[g] = true
	}
	var b strings.Builder
	for _, w := range want {
		if !in[w] {
			b.WriteString("missing: " + w + "\n")
		}
		delete(in, w)
	}
	for g := range in {
		b.WriteString("extra:   " + g + "\n")
	}
	return b.String()
}

type setProbe struct {
	Args  []string    `json:"args"`
	Reply string      `json:"reply"`
	After [][2]string `json:"after"`
}

// TestSetProbesGolden replays every CONFIG SET the generator sent to the
// real server, in order, and compares each reply and the values after it.
func TestSetProbesGolden(t *testing.T) {
	recs := readJSONL[json.RawMessage](t, "set_probes.jsonl")
	var meta struct{ Port string }
	if err := json.Unmarshal(recs[0], &meta); err != nil {
		t.Fatal(err)
	}
	c, dir := loadIn(t, "--port", meta.Port, "--daemonize", "no")
	fails := 0
	for _, raw := range recs[1:] {
		var p setProbe
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		reply := "OK"
		if err := c.Set(p.Args...); err != nil {
			reply = "-" + err.Error()
		}
		var names []string
		for i := 0; i < len(p.Args); i += 2 {
			names = append(names, p.Args[i])
		}
		var after [][2]string
		for _, nv := range c.Get(names...) {
			after = append(after, [2]string{nv.Name, strings.ReplaceAll(nv.Value, dir, "$DIR")})
		}
		if reply != p.Reply || !equalPairs(after, p.After) {
			t.Errorf("CONFIG SET %q:\n got %q %q\nwant %q %q", p.Args, reply, after, p.Reply, p.After)
			if fails++; fails > 20 {
				t.Fatal("too many failures")
			}
		}
	}
}

func equalPairs(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGetProbesGolden(t *testing.T) {
	type getProbe struct {
		Patterns []string    `json:"patterns"`
		Result   [][2]string `json:"result"`
	}
	probes := readJSONL[getProbe](t, "get_probes.jsonl")
	c, dir := loadIn(t, "--port", "6380", "--daemonize", "no")
	for _, p := range probes {
		var got [][2]string
		for _, nv := range c.Get(p.Patterns...) {
			v := strings.ReplaceAll(nv.Value, dir, "$DIR")
			if strings.EqualFold(nv.Name, "port") {
				v = "$PORT"
			}
			got = append(got, [2]string{nv.Name, v})
		}
		want := p.Result
		for i := range want {
			if strings.EqualFold(want[i][0], "port") {
				want[i][1] = "$PORT"
			}
		}
		if !equalPairs(got, want) {
			t.Errorf("CONFIG GET %q:\n got %q\nwant %q", p.Patterns, got, want)
		}
	}
}
