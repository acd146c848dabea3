// Command reshard times `redis-cli --cluster reshard` of 8191 slots (with 100 keys) between
// two fresh cluster nodes, for redis-server and for one or more slotdb-server binaries,
// alternating servers run by run, and prints the medians.
//
//	go run ./bench/reshard -runs 3 -slotdb before=/tmp/b/slotdb-old,after=/tmp/b/slotdb-new
package main

import (
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
)

func main() {
	runs := flag.Int("runs", 3, "runs per server")
	slots := flag.Int("slots", 8191, "slots to move")
	redis := flag.String("redis", "/usr/bin/redis-server", "redis-server binary")
	slotdb := flag.String("slotdb", "slotdb=./bin/slotdb-server", "name=binary,... of slotdb-server builds")
	flag.Parse()
	type server struct{ name, bin string }
	servers := []server{{"redis-server", *redis}}
	for _, nb := range strings.Split(*slotdb, ",") {
		name, bin, ok := strings.Cut(nb, "=")
		if !ok {
			name, bin = "slotdb", nb
		}
		servers = append(servers, server{name, bin})
	}
	times := map[string][]time.Duration{}
	for r := 0; r < *runs; r++ {
		for _, s := range servers {
			d, err := run(s.bin, s.name == "redis-server", *slots)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s run %d: %v\n", s.name, r+1, err)
				os.Exit(1)
			}
			fmt.Printf("%s run %d: %v (load %s)\n", s.name, r+1, d.Round(time.Millisecond), load())
			times[s.name] = append(times[s.name], d)
		}
	}
	fmt.Printf("\n| server | median of %d (s) | runs (s) |\n|---|---|---|\n", *runs)
	for _, s := range servers {
		ts := times[s.name]
		var all []string
		for _, t := range ts {
			all = append(all, fmt.Sprintf("%.1f", t.Seconds()))
		}
		sorted := append([]time.Duration(nil), ts...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		fmt.Printf("| %s | %.1f | %s |\n", s.name, sorted[len(sorted)/2].Seconds(), strings.Join(all, ", "))
	}
}

func load() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// run starts two nodes, gives the first every slot and 100 keys, and times the reshard.
func run(bin string, redis bool, slots int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "bench-reshard-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	var ports []int
	for i := 0; i < 2; i++ {
		p := freePort()
		d := filepath.Join(dir, strconv.Itoa(p))
		os.MkdirAll(d, 0o755)
		args := []string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--dir", d, "--cluster-enabled", "yes",
			"--save", "", "--appendonly", "no"}
		if redis {
			args = append(args, "--daemonize", "no", "--logfile", filepath.Join(d, "log"))
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		ports = append(ports, p)
	}
	for _, p := range ports {
		if err := waitFor(func() bool { return cli(p, "PING") == "PONG" }); err != nil {
			return 0, fmt.Errorf("port %d: %w", p, err)
		}
	}
	a, b := ports[0], ports[1]
	cli(a, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	cli(a, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b))
	ok := func(p int) bool {
		info := cli(p, "CLUSTER", "INFO")
		return strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:2")
	}
	if err := waitFor(func() bool { return ok(a) && ok(b) }); err != nil {
		return 0, fmt.Errorf("cluster not ok: %w", err)
	}
	var in strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&in, "SET key%d v%d\n", i, i)
	}
	c := exec.Command("redis-cli", "-c", "-p", strconv.Itoa(a))
	c.Stdin = strings.NewReader(in.String())
	if out, err := c.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("SET: %v %s", err, out)
	}
	idA, idB := cli(a, "CLUSTER", "MYID"), cli(b, "CLUSTER", "MYID")
	start := time.Now()
	out, err := exec.Command("redis-cli", "--cluster", "reshard", "127.0.0.1:"+strconv.Itoa(a),
		"--cluster-from", idA, "--cluster-to", idB, "--cluster-slots", strconv.Itoa(slots), "--cluster-yes").CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("reshard: %v\n%s", err, out)
	}
	return d, nil
}

func cli(port int, args ...string) string {
	out, _ := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...).Output()
	return strings.TrimSpace(string(out))
}

func waitFor(cond func() bool) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return nil
		}
	}
	return fmt.Errorf("timed out")
}

func freePort() int {
	for {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ln.Close()
		if ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000)); err == nil {
			ln2.Close()
			return p
		}
	}
}
