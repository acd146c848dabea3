// Command strings measures SET and GET throughput and latency of slotdb against a real
// redis-server started in the same run on the same machine, with redis-benchmark:
// 50 clients, 100-byte values, pipelines 1 and 16, the median of several runs.
//
//	go run ./bench/strings [-runs 3] [-n 200000]
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 3, "runs per configuration (the median is reported)")
	n := flag.Int("n", 200000, "requests per run")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "slotdb-bench-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "slotdb-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	redisPort, slotdbPort := freePort(), freePort()
	redis := start(tmp, "redis", "redis-server", "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", mkdir(tmp, "redis"))
	defer stop(redis)
	slotdb := start(tmp, "slotdb", bin, "--port", strconv.Itoa(slotdbPort), "--bind", "127.0.0.1",
		"--dir", mkdir(tmp, "slotdb"), "--appendfsync", "everysec")
	defer stop(slotdb)
	waitPort(redisPort)
	waitPort(slotdbPort)

	fmt.Printf("| test | pipeline | redis-server rps | slotdb rps | ratio | redis p99 ms | slotdb p99 ms |\n")
	fmt.Printf("|---|---|---|---|---|---|---|\n")
	for _, test := range []string{"set", "get"} {
		for _, p := range []int{1, 16} {
			var rr, sr []result
			for range *runs { // alternate so drift on a noisy machine hits both alike
				rr = append(rr, bench(redisPort, test, p, *n))
				sr = append(sr, bench(slotdbPort, test, p, *n))
			}
			r, s := median(rr), median(sr)
			fmt.Printf("| %s | %d | %.0f | %.0f | %.0f%% | %.3f | %.3f |\n", strings.ToUpper(test), p, r.rps, s.rps, 100*s.rps/r.rps, r.p99, s.p99)
		}
	}
}

type result struct{ rps, p99 float64 }

func bench(port int, test string, pipeline, n int) result {
	out, err := exec.Command("redis-benchmark", "-p", strconv.Itoa(port), "-c", "50", "-n", strconv.Itoa(n),
		"-d", "100", "-P", strconv.Itoa(pipeline), "-t", test, "--csv").Output()
	check(err)
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	check(err)
	if len(rows) < 2 || len(rows[1]) < 7 {
		check(fmt.Errorf("unexpected redis-benchmark output %q", out))
	}
	rps, _ := strconv.ParseFloat(rows[1][1], 64)
	p99, _ := strconv.ParseFloat(rows[1][6], 64)
	return result{rps, p99}
}

// median picks the run with the median throughput (and reports its p99).
func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	return rs[len(rs)/2]
}

func start(tmp, name, bin string, args ...string) *exec.Cmd {
	log, err := os.Create(filepath.Join(tmp, name+".log"))
	check(err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	check(cmd.Start())
	return cmd
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

func mkdir(tmp, name string) string {
	d := filepath.Join(tmp, name)
	check(os.MkdirAll(d, 0o755))
	return d
}

// freePort picks a free loopback port below 32768 (the ephemeral range starts there).
func freePort() int {
	for ; ; nextPort++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(nextPort))
		if err == nil {
			ln.Close()
			nextPort++
			return nextPort - 1
		}
	}
}

var nextPort = 20000 + os.Getpid()%5000

func waitPort(port int) {
	for range 200 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("port %d never opened", port))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
