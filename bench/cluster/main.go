// Command cluster measures cluster formation and failure detection of slotdb against real
// redis-server nodes in the same run, with the same cluster-node-timeout:
//
//   - formation: from the start of `redis-cli --cluster create` (three masters) until every
//     node reports cluster_state:ok;
//   - failure detection: from SIGKILL of one master until every other node flags it FAIL
//     (the first PFAIL, a node's local suspicion, is reported too).
//
// Each run starts fresh nodes; runs alternate between the two servers so drift on a
// noisy machine hits both alike; the medians are printed as a markdown table.
//
//	go run ./bench/cluster [-runs 3] [-node-timeout 2000] [-redis redis-server] [-slotdb bin]
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// pollEvery is how often the nodes are asked for their state while a clock runs.
const pollEvery = 5 * time.Millisecond

func main() {
	runs := flag.Int("runs", 3, "runs per server (the median is reported)")
	timeout := flag.Int("node-timeout", 2000, "cluster-node-timeout, ms, for both servers")
	redisBin := flag.String("redis", "redis-server", "the reference redis-server binary")
	slotdbBin := flag.String("slotdb", "", "a prebuilt slotdb-server (default: go build ./cmd/slotdb-server)")
	settle := flag.Duration("settle", time.Second, "wait between cluster_state:ok and the kill (plus a random 0..node-timeout/2+100 ms)")
	flag.Parse()
	redis.SetLogger(quiet{}) // a node killed on purpose makes the client log failed dials

	tmp, err := os.MkdirTemp("", "slotdb-bench-cluster-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := *slotdbBin
	if bin == "" {
		bin = filepath.Join(tmp, "slotdb-server")
		build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		check(build.Run())
	}
	redisPath, err := exec.LookPath(*redisBin)
	check(err)
	version, _ := exec.Command(redisPath, "--version").Output()

	servers := []server{
		{"redis-server", redisPath, []string{"--save", "", "--appendonly", "no", "--daemonize", "no"}},
		{"slotdb", bin, nil},
	}
	results := make([][]result, len(servers))
	for r := 0; r < *runs; r++ {
		for i, s := range servers {
			res := measure(tmp, s, r, *timeout, *settle)
			fmt.Fprintf(os.Stderr, "run %d %-12s ok %4d ms (maps agree %4d, redis-cli %4d)  pfail %4d ms  fail %4d ms\n",
				r+1, s.name, res.formed.Milliseconds(), res.agreed.Milliseconds(), res.cli.Milliseconds(), res.pfail.Milliseconds(), res.fail.Milliseconds())
			results[i] = append(results[i], res)
		}
	}

	fmt.Printf("Command: `go run ./bench/cluster -runs %d -node-timeout %d -settle %v` (%s, %d masters, medians of %d runs, polled every %v)\n\n",
		*runs, *timeout, *settle, strings.TrimSpace(string(version)), masters, *runs, pollEvery)
	fmt.Printf("| metric (ms) | redis-server | slotdb | slotdb / redis |\n|---|---|---|---|\n")
	for _, m := range []struct {
		name string
		get  func(result) time.Duration
	}{
		{"`--cluster create` → cluster_state:ok on every node", func(r result) time.Duration { return r.formed }},
		{"`--cluster create` → every node prints the same slot map (what redis-cli polls for, once a second)", func(r result) time.Duration { return r.agreed }},
		{"redis-cli --cluster create run time", func(r result) time.Duration { return r.cli }},
		{"SIGKILL of a master → first PFAIL (any node)", func(r result) time.Duration { return r.pfail }},
		{"SIGKILL of a master → FAIL on every other node", func(r result) time.Duration { return r.fail }},
	} {
		rd, sd := median(results[0], m.get), median(results[1], m.get)
		fmt.Printf("| %s | %d | %d | %.2f |\n", m.name, rd.Milliseconds(), sd.Milliseconds(), float64(sd)/float64(rd))
	}
	fmt.Printf("\nRuns (create → ok / slot maps agree / first PFAIL / FAIL everywhere, ms):\n\n")
	for i, s := range servers {
		var parts []string
		for _, r := range results[i] {
			parts = append(parts, fmt.Sprintf("%d / %d / %d / %d", r.formed.Milliseconds(), r.agreed.Milliseconds(), r.pfail.Milliseconds(), r.fail.Milliseconds()))
		}
		fmt.Printf("- %s: %s\n", s.name, strings.Join(parts, "; "))
	}
}

const masters = 3

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

type server struct {
	name  string
	bin   string
	extra []string
}

type result struct {
	formed, agreed, cli, pfail, fail time.Duration
}

type node struct {
	port int
	cmd  *exec.Cmd
	c    *redis.Client
	id   string
}

func measure(tmp string, s server, run, timeout int, settle time.Duration) result {
	ctx := context.Background()
	var nodes []*node
	args := []string{"--cluster", "create"}
	for i := 0; i < masters; i++ {
		port := freePort()
		dir := filepath.Join(tmp, fmt.Sprintf("%s-%d-%d", s.name, run, i))
		check(os.MkdirAll(dir, 0o755))
		a := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-node-timeout", strconv.Itoa(timeout)}, s.extra...)
		log, err := os.Create(filepath.Join(dir, "log"))
		check(err)
		cmd := exec.Command(s.bin, a...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
		check(cmd.Start())
		started = append(started, cmd)
		n := &node{port: port, cmd: cmd, c: redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Protocol: 2})}
		nodes = append(nodes, n)
		args = append(args, "127.0.0.1:"+strconv.Itoa(port))
	}
	defer func() {
		for _, n := range nodes {
			n.c.Close()
			stop(n.cmd)
		}
	}()
	for _, n := range nodes {
		waitPing(ctx, n)
		id, err := n.c.ClusterMyID(ctx).Result()
		check(err)
		n.id = id
	}

	// cluster_state is polled while redis-cli runs: the clock stops when the last node
	// reports ok, whether or not redis-cli has finished its own waiting by then.
	var res result
	start := time.Now()
	formed := make(chan [2]time.Duration, 1)
	go func() {
		var agreed time.Duration // every node prints the same slot map, all three masters in it
		until(start, 30*time.Second, s.name+" cluster_state:ok", func() bool {
			if agreed == 0 && slotMapsAgree(ctx, nodes) {
				agreed = time.Since(start)
			}
			for _, n := range nodes {
				info, err := n.c.ClusterInfo(ctx).Result()
				if err != nil || !strings.Contains(info, "cluster_state:ok\r\n") {
					return false
				}
			}
			return true
		})
		if agreed == 0 {
			agreed = time.Since(start)
		}
		formed <- [2]time.Duration{time.Since(start), agreed}
	}()
	out, err := exec.Command("redis-cli", append(args, "--cluster-yes")...).CombinedOutput()
	res.cli = time.Since(start)
	if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered") {
		check(fmt.Errorf("%s: redis-cli --cluster create: %v\n%s", s.name, err, out))
	}
	f := <-formed
	res.formed, res.agreed = f[0], f[1]

	// A random extra wait decorrelates the kill from the ping cycle, whose phase follows
	// the handshakes: without it the kill lands at about the same point of the cycle in
	// every run of one server, and the medians measure that phase, not the protocol.
	time.Sleep(settle + time.Duration(rand.Int64N(int64(timeout/2+100)))*time.Millisecond)
	victim, others := nodes[masters-1], nodes[:masters-1]
	check(victim.cmd.Process.Kill())
	start = time.Now()
	victim.cmd.Wait()
	until(start, 60*time.Second, s.name+" FAIL", func() bool {
		all := true
		for _, n := range others {
			flags := flagsOf(ctx, n, victim.id)
			if res.pfail == 0 && strings.Contains(flags, "fail") {
				res.pfail = time.Since(start) // "fail?" (PFAIL) or "fail", whichever comes first
			}
			if !strings.Contains(","+flags+",", ",fail,") {
				all = false
			}
		}
		return all
	})
	res.fail = time.Since(start)
	victim.cmd = nil
	return res
}

// slotMapsAgree reports whether every node's CLUSTER NODES gives the same id:slots for
// every master with slots, and names all of them (redis-cli's config signature).
func slotMapsAgree(ctx context.Context, nodes []*node) bool {
	first := ""
	for i, n := range nodes {
		text, err := n.c.ClusterNodes(ctx).Result()
		if err != nil {
			return false
		}
		var sig []string
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			if f := strings.Fields(l); len(f) > 8 {
				sig = append(sig, f[0]+":"+strings.Join(f[8:], ","))
			}
		}
		sort.Strings(sig)
		joined := strings.Join(sig, " ")
		if len(sig) != len(nodes) || (i > 0 && joined != first) {
			return false
		}
		first = joined
	}
	return true
}

// flagsOf returns the flags field of id's line in CLUSTER NODES on n.
func flagsOf(ctx context.Context, n *node, id string) string {
	s, err := n.c.ClusterNodes(ctx).Result()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

func until(start time.Time, limit time.Duration, what string, cond func() bool) {
	for !cond() {
		if time.Since(start) > limit {
			check(fmt.Errorf("timed out waiting for %s", what))
		}
		time.Sleep(pollEvery)
	}
}

func waitPing(ctx context.Context, n *node) {
	for range 400 {
		if n.c.Ping(ctx).Err() == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	check(fmt.Errorf("port %d never answered PING", n.port))
}

func median(rs []result, get func(result) time.Duration) time.Duration {
	v := make([]time.Duration, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

func stop(cmd *exec.Cmd) {
	if cmd == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// freePort picks a loopback port below 22768 that is free together with port+10000 (the
// cluster bus), so both stay below the ephemeral range that starts at 32768.
func freePort() int {
	for ; nextPort < 22768; nextPort++ {
		if canListen(nextPort) && canListen(nextPort+10000) {
			nextPort++
			return nextPort - 1
		}
	}
	check(fmt.Errorf("no free port pair below 32768"))
	return 0
}

var nextPort = 12000 + os.Getpid()%8000

func canListen(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// started lists every server process, so that a fatal error stops them before exiting.
var started []*exec.Cmd

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		for _, c := range started {
			if c.ProcessState == nil {
				c.Process.Kill()
			}
		}
		os.Exit(1)
	}
}
