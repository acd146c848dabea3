package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestStartLoadsFunctions: the function libraries of a dump.rdb (FUNCTION2 records) are
// installed on start, callable, and kept across a restart.
func TestStartLoadsFunctions(t *testing.T) {
	dir := t.TempDir()
	copyInto(t, dir, filepath.Join(td(t), "rdb/functions.rdb"), "dump.rdb")
	s := proctest.StartSlotdb(t, "--dir", dir)
	check := func() {
		t.Helper()
		c := s.Dial(t)
		got, err := c.Do("FCALL", "myecho", "0", "hello")
		if err != nil || string(got) != "$5\r\nhello\r\n" {
			t.Fatalf("FCALL myecho = %q, %v", got, err)
		}
		got, err = c.Do("FUNCTION", "LIST", "WITHCODE")
		if err != nil || !strings.Contains(string(got), "mylib") ||
			!strings.Contains(string(got), "redis.register_function('myecho'") {
			t.Fatalf("FUNCTION LIST WITHCODE = %q, %v", got, err)
		}
	}
	check()
	s.Restart()
	check()
}
