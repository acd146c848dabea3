package proctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SentinelBin is the reference redis-sentinel (Debian's redis-sentinel package).
var SentinelBin = "/usr/bin/redis-sentinel"

// StartSentinel starts the real redis-sentinel on a free loopback port with conf (the text of
// sentinel.conf: monitor lines and their options) written to a file of its temp dir, which
// sentinel rewrites as it learns. It waits until the sentinel answers PING and stops exactly
// that PID at cleanup. The test fails, never skips, when redis-sentinel is missing.
func StartSentinel(t testing.TB, conf string) *Server {
	t.Helper()
	bin, err := exec.LookPath(SentinelBin)
	if err != nil {
		if bin, err = exec.LookPath("redis-sentinel"); err != nil {
			t.Fatal("redis-sentinel not found in /usr/bin or PATH: install Redis 7.0's sentinel " +
				"(make deps-test, or apt-get install redis-sentinel)")
		}
	}
	s := newServer(t, "sentinel", bin, nil)
	s.conf = filepath.Join(s.Dir, "sentinel.conf")
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.fixed = []string{"--bind", "127.0.0.1", "--dir", s.Dir, "--daemonize", "no", "--logfile", ""}
	s.start()
	t.Cleanup(s.cleanup)
	return s
}
