package proctest

import (
	"os/exec"
	"testing"
)

// RedisBin is where the reference redis-server is looked for first; PATH is the fallback.
var RedisBin = "/usr/bin/redis-server"

// FindRedis returns the path of redis-server, or an error saying how to install it.
func FindRedis() (string, error) {
	if p, err := exec.LookPath(RedisBin); err == nil {
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errRedisMissing
	}
	return p, nil
}

type missingError string

func (e missingError) Error() string { return string(e) }

const errRedisMissing = missingError("redis-server not found in /usr/bin or PATH: install Redis 7.0 " +
	"(make deps-test, or apt-get install redis-server); these tests need the real server")

// StartRedis starts the real redis-server on a free loopback port in a temp dir, with
// --save ” --appendonly no --bind 127.0.0.1 followed by args (a leading non-option argument is
// a config file, as for redis-server). It waits until the server answers PING and stops exactly
// that PID at cleanup. The test fails, never skips, when redis-server is missing.
func StartRedis(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := FindRedis()
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, "redis", bin, args)
	s.fixed = []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.Dir, "--daemonize", "no", "--logfile", ""}
	s.start()
	t.Cleanup(s.cleanup)
	return s
}
