// Command gen captures the behaviour of the real redis-server 7.0.15 into
// the golden files of server/config/testdata. It is run by hand, never by
// the build or the tests:
//
//	go run ./server/config/internal/gen -out server/config/testdata
//
// It starts its own redis-servers on free loopback ports below 32768 in
// temporary directories and kills exactly those processes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "server/config/testdata", "directory for the golden files")
	bin := flag.String("redis", "redis-server", "redis-server 7.0.15 binary")
	flag.Parse()
	g := &gen{bin: *bin, out: *out}
	if err := g.run(); err != nil {
		log.Fatal(err)
	}
}

type gen struct{ bin, out string }

func (g *gen) run() error {
	if err := g.defaultsAndProbes(); err != nil {
		return err
	}
	if err := g.fatal(); err != nil {
		return err
	}
	return g.rewrites()
}

// server is one redis-server started by the generator.
type server struct {
	cmd  *exec.Cmd
	dir  string
	port int
	cli  *client
}

func freePort() int {
	for p := 21000 + os.Getpid()%5000; p < 32768; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			l.Close()
			return p
		}
	}
	panic("no free port")
}

// start runs redis-server in dir with args; "$PORT" in args is the port.
func (g *gen) start(dir string, args ...string) (*server, error) {
	return g.startOn(dir, freePort(), args...)
}

func (g *gen) startOn(dir string, port int, args ...string) (*server, error) {
	s := &server{dir: dir, port: port}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$PORT", strconv.Itoa(s.port))
	}
	s.cmd = exec.Command(g.bin, args...)
	s.cmd.Dir = dir
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		if c, err := dial(s.port); err == nil {
			s.cli = c
			return s, nil
		}
	}
	s.stop()
	return nil, fmt.Errorf("redis-server %v did not start", args)
}

func (s *server) stop() {
	s.cmd.Process.Kill() // exactly the process we started
	s.cmd.Wait()
}

func (s *server) get(names ...string) [][2]string {
	r, err := s.cli.do(append([]string{"CONFIG", "GET"}, names...)...)
	if err != nil {
		log.Fatal(err)
	}
	arr, _ := r.([]any)
	var out [][2]string
	for i := 0; i+1 < len(arr); i += 2 {
		out = append(out, [2]string{arr[i].(string), strings.ReplaceAll(arr[i+1].(string), s.dir, "$DIR")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func writeJSONL(path string, recs []any) error {
	var b bytes.Buffer
	for _, r := range recs {
		j, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
