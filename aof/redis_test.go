package aof

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// startRedis runs a real redis-server 7.0 with appendonly yes on dataDir and
// returns a connection; the server is killed when the test ends.
func startRedis(t *testing.T, dataDir string) (net.Conn, *bufio.Reader) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server 7.0 is required (make deps-test): %v", err)
	}
	var port int
	for range 50 {
		p := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			port = p
			break
		}
	}
	if port == 0 {
		t.Fatal("no free port")
	}
	logPath := filepath.Join(dataDir, "redis.log")
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--dir", dataDir, "--logfile", logPath, "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server exited (%v); log:\n%s", err, log)
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			// PING answers -LOADING until the AOF is loaded.
			if reply := roundTrip(t, c, br, "PING"); reply == "+PONG\r\n" {
				return c, br
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server not ready; log:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// roundTrip sends one command and returns the raw reply bytes.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, argv ...string) string {
	t.Helper()
	if _, err := c.Write(AppendCommand(nil, args(argv...)...)); err != nil {
		t.Fatal(err)
	}
	reply, err := readReply(br)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

// readReply reads one RESP2 reply and returns it verbatim.
func readReply(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 {
		return "", fmt.Errorf("short reply line %q", line)
	}
	switch line[0] {
	case '+', '-', ':':
		return line, nil
	case '$':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return line + string(buf), nil
	case '*':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		out := line
		for range max(n, 0) {
			r, err := readReply(br)
			if err != nil {
				return "", err
			}
			out += r
		}
		return out, nil
	}
	return "", fmt.Errorf("unknown reply %q", line)
}

// TestRealRedisLoadsWriterOutput: a real redis-server 7.0 started on what
// DirWriter produced serves the keys, and keeps our manifest byte for byte.
func TestRealRedisLoadsWriterOutput(t *testing.T) {
	rdbBase, err := os.ReadFile(filepath.Join(testdata(t), "multipart-rdb-base", "appendonlydir", "appendonly.aof.2.base.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	type check struct {
		argv []string
		want string
	}
	cases := []struct {
		name   string
		base   func(w *DirWriter) error
		checks []check
	}{
		{"resp base", func(w *DirWriter) error {
			return w.WriteBaseAOF(func(e *Encoder) error {
				e.Timestamp(1795305002)
				e.WriteDB(0, args("SET", "s", "hello")...)
				e.WriteDB(0, args("RPUSH", "l", "a", "b", "c")...)
				e.WriteDB(0, args("SADD", "set", "x")...)
				e.WriteDB(0, args("HMSET", "h", "f", "v")...)
				e.WriteDB(0, args("ZADD", "z", "2.5", "m")...)
				e.WriteDB(0, args("SET", "ttl", "x")...)
				e.WriteDB(0, args("PEXPIREAT", "ttl", "4102444800000")...)
				return e.WriteDB(1, args("SET", "k1", "in db1")...)
			})
		}, []check{
			{[]string{"GET", "s"}, "$5\r\nhello\r\n"},
			{[]string{"LRANGE", "l", "0", "-1"}, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
			{[]string{"SISMEMBER", "set", "x"}, ":1\r\n"},
			{[]string{"HGET", "h", "f"}, "$1\r\nv\r\n"},
			{[]string{"ZSCORE", "z", "m"}, "$3\r\n2.5\r\n"},
			{[]string{"PEXPIRETIME", "ttl"}, ":4102444800000\r\n"},
		}},
		{"rdb base", func(w *DirWriter) error {
			return w.WriteBaseRDB(func(wr io.Writer) error { _, err := wr.Write(rdbBase); return err })
		}, []check{
			{[]string{"GET", "base:string"}, "$18\r\nfrom the base file\r\n"},
			{[]string{"LRANGE", "base:list", "0", "-1"}, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		}},
	}
	common := []check{
		{[]string{"GET", "a"}, "$1\r\n1\r\n"},
		{[]string{"GET", "b"}, "$1\r\n2\r\n"},
		{[]string{"GET", "bin"}, "$4\r\n\x00\xff\r\n\r\n"},
		{[]string{"EXISTS", "gone"}, ":0\r\n"},
		{[]string{"SELECT", "2"}, "+OK\r\n"},
		{[]string{"GET", "k2"}, "$6\r\nin db2\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			dir := filepath.Join(data, "appendonlydir")
			w, err := NewDirWriter(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.base(w); err != nil {
				t.Fatal(err)
			}
			err = w.WriteIncr(func(e *Encoder) error {
				e.WriteDB(0, args("MULTI")...)
				e.WriteDB(0, args("SET", "a", "1")...)
				e.WriteDB(0, args("SET", "b", "2")...)
				e.Write(args("EXEC")...)
				e.WriteDB(0, args("SET", "bin", "\x00\xff\r\n")...)
				e.WriteDB(0, args("SET", "gone", "x")...)
				e.WriteDB(0, args("DEL", "gone")...)
				return e.WriteDB(2, args("SET", "k2", "in db2")...)
			})
			if err != nil {
				t.Fatal(err)
			}
			m, err := w.Commit()
			if err != nil {
				t.Fatal(err)
			}
			conn, br := startRedis(t, data)
			defer conn.Close()
			for _, ck := range append(c.checks, common...) {
				if got := roundTrip(t, conn, br, ck.argv...); got != ck.want {
					t.Errorf("%q = %q, want %q", ck.argv, got, ck.want)
				}
			}
			if got := roundTrip(t, conn, br, "SELECT", "1"); got != "+OK\r\n" {
				t.Fatal(got)
			}
			if c.name == "resp base" {
				if got := roundTrip(t, conn, br, "GET", "k1"); got != "$6\r\nin db1\r\n" {
					t.Errorf("db1 k1 = %q", got)
				}
			}
			raw, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
			if string(raw) != string(m.Bytes()) {
				t.Errorf("redis rewrote the manifest: %q, ours %q", raw, m.Bytes())
			}
		})
	}
}
