package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigMissingEmptyCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := "0123456789abcdef0123456789abcdef01234567 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\nvars currentEpoch 1 lastVoteEpoch 0\n"
	for _, tc := range []struct {
		name    string
		data    *string // nil: no file
		wantNil bool
		wantErr string
	}{
		{"missing", nil, true, ""},
		{"empty", ptr(""), true, ""},
		{"good", ptr(good), false, ""},
		{"corrupt", ptr("vars currentEpoch 0 lastVoteEpoch 0\nnot a node\n"), false, `corrupted cluster config file "` + filepath.Join(dir, "corrupt") + `": corrupted cluster config, line 2`},
	} {
		path := filepath.Join(dir, tc.name)
		if tc.data != nil {
			if err := os.WriteFile(path, []byte(*tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := loadConfig(path)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || (c == nil) != tc.wantNil {
			t.Errorf("%s: config %v, error %v", tc.name, c, err)
		}
		if c != nil && (len(c.Nodes) != 1 || c.CurrentEpoch != 1) {
			t.Errorf("%s: parsed %+v", tc.name, c)
		}
	}
}

func ptr(s string) *string { return &s }

// writeConfig replaces the file whole and leaves no temp file behind.
func TestWriteConfigReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	for _, data := range []string{"a much longer first version\n", "short\n"} {
		for _, sync := range []bool{false, true} {
			if err := writeConfig(path, []byte(data), sync); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != data {
				t.Fatalf("read back %q, %v; want %q", got, err, data)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only nodes.conf", len(entries))
	}
	if err := writeConfig(filepath.Join(dir, "missing", "nodes.conf"), []byte("x"), true); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}
