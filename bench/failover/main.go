// Command failover measures cluster failover of slotdb against real redis-server nodes in
// the same run, with the same cluster-node-timeout: six nodes built with
// `redis-cli --cluster create --cluster-replicas 1`, 1000 keys written, every replica in
// sync (INFO replication offsets), then
//
//   - automatic failover: from SIGKILL of one master until every surviving node flags it
//     FAIL, until its replica reports itself master (election won), and until every
//     surviving node reports cluster_state:ok with the replica owning the slots;
//   - manual failover: CLUSTER FAILOVER on the replica of another master until every node
//     names the replica as the owner of the slots.
//
// Each run starts fresh nodes; runs alternate between the two servers so drift on a noisy
// machine hits both alike; the medians are printed as a markdown table.
//
//	go run ./bench/failover [-runs 5] [-node-timeout 2000] [-redis redis-server] [-slotdb bin]
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

const nodeCount, keys = 6, 1000

var verbose = flag.Bool("v", false, "print the phases of each run")

func main() {
	runs := flag.Int("runs", 5, "runs per server (the median is reported)")
	timeout := flag.Int("node-timeout", 2000, "cluster-node-timeout, ms, for both servers")
	redisBin := flag.String("redis", "redis-server", "the reference redis-server binary")
	slotdbBin := flag.String("slotdb", "", "a prebuilt slotdb-server (default: go build ./cmd/slotdb-server)")
	flag.Parse()
	redis.SetLogger(quiet{}) // a node killed on purpose makes the client log failed dials

	tmp, err := os.MkdirTemp("", "slotdb-bench-failover-")
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
			res := measure(tmp, s, r, *timeout)
			fmt.Fprintf(os.Stderr, "run %d %-12s FAIL %5d ms  promoted %5d ms  ok %5d ms  manual %5d ms\n",
				r+1, s.name, res.fail.Milliseconds(), res.promoted.Milliseconds(), res.ok.Milliseconds(), res.manual.Milliseconds())
			results[i] = append(results[i], res)
		}
	}

	fmt.Printf("Command: `go run ./bench/failover -runs %d -node-timeout %d` (%s, 3 masters + 3 replicas, %d keys, medians of %d runs, polled every %v)\n\n",
		*runs, *timeout, strings.TrimSpace(string(version)), keys, *runs, pollEvery)
	fmt.Printf("| metric (ms) | redis-server | slotdb | slotdb / redis |\n|---|---|---|---|\n")
	for _, m := range []struct {
		name string
		get  func(result) time.Duration
	}{
		{"SIGKILL of a master → FAIL on every surviving node", func(r result) time.Duration { return r.fail }},
		{"SIGKILL of a master → its replica reports itself master", func(r result) time.Duration { return r.promoted }},
		{"SIGKILL of a master → cluster_state:ok everywhere, the replica owning the slots", func(r result) time.Duration { return r.ok }},
		{"CLUSTER FAILOVER on a replica → every node names it owner of the slots", func(r result) time.Duration { return r.manual }},
	} {
		rd, sd := median(results[0], m.get), median(results[1], m.get)
		fmt.Printf("| %s | %d | %d | %.2f |\n", m.name, rd.Milliseconds(), sd.Milliseconds(), float64(sd)/float64(rd))
	}
	fmt.Printf("\nRuns (FAIL / promoted / ok / manual, ms):\n\n")
	for i, s := range servers {
		var parts []string
		for _, r := range results[i] {
			parts = append(parts, fmt.Sprintf("%d / %d / %d / %d", r.fail.Milliseconds(), r.promoted.Milliseconds(), r.ok.Milliseconds(), r.manual.Milliseconds()))
		}
		fmt.Printf("- %s: %s\n", s.name, strings.Join(parts, "; "))
	}
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

type server struct {
	name  string
	bin   string
	extra []string
}

type result struct {
	fail, promoted, ok, manual time.Duration
}

type node struct {
	port int
	cmd  *exec.Cmd
	c    *redis.Client
	id   string
}

// line is one CLUSTER NODES line.
type line struct {
	id, flags, master string
	slots             []string
}

func nodesOf(ctx context.Context, n *node) map[string]line {
	s, err := n.c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil
	}
	out := map[string]line{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if f := strings.Fields(l); len(f) >= 8 {
			out[f[0]] = line{f[0], f[2], f[3], f[8:]}
		}
	}
	return out
}

func has(flags, f string) bool { return strings.Contains(","+flags+",", ","+f+",") }

func measure(tmp string, s server, run, timeout int) result {
	ctx := context.Background()
	t0 := time.Now()
	phase := func(what string) {
		if *verbose {
			fmt.Fprintf(os.Stderr, "  %s %6.1fs %s\n", s.name, time.Since(t0).Seconds(), what)
		}
	}
	var nodes []*node
	args := []string{"--cluster", "create"}
	for i := 0; i < nodeCount; i++ {
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
	byID := map[string]*node{}
	for _, n := range nodes {
		waitPing(ctx, n)
		id, err := n.c.ClusterMyID(ctx).Result()
		check(err)
		n.id = id
		byID[id] = n
	}
	out, err := exec.Command("redis-cli", append(args, "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered") {
		check(fmt.Errorf("%s: redis-cli --cluster create: %v\n%s", s.name, err, out))
	}
	phase("created")
	// Wait for the layout: three masters with slots, each with one replica, everywhere.
	var masters []line
	replicaOf := map[string]*node{}
	until(time.Now(), 60*time.Second, s.name+" layout", func() bool {
		masters, replicaOf = nil, map[string]*node{}
		for _, n := range nodes {
			info, err := n.c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok\r\n") {
				return false
			}
		}
		v := nodesOf(ctx, nodes[0])
		for _, l := range v {
			if has(l.flags, "master") && len(l.slots) > 0 {
				masters = append(masters, l)
			} else if has(l.flags, "slave") && byID[l.master] != nil {
				replicaOf[l.master] = byID[l.id]
			}
		}
		return len(masters) == 3 && len(replicaOf) == 3
	})
	sort.Slice(masters, func(i, j int) bool { return masters[i].slots[0] < masters[j].slots[0] })
	phase("layout")
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].c.Options().Addr}, Protocol: 2})
	for i := 0; i < keys; i++ {
		check(cc.Set(ctx, "key"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0).Err())
	}
	cc.Close()
	until(time.Now(), 60*time.Second, s.name+" replicas in sync", func() bool {
		for _, m := range masters {
			mo := infoField(ctx, byID[m.id], "replication", "master_repl_offset")
			ro := infoField(ctx, replicaOf[m.id], "replication", "slave_repl_offset")
			if mo == "" || mo != ro {
				return false
			}
		}
		return true
	})

	phase("in sync")
	// Automatic failover. A random extra wait decorrelates the kill from the ping cycle.
	time.Sleep(500*time.Millisecond + time.Duration(rand.Int64N(int64(timeout/2+100)))*time.Millisecond)
	victimLine := masters[2]
	victim, heir := byID[victimLine.id], replicaOf[victimLine.id]
	var others []*node
	for _, n := range nodes {
		if n != victim {
			others = append(others, n)
		}
	}
	check(victim.cmd.Process.Kill())
	start := time.Now()
	victim.cmd.Wait()
	victim.cmd = nil
	var res result
	until(start, 60*time.Second, s.name+" failover", func() bool {
		if res.fail == 0 {
			all := true
			for _, n := range others {
				if !has(nodesOf(ctx, n)[victim.id].flags, "fail") {
					all = false
				}
			}
			if all {
				res.fail = time.Since(start)
			}
		}
		if res.promoted == 0 && has(nodesOf(ctx, heir)[heir.id].flags, "master") {
			res.promoted = time.Since(start)
		}
		if res.fail == 0 || res.promoted == 0 {
			return false
		}
		for _, n := range others {
			info, err := n.c.ClusterInfo(ctx).Result()
			h := nodesOf(ctx, n)[heir.id]
			if err != nil || !strings.Contains(info, "cluster_state:ok\r\n") || strings.Join(h.slots, " ") != strings.Join(victimLine.slots, " ") {
				return false
			}
		}
		return true
	})
	res.ok = time.Since(start)

	// Manual failover of the first shard.
	time.Sleep(500 * time.Millisecond)
	m0 := masters[0]
	r0 := replicaOf[m0.id]
	check(r0.c.Do(ctx, "CLUSTER", "FAILOVER").Err())
	start = time.Now()
	until(start, 60*time.Second, s.name+" manual failover", func() bool {
		for _, n := range others {
			if strings.Join(nodesOf(ctx, n)[r0.id].slots, " ") != strings.Join(m0.slots, " ") {
				return false
			}
		}
		return true
	})
	res.manual = time.Since(start)
	phase("done")
	return res
}

func infoField(ctx context.Context, n *node, section, field string) string {
	info, err := n.c.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
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
