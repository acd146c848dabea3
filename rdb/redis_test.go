package rdb

import (
	"bufio"
	"fmt"
	"math/rand"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisServer is a real redis-server started by a test.
type redisServer struct {
	cmd  *exec.Cmd
	addr string
	dir  string
}

// startRedis starts redis-server on a free loopback port below 32768 with
// the given extra arguments; it is killed when the test ends.
func startRedis(t *testing.T, dir string, args ...string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed (make deps-test): ", err)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for attempt := 0; attempt < 20; attempt++ {
		port := 20000 + rng.Intn(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--logfile", "redis.log", "--daemonize", "no"}, args...)
		cmd := exec.Command(bin, all...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s := &redisServer{cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", s.addr); err == nil {
				rc := &respConn{c: c, r: bufio.NewReader(c)}
				if v, err := rc.do("PING"); err == nil && v == "PONG" {
					c.Close()
					return s
				}
				c.Close()
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Fatal("could not start redis-server")
	return nil
}

func (s *redisServer) conn(t *testing.T) *respConn {
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &respConn{c: c, r: bufio.NewReader(c)}
}

// respConn is a minimal RESP2 client: enough for these tests.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

// respError is an error reply.
type respError string

func (e respError) Error() string { return string(e) }

// do sends a command; replies come back as string (simple/bulk), int64,
// nil, []any, or a respError.
func (rc *respConn) do(args ...any) (any, error) {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		var s []byte
		switch v := a.(type) {
		case string:
			s = []byte(v)
		case []byte:
			s = v
		case int:
			s = strconv.AppendInt(nil, int64(v), 10)
		case int64:
			s = strconv.AppendInt(nil, v, 10)
		default:
			panic(fmt.Sprintf("bad arg %T", a))
		}
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, "\r\n"...)
		b = append(b, s...)
		b = append(b, "\r\n"...)
	}
	if _, err := rc.c.Write(b); err != nil {
		return nil, err
	}
	return rc.read()
}

func (rc *respConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, respError(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			v, err := rc.read()
			if err != nil {
				if _, ok := err.(respError); !ok {
					return nil, err
				}
				v = err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("bad reply %q", line)
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// must runs a command and fails the test on an error reply.
func (rc *respConn) must(t *testing.T, args ...any) any {
	t.Helper()
	v, err := rc.do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
