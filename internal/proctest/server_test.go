package proctest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFreePortUniqueAndBelowEphemeral(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		p := FreePort(t)
		if p < 1024 || p+BusOffset >= 32768 {
			t.Fatalf("port %d (bus %d) outside [1024, 32768)", p, p+BusOffset)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}

func TestStartRedisDoAndStop(t *testing.T) {
	s := StartRedis(t, "--databases", "4")
	c := s.Dial(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"SET", "k", "a\r\nb"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$4\r\na\r\nb\r\n"},
		{[]string{"GET", "missing"}, "$-1\r\n"},
		{[]string{"SELECT", "5"}, "-ERR DB index is out of range\r\n"},
		{[]string{"CONFIG", "GET", "save"}, "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"},
		{[]string{"HELLO", "3", "SETNAME", "x"}, ""}, // checked below: a RESP3 map
		{[]string{"GET", "missing"}, "_\r\n"},
		{[]string{"CONFIG", "GET", "appendonly"}, "%1\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"},
	} {
		got, err := c.Do(tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if tc.want == "" {
			if !strings.HasPrefix(string(got), "%7\r\n") {
				t.Fatalf("HELLO 3 = %q, want a 7-entry map", got)
			}
			v, err := Decode(got)
			if err != nil || v.(map[string]any)["proto"] != int64(3) || v.(map[string]any)["version"] != "7.0.15" {
				t.Fatalf("HELLO 3 decoded = %v, %v", v, err)
			}
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%q = %q, want %q", tc.args, got, tc.want)
		}
	}
	pid := s.PID
	if !s.Stop() {
		t.Fatal("redis-server did not exit on SIGTERM")
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Fatalf("pid %d still exists after Stop: %v", pid, err)
	}
	if s.Running() {
		t.Fatal("Running() after Stop")
	}
}

func TestKillAndRestartKeepPortAndDir(t *testing.T) {
	s := StartRedis(t)
	port, dir, pid := s.Port, s.Dir, s.PID
	c := s.Dial(t)
	if _, err := c.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if _, err := c.Do("PING"); err == nil {
		t.Fatal("PING succeeded on a killed server")
	}
	s.Restart()
	if s.Port != port || s.Dir != dir || s.PID == pid {
		t.Fatalf("after restart port %d dir %s pid %d; before %d %s %d", s.Port, s.Dir, s.PID, port, dir, pid)
	}
	c2 := s.Dial(t)
	// --save '' and no AOF: nothing survives a restart.
	if got, err := c2.Do("GET", "k"); err != nil || string(got) != "$-1\r\n" {
		t.Fatalf("GET after restart = %q, %v", got, err)
	}
	if !strings.Contains(s.LogTail(100000), "### proctest: ") {
		t.Errorf("log %s lacks the command lines", s.Log)
	}
}

func TestSendReadReplyAndTimeout(t *testing.T) {
	s := StartRedis(t)
	c := s.Dial(t)
	// Pipelined: three replies come back in order.
	for _, cmd := range [][]string{{"INCR", "n"}, {"INCR", "n"}, {"CLIENT", "REPLY", "OFF"}, {"INCR", "n"}} {
		if err := c.Send(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{":1\r\n", ":2\r\n"} {
		if got, err := c.ReadReply(); err != nil || string(got) != want {
			t.Fatalf("ReadReply = %q, %v; want %q", got, err, want)
		}
	}
	c.SetTimeout(200 * time.Millisecond)
	if got, err := c.ReadReply(); err == nil {
		t.Fatalf("got %q after CLIENT REPLY OFF, want a timeout", got)
	}
	if err := c.SendRaw([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "proctest", "server.go")); err != nil {
		t.Fatalf("ModuleRoot() = %s: %v", root, err)
	}
}

func TestConfigFileFirst(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(conf, []byte("databases 3\nsave 60 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := StartRedis(t, conf)
	c := s.Dial(t)
	// The file sets databases; the fixed --save '' after it still wins.
	for args, want := range map[string]string{
		"CONFIG GET databases": "*2\r\n$9\r\ndatabases\r\n$1\r\n3\r\n",
		"CONFIG GET save":      "*2\r\n$4\r\nsave\r\n$0\r\n\r\n",
	} {
		if got, err := c.Do(strings.Fields(args)...); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", args, got, err, want)
		}
	}
}

// A crash (an exit nobody asked for) fails the test unless tolerated; a Kill does not count.
func TestUnexpectedExitIsReported(t *testing.T) {
	for _, tolerate := range []bool{false, true} {
		ft := &fakeT{TB: t}
		s := StartRedis(ft)
		s.TolerateExit = tolerate
		c := s.Dial(t)
		c.Do("SHUTDOWN", "NOSAVE") // the server exits on its own
		for s.Running() {
			time.Sleep(10 * time.Millisecond)
		}
		ft.runCleanups()
		if ft.errored == tolerate || !strings.Contains(ft.logs, "exited unexpectedly") {
			t.Errorf("tolerate=%v: errored=%v logs=%q", tolerate, ft.errored, ft.logs)
		}
	}
	ft := &fakeT{TB: t}
	s := StartRedis(ft)
	s.Kill()
	ft.runCleanups()
	if ft.errored || strings.Contains(ft.logs, "unexpectedly") {
		t.Errorf("Kill reported as a crash: %q", ft.logs)
	}
}

// fakeT records failures and runs cleanups on demand, to test reporting itself.
type fakeT struct {
	testing.TB
	errored  bool
	logs     string
	cleanups []func()
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Error(args ...any) { f.errored = true; f.logs += fmt.Sprint(args...) }
func (f *fakeT) Errorf(format string, args ...any) {
	f.errored = true
	f.logs += fmt.Sprintf(format, args...)
}
func (f *fakeT) Log(args ...any)                 { f.logs += fmt.Sprint(args...) }
func (f *fakeT) Logf(format string, args ...any) { f.logs += fmt.Sprintf(format, args...) }
func (f *fakeT) Failed() bool                    { return f.errored }
func (f *fakeT) Cleanup(fn func())               { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// Push messages (RESP3) and MONITOR lines are read one whole reply at a time.
func TestPushAndMonitor(t *testing.T) {
	s := StartRedis(t)
	sub, mon, pub := s.Dial(t), s.Dial(t), s.Dial(t)
	if _, err := sub.Do("HELLO", "3"); err != nil {
		t.Fatal(err)
	}
	got, err := sub.Do("SUBSCRIBE", "ch")
	if err != nil || string(got) != ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE = %q, %v", got, err)
	}
	if got, err := mon.Do("MONITOR"); err != nil || string(got) != "+OK\r\n" {
		t.Fatalf("MONITOR = %q, %v", got, err)
	}
	if got, err := pub.Do("PUBLISH", "ch", "a\r\nb"); err != nil || string(got) != ":1\r\n" {
		t.Fatalf("PUBLISH = %q, %v", got, err)
	}
	got, err = sub.ReadReply()
	if err != nil || string(got) != ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\na\r\nb\r\n" {
		t.Fatalf("push = %q, %v", got, err)
	}
	line, err := mon.ReadReply()
	if err != nil || !strings.HasPrefix(string(line), "+") || !strings.HasSuffix(string(line), `"PUBLISH" "ch" "a\r\nb"`+"\r\n") {
		t.Fatalf("MONITOR line = %q, %v", line, err)
	}
}
