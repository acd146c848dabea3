// Command expire measures the active expiry rate: it loads N keys that all expire at the same
// moment into a fresh slotdb-server and a fresh redis-server, never touches them again, and
// times how long each takes until DBSIZE reaches 0.
//
//	go run ./bench/expire [-keys 200000]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	keys := flag.Int("keys", 200000, "keys to expire")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "slotdb-bench-expire-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "slotdb-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
	build.Stderr = os.Stderr
	check(build.Run())

	for _, s := range []struct{ name, bin string }{{"redis-server", "redis-server"}, {"slotdb", bin}} {
		port := 21000 + os.Getpid()%3000
		for !free(port) {
			port++
		}
		dir := filepath.Join(tmp, s.name)
		check(os.MkdirAll(dir, 0o755))
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}
		if s.name == "redis-server" {
			args = append(args, "--save", "", "--appendonly", "no")
		}
		cmd := exec.Command(s.bin, args...)
		check(cmd.Start())
		conn := dial(port)
		rate, elapsed := run(conn, *keys)
		fmt.Printf("%-12s %d keys expired in %v after their deadline: %.0f keys/s\n", s.name, *keys, elapsed.Round(time.Millisecond), rate)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
}

// run loads keys expiring 2 s from now, then polls DBSIZE until it is 0.
func run(c net.Conn, n int) (float64, time.Duration) {
	w := bufio.NewWriterSize(c, 1<<16)
	r := bufio.NewReader(c)
	deadline := time.Now().Add(2 * time.Second).UnixMilli()
	at := strconv.FormatInt(deadline, 10)
	for i := 0; i < n; i++ {
		k := "exp:" + strconv.Itoa(i)
		fmt.Fprintf(w, "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$%d\r\n%s\r\n", len(k), k, len(at), at)
		if i%1000 == 999 || i == n-1 {
			check(w.Flush())
			for j := i - i%1000; j <= i; j++ {
				line, err := r.ReadString('\n')
				check(err)
				if line != "+OK\r\n" {
					check(fmt.Errorf("SET: %q", line))
				}
			}
		}
	}
	time.Sleep(time.Until(time.UnixMilli(deadline)))
	start := time.Now()
	for {
		fmt.Fprintf(w, "*1\r\n$6\r\nDBSIZE\r\n")
		check(w.Flush())
		line, err := r.ReadString('\n')
		check(err)
		if strings.TrimSpace(line) == ":0" {
			el := time.Since(start)
			return float64(n) / el.Seconds(), el
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dial(port int) net.Conn {
	for range 200 {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("port %d never opened", port))
	return nil
}

func free(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
