// Command types measures the data-type commands of slotdb against a real redis-server started
// in the same run on the same machine.
//
// Throughput: redis-benchmark -t lpush,rpop,sadd,hset,zadd,lrange_100 -n N -c 50 -P 1, and
// EVALSHA of a one-SET script (SCRIPT LOAD first), the median of several runs, servers
// alternating.
//
// Costs: one sorted set and one list of -elems elements (default 1,000,000), then the
// round-trip time of ZRANK at ranks 0, 1/4, 1/2 and the last, ZRANGE of 10 at the middle, and
// LINDEX of the middle (median of -reps calls, next to a PING for the loopback floor).
//
//	go run ./bench/types [-runs 3] [-n 100000] [-elems 1000000] [-only throughput|costs]
//
// -server PATH uses a built slotdb-server instead of building one.
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

	"github.com/slotdb/slotdb/internal/proctest"
)

func main() {
	runs := flag.Int("runs", 3, "runs per benchmark (the median is reported)")
	n := flag.Int("n", 100000, "requests per redis-benchmark run")
	elems := flag.Int("elems", 1000000, "elements of the zset and list for the cost table")
	reps := flag.Int("reps", 9, "calls per cost measurement (the median is reported)")
	only := flag.String("only", "", "throughput or costs (default both)")
	server := flag.String("server", "", "slotdb-server binary (default: build ./cmd/slotdb-server)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "slotdb-bench-types-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := *server
	if bin == "" {
		bin = filepath.Join(tmp, "slotdb-server")
		build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		check(build.Run())
	}

	redisPort, slotdbPort := freePort(), freePort()
	redis := start(tmp, "redis", "redis-server", "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", mkdir(tmp, "redis"))
	defer stop(redis)
	slotdb := start(tmp, "slotdb", bin, "--port", strconv.Itoa(slotdbPort), "--bind", "127.0.0.1",
		"--dir", mkdir(tmp, "slotdb"), "--appendfsync", "everysec")
	defer stop(slotdb)
	waitPort(redisPort)
	waitPort(slotdbPort)
	fmt.Printf("redis-server pid %d port %d, slotdb pid %d port %d\n\n", redis.Process.Pid, redisPort, slotdb.Process.Pid, slotdbPort)

	if *only == "" || *only == "throughput" {
		throughput(redisPort, slotdbPort, *runs, *n)
	}
	if *only == "" || *only == "costs" {
		costs(redisPort, slotdbPort, *elems, *reps)
	}
}

func throughput(redisPort, slotdbPort, runs, n int) {
	rr := map[string][]float64{}
	sr := map[string][]float64{}
	var order []string
	const script = "return redis.call('set',KEYS[1],ARGV[1])"
	for range runs { // alternate so drift on a noisy machine hits both alike
		for _, p := range []struct {
			port int
			into map[string][]float64
		}{{redisPort, rr}, {slotdbPort, sr}} {
			flush(p.port)
			for _, row := range benchmark(p.port, n, "-t", "lpush,rpop,sadd,hset,zadd,lrange_100") {
				if _, ok := rr[row.name]; !ok && p.port == redisPort {
					order = append(order, row.name)
				}
				p.into[row.name] = append(p.into[row.name], row.rps)
			}
			sha := strings.TrimSpace(cli(p.port, "SCRIPT", "LOAD", script))
			for _, row := range benchmark(p.port, n, "-r", "100000", "evalsha", sha, "1", "key:__rand_int__", "v") {
				name := "EVALSHA (set)"
				if _, ok := rr[name]; !ok && p.port == redisPort {
					order = append(order, name)
				}
				p.into[name] = append(p.into[name], row.rps)
			}
		}
	}
	fmt.Printf("| test | redis-server rps | slotdb rps | ratio | target ≥ 50 %% |\n|---|---|---|---|---|\n")
	for _, name := range order {
		r, s := median(rr[name]), median(sr[name])
		verdict := "met"
		if s < r/2 {
			verdict = "**missed**"
		}
		fmt.Printf("| %s | %.0f | %.0f | %.0f %% | %s |\n", name, r, s, 100*s/r, verdict)
	}
	fmt.Printf("\nruns (rps): redis %v\n            slotdb %v\n\n", rr, sr)
}

type row struct {
	name string
	rps  float64
}

func benchmark(port, n int, args ...string) []row {
	argv := append([]string{"-p", strconv.Itoa(port), "-c", "50", "-n", strconv.Itoa(n), "-P", "1", "--csv"}, args...)
	out, err := exec.Command("redis-benchmark", argv...).Output()
	check(err)
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	check(err)
	var rows []row
	for _, r := range recs[1:] {
		rps, _ := strconv.ParseFloat(r[1], 64)
		rows = append(rows, row{r[0], rps})
	}
	return rows
}

func cli(port int, args ...string) string {
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...).Output()
	check(err)
	return string(out)
}

func flush(port int) { cli(port, "FLUSHALL") }

// costs fills a zset and a list on both servers, then times the rank and index commands.
func costs(redisPort, slotdbPort, elems, reps int) {
	mid := elems / 2
	probes := []struct {
		name string
		args []string
	}{
		{"PING (loopback floor)", []string{"PING"}},
		{"ZRANK rank 0", []string{"ZRANK", "z", member(0)}},
		{"ZRANK rank " + strconv.Itoa(elems/4), []string{"ZRANK", "z", member(elems / 4)}},
		{"ZRANK rank " + strconv.Itoa(mid), []string{"ZRANK", "z", member(mid)}},
		{"ZRANK rank " + strconv.Itoa(elems-1), []string{"ZRANK", "z", member(elems - 1)}},
		{"ZRANGE 10 at rank " + strconv.Itoa(mid), []string{"ZRANGE", "z", strconv.Itoa(mid), strconv.Itoa(mid + 9)}},
		{"ZSCORE (point read)", []string{"ZSCORE", "z", member(mid)}},
		{"LINDEX " + strconv.Itoa(mid), []string{"LINDEX", "l", strconv.Itoa(mid)}},
		{"LINDEX -1", []string{"LINDEX", "l", "-1"}},
	}
	res := map[int][]time.Duration{}
	var fill = map[int]time.Duration{}
	for _, port := range []int{redisPort, slotdbPort} {
		flush(port)
		c, err := proctest.Dial("127.0.0.1:" + strconv.Itoa(port))
		check(err)
		c.SetTimeout(5 * time.Minute)
		t0 := time.Now()
		load(c, elems)
		fill[port] = time.Since(t0)
		for _, p := range probes {
			var ds []time.Duration
			var first []byte
			for i := range reps {
				t := time.Now()
				out, err := c.Do(p.args...)
				check(err)
				ds = append(ds, time.Since(t))
				if i == 0 {
					first = out
				}
			}
			if len(first) > 0 && first[0] == '-' {
				check(fmt.Errorf("%v: %s", p.args, first))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			res[port] = append(res[port], ds[len(ds)/2])
		}
		c.Close()
		flush(port)
	}
	fmt.Printf("fill of %d zset members and %d list elements (pipelined batches of 1000): redis %v, slotdb %v\n\n",
		elems, elems, fill[redisPort].Round(time.Millisecond), fill[slotdbPort].Round(time.Millisecond))
	fmt.Printf("| command on %d elements | redis-server | slotdb |\n|---|---|---|\n", elems)
	for i, p := range probes {
		fmt.Printf("| %s | %s | %s |\n", p.name, us(res[redisPort][i]), us(res[slotdbPort][i]))
	}
	fmt.Println()
}

func member(i int) string { return fmt.Sprintf("m:%08d", i) }

// load writes the zset z (member i at score i, so rank i) and the list l, 1000 per command,
// with up to 16 commands in flight.
func load(c *proctest.Conn, elems int) {
	const batch, window = 1000, 16
	var cmds [][]string
	for i := 0; i < elems; i += batch {
		z := []string{"ZADD", "z"}
		l := []string{"RPUSH", "l"}
		for j := i; j < min(i+batch, elems); j++ {
			z = append(z, strconv.Itoa(j), member(j))
			l = append(l, strconv.Itoa(j))
		}
		cmds = append(cmds, z, l)
	}
	inflight := 0
	for _, cmd := range cmds {
		check(c.Send(cmd...))
		if inflight++; inflight == window {
			drain(c, inflight)
			inflight = 0
		}
	}
	drain(c, inflight)
}

func drain(c *proctest.Conn, n int) {
	for range n {
		out, err := c.ReadReply()
		check(err)
		if len(out) > 0 && out[0] == '-' {
			check(fmt.Errorf("load: %s", out))
		}
	}
}

func us(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// median of rps values.
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
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
