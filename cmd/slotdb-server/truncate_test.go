package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestStartTruncatesAOF: a truncated AOF loaded with aof-load-truncated yes is cut back on
// disk to its last valid command, with Redis 7.0.15's log lines (sizes checked against a real
// redis-server on the same files: 2030 for both corpus files, 1321 for the incr file cut 7
// bytes short).
func TestStartTruncatesAOF(t *testing.T) {
	d := td(t)
	cases := []struct {
		name, src, as, file string
		cut                 int64 // bytes cut off file's end before starting
		size                int64 // expected size after the load
		revert              bool  // an unterminated MULTI
	}{
		{"truncated", "aof/truncated/appendonly.aof", "appendonly.aof", "appendonly.aof", 0, 2030, false},
		{"truncated-multi", "aof/truncated-multi/appendonly.aof", "appendonly.aof", "appendonly.aof", 0, 2030, true},
		{"multipart-incr", "aof/multipart-rdb-base/appendonlydir", "appendonlydir", "appendonlydir/appendonly.aof.2.incr.aof", 7, 1321, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyInto(t, dir, filepath.Join(d, tc.src), tc.as)
			path := filepath.Join(dir, tc.file)
			if tc.cut > 0 {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(path, st.Size()-tc.cut); err != nil {
					t.Fatal(err)
				}
			}
			s := proctest.StartSlotdb(t, "--dir", dir, "--appendonly", "yes")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != tc.size {
				t.Fatalf("%s is %d bytes after the load, want %d", tc.file, st.Size(), tc.size)
			}
			name := filepath.Base(tc.file)
			log := s.LogTail(1 << 16)
			want := []string{
				"!!! Warning: short read while loading the AOF file " + name + "!!!",
				"!!! Truncating the AOF " + name + " at offset ",
				"AOF " + name + " loaded anyway because aof-load-truncated is enabled",
			}
			if tc.revert {
				want = append(want, "Revert incomplete MULTI/EXEC transaction in AOF file "+name)
			}
			for _, w := range want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			// The key of the cut command is gone; the rest loaded.
			c := s.Dial(t)
			if n, err := c.Do("EXISTS", "truncated:key", "multi:lost1", "multi:lost2"); err != nil || string(n) != ":0\r\n" {
				t.Fatalf("EXISTS of dropped keys = %q, %v", n, err)
			}
		})
	}
}
