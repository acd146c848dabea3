package aof

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeFiles creates files (name -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDirRules(t *testing.T) {
	set := func(k string) string { return resp("SET", k, "v") }
	twoFiles := "file b.aof seq 1 type b\nfile i.aof seq 1 type i\n"
	cases := []struct {
		name    string
		files   map[string]string
		want    []string
		loaded  []string
		trunc   string // file named in Result.Truncated
		err     error
		errFile string
	}{
		{name: "base and incr", files: map[string]string{"appendonly.aof.manifest": twoFiles, "b.aof": set("a"), "i.aof": set("b")},
			want: []string{"db0 SET a v", "db0 SET b v"}, loaded: []string{"b.aof", "i.aof"}},
		{name: "several incr in manifest order, history skipped",
			files: map[string]string{
				"appendonly.aof.manifest": "file b.aof seq 1 type b\nfile h.aof seq 1 type h\nfile i1.aof seq 1 type i\nfile i3.aof seq 3 type i\n",
				"b.aof":                   set("a"), "h.aof": "garbage that would fail", "i1.aof": set("b"), "i3.aof": set("c")},
			want: []string{"db0 SET a v", "db0 SET b v", "db0 SET c v"}, loaded: []string{"b.aof", "i1.aof", "i3.aof"}},
		{name: "db resets to 0 per file", files: map[string]string{"appendonly.aof.manifest": twoFiles,
			"b.aof": resp("SELECT", "4") + set("a"), "i.aof": set("b")},
			want: []string{"db4 SELECT 4", "db4 SET a v", "db0 SET b v"}, loaded: []string{"b.aof", "i.aof"}},
		{name: "empty files are fine", files: map[string]string{"appendonly.aof.manifest": twoFiles, "b.aof": "", "i.aof": ""},
			loaded: []string{"b.aof", "i.aof"}},
		{name: "nothing listed", files: map[string]string{"appendonly.aof.manifest": "# empty\n"}},
		{name: "truncated last file tolerated", files: map[string]string{"appendonly.aof.manifest": twoFiles,
			"b.aof": set("a"), "i.aof": set("b") + "*1\r\n$4"},
			want: []string{"db0 SET a v", "db0 SET b v"}, loaded: []string{"b.aof", "i.aof"}, trunc: "i.aof"},
		{name: "truncated file not last", files: map[string]string{"appendonly.aof.manifest": twoFiles,
			"b.aof": set("a") + "*1\r\n$4", "i.aof": set("b")},
			want: []string{"db0 SET a v"}, err: ErrTruncatedNotLast, errFile: "b.aof"},
		{name: "listed file missing: nothing delivered", files: map[string]string{"appendonly.aof.manifest": twoFiles, "b.aof": set("a")},
			err: fs.ErrNotExist, errFile: "i.aof"},
		{name: "bad manifest", files: map[string]string{"appendonly.aof.manifest": "file a seq 1 type z\n"},
			err: ErrManifest, errFile: "appendonly.aof.manifest"},
		{name: "no manifest", files: map[string]string{}, err: fs.ErrNotExist, errFile: "appendonly.aof.manifest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, c.files)
			var es []Entry
			res, err := LoadDir(dir, Options{LoadTruncated: true}, func(e Entry) error { es = append(es, e); return nil })
			if got := renderAll(es); !slices.Equal(got, c.want) {
				t.Errorf("entries = %q, want %q", got, c.want)
			}
			if c.err != nil {
				var e *Error
				if !errors.Is(err, c.err) || !errors.As(err, &e) || e.File != c.errFile {
					t.Fatalf("err = %v, want %v in %s", err, c.err, c.errFile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Files, c.loaded) {
				t.Errorf("loaded %q, want %q", res.Files, c.loaded)
			}
			gotTrunc := ""
			if res.Truncated != nil {
				gotTrunc = res.Truncated.File
			}
			if gotTrunc != c.trunc {
				t.Errorf("truncated file %q, want %q", gotTrunc, c.trunc)
			}
		})
	}
}

// TestLoadPicksLikeRedis covers Load's choice between appendonlydir/ and a
// pre-7.0 appendonly.aof in the data directory.
func TestLoadPicksLikeRedis(t *testing.T) {
	single := resp("SET", "from", "single")
	multi := map[string]string{"appendonly.aof.manifest": "file b.aof seq 1 type b\n", "b.aof": resp("SET", "from", "dir")}
	cases := []struct {
		name     string
		top, dir map[string]string
		want     string // "single", "dir", or "" for not-exist
	}{
		{"only single file", map[string]string{"appendonly.aof": single}, nil, "single"},
		{"only directory", nil, multi, "dir"},
		{"both: directory wins", map[string]string{"appendonly.aof": single}, multi, "dir"},
		{"directory without manifest", map[string]string{"appendonly.aof": single}, map[string]string{"x": ""}, "single"},
		{"interrupted upgrade", map[string]string{"appendonly.aof": single}, map[string]string{"appendonly.aof.manifest": "file appendonly.aof seq 1 type b\n"}, "single"},
		{"nothing", nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, c.top)
			if c.dir != nil {
				writeFiles(t, filepath.Join(root, "appendonlydir"), c.dir)
			}
			var got []string
			_, err := Load(root, Options{}, func(e Entry) error { got = append(got, string(e.Cmds[0].Argv[2])); return nil })
			if c.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("err = %v, want not-exist", err)
				}
				return
			}
			if err != nil || !slices.Equal(got, []string{c.want}) {
				t.Errorf("loaded %q (%v), want %q", got, err, c.want)
			}
		})
	}
}
