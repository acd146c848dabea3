// Command repl measures replication of slotdb against real redis-server in the same run:
//
//   - full sync: a master holding -mb megabytes of distinct (incompressible) values, and a
//     fresh replica of the same server told REPLICAOF; the clock runs from REPLICAOF until
//     the replica reports master_link_status:up. The replica's log splits the time into the
//     transfer (until "Flushing old data", i.e. handshake, snapshot/fork and the RDB on the
//     wire) and the load (until "Finished with success").
//   - lag: master and replica in sync, `redis-benchmark -t set` against the master while both
//     offsets are sampled every few ms (master_repl_offset on the master and
//     slave_repl_offset on the replica, asked at the same time on two connections); lag is
//     the difference in bytes, also given in ms at the load's stream rate.
//
// Runs alternate between the two servers so drift on a shared machine hits both alike; the
// medians are printed as markdown.
//
//	go run ./bench/repl [-runs 3] [-mb 1024] [-value 1000] [-bench-n 300000] [-slotdb bin]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type server struct {
	name  string
	bin   string
	extra []string
}

type proc struct {
	cmd  *exec.Cmd
	port int
	log  string
}

func main() {
	runs := flag.Int("runs", 3, "full syncs and lag runs per server (medians reported)")
	mb := flag.Int("mb", 1024, "dataset size for the full sync, MB of values")
	valueSize := flag.Int("value", 1000, "value size, bytes")
	benchN := flag.Int("bench-n", 300000, "redis-benchmark -n for the lag runs")
	clients := flag.Int("c", 50, "redis-benchmark -c")
	slotdbBin := flag.String("slotdb", "", "a prebuilt slotdb-server (default: go build ./cmd/slotdb-server)")
	skipSync := flag.Bool("skip-sync", false, "lag runs only")
	skipLag := flag.Bool("skip-lag", false, "full syncs only")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "slotdb-bench-repl-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := *slotdbBin
	if bin == "" {
		bin = filepath.Join(tmp, "slotdb-server")
		build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		check(build.Run())
	}
	redisPath, err := exec.LookPath("redis-server")
	check(err)
	servers := []server{
		// Both masters send the RDB disk-less at once (7.0's default waits 5 s for more replicas).
		{"redis-server", redisPath, []string{"--save", "", "--appendonly", "no", "--daemonize", "no", "--repl-diskless-sync-delay", "0"}},
		{"slotdb", bin, nil},
	}

	if !*skipSync {
		keys := *mb << 20 / *valueSize
		fmt.Fprintf(os.Stderr, "full sync: %d keys of %d bytes (%d MB)\n", keys, *valueSize, *mb)
		syncRes := map[string][]syncResult{}
		masters := map[string]*proc{}
		for _, s := range servers {
			m := start(tmp, s, nil)
			defer m.stop()
			t0 := time.Now()
			load(m.port, keys, *valueSize)
			fmt.Fprintf(os.Stderr, "%s: loaded in %v (used_memory_human %s)\n", s.name, time.Since(t0).Round(time.Millisecond), field(m.port, "memory", "used_memory_human"))
			masters[s.name] = m
		}
		for run := 0; run < *runs; run++ {
			for _, s := range servers {
				r := fullSync(tmp, s, masters[s.name], keys)
				fmt.Fprintf(os.Stderr, "%s run %d: total %v (transfer %v, load %v)\n", s.name, run+1, r.total, r.transfer, r.load)
				syncRes[s.name] = append(syncRes[s.name], r)
			}
		}
		for _, m := range masters {
			m.stop()
		}
		fmt.Printf("\nFull sync, %d keys x %d B (%d MB of values), %d runs each, medians:\n\n", keys, *valueSize, *mb, *runs)
		fmt.Println("| server | total | transfer (handshake, snapshot, RDB on the wire) | load on the replica |")
		fmt.Println("|---|---|---|---|")
		for _, s := range servers {
			rs := syncRes[s.name]
			fmt.Printf("| %s | %v | %v | %v |\n", s.name, medianDur(rs, func(r syncResult) time.Duration { return r.total }),
				medianDur(rs, func(r syncResult) time.Duration { return r.transfer }), medianDur(rs, func(r syncResult) time.Duration { return r.load }))
		}
	}

	if *skipLag {
		return
	}
	lagRes := map[string][]lagResult{}
	for run := 0; run < *runs; run++ {
		for _, s := range servers {
			r := lagRun(tmp, s, *benchN, *clients)
			fmt.Fprintf(os.Stderr, "%s lag run %d: p50 %d B, p99 %d B, max %d B, stream %.1f MB/s, %.0f SET/s\n", s.name, run+1, r.p50, r.p99, r.max, r.rate/1e6, r.ops)
			lagRes[s.name] = append(lagRes[s.name], r)
		}
	}
	fmt.Printf("\nReplication lag under `redis-benchmark -t set -n %d -r 1000000 -d 100 -c %d`, %d runs each, medians:\n\n", *benchN, *clients, *runs)
	fmt.Println("| server | SET/s | p50 lag | p99 lag | max lag | p99 lag at the stream rate |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, s := range servers {
		rs := lagRes[s.name]
		p99 := medianI(rs, func(r lagResult) int64 { return r.p99 })
		rate := medianF(rs, func(r lagResult) float64 { return r.rate })
		fmt.Printf("| %s | %.0f | %d B | %d B | %d B | %.2f ms |\n", s.name, medianF(rs, func(r lagResult) float64 { return r.ops }),
			medianI(rs, func(r lagResult) int64 { return r.p50 }), p99, medianI(rs, func(r lagResult) int64 { return r.max }),
			float64(p99)/rate*1000)
	}
}

type syncResult struct{ total, transfer, load time.Duration }

// fullSync starts a fresh replica and times REPLICAOF until the link is up.
func fullSync(tmp string, s server, m *proc, keys int) syncResult {
	r := start(tmp, s, nil)
	defer r.stop()
	c := dial(r.port)
	defer c.Close()
	t0 := time.Now()
	do(c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.port))
	for field(r.port, "replication", "master_link_status") != "up" {
		if time.Since(t0) > 20*time.Minute {
			panic("full sync did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	total := time.Since(t0)
	if n := do(c, "DBSIZE"); n != strconv.Itoa(keys) {
		panic(fmt.Sprintf("%s replica holds %s keys, want %d", s.name, n, keys))
	}
	res := syncResult{total: total}
	// The log's ms timestamps split the time: REPLICAOF (t0) .. "Flushing old data" .. "Finished with success".
	flush, fin := logTime(r.log, "Flushing old data"), logTime(r.log, "Finished with success")
	if !flush.IsZero() && !fin.IsZero() {
		res.transfer = flush.Sub(t0.Truncate(time.Millisecond)).Round(time.Millisecond)
		res.load = fin.Sub(flush)
	}
	return res
}

var logStamp = regexp.MustCompile(`^\d+:[A-Z] (\d+ \w+ \d+ \d+:\d+:\d+\.\d+) `)

func logTime(path, text string) time.Time {
	b, err := os.ReadFile(path)
	check(err)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, text) {
			continue
		}
		if m := logStamp.FindStringSubmatch(line); m != nil {
			t, err := time.ParseInLocation("2 Jan 2006 15:04:05.000", m[1], time.Local)
			if err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

type lagResult struct {
	p50, p99, max int64
	rate, ops     float64 // stream bytes/s, SET/s
}

// lagRun samples both offsets while redis-benchmark loads the master.
func lagRun(tmp string, s server, n, clients int) lagResult {
	m := start(tmp, s, nil)
	defer m.stop()
	r := start(tmp, s, []string{"--replicaof", "127.0.0.1", strconv.Itoa(m.port)})
	defer r.stop()
	for field(r.port, "replication", "master_link_status") != "up" {
		time.Sleep(10 * time.Millisecond)
	}
	mc, rc := dial(m.port), dial(r.port)
	defer mc.Close()
	defer rc.Close()
	bench := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(m.port), "-t", "set",
		"-n", strconv.Itoa(n), "-r", "1000000", "-d", "100", "-c", strconv.Itoa(clients), "-q")
	bench.Stdout, bench.Stderr = nil, os.Stderr
	off0, _ := strconv.ParseInt(field(m.port, "replication", "master_repl_offset"), 10, 64)
	t0 := time.Now()
	check(bench.Start())
	done := make(chan struct{})
	go func() { bench.Wait(); close(done) }()
	var lags []int64
	for {
		select {
		case <-done:
		default:
			var mo, ro int64
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); mo = infoInt(mc, "master_repl_offset") }()
			go func() { defer wg.Done(); ro = infoInt(rc, "slave_repl_offset") }()
			wg.Wait()
			lags = append(lags, max(mo-ro, 0))
			time.Sleep(5 * time.Millisecond)
			continue
		}
		break
	}
	elapsed := time.Since(t0)
	off1, _ := strconv.ParseInt(field(m.port, "replication", "master_repl_offset"), 10, 64)
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	pct := func(p float64) int64 { return lags[min(len(lags)-1, int(p*float64(len(lags))))] }
	return lagResult{p50: pct(0.50), p99: pct(0.99), max: lags[len(lags)-1],
		rate: float64(off1-off0) / elapsed.Seconds(), ops: float64(n) / elapsed.Seconds()}
}

// load writes keys key:0.. with distinct random values, MSET of 100 pipelined.
func load(port, keys, size int) {
	c := dial(port)
	defer c.Close()
	errc := make(chan error, 1)
	batches := (keys + 99) / 100
	go func() {
		br := bufio.NewReaderSize(c, 1<<16)
		for i := 0; i < batches; i++ {
			line, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "+OK") {
				errc <- fmt.Errorf("MSET reply %q: %v", line, err)
				return
			}
		}
		errc <- nil
	}()
	bw := bufio.NewWriterSize(c, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, size)
	for i := 0; i < keys; {
		n := min(100, keys-i)
		fmt.Fprintf(bw, "*%d\r\n$4\r\nMSET\r\n", 1+2*n)
		for j := 0; j < n; j, i = j+1, i+1 {
			k := "key:" + strconv.Itoa(i)
			for p := 0; p+8 <= size; p += 8 {
				v := rng.Uint64()
				for q := 0; q < 8; q++ {
					val[p+q] = 'a' + byte(v>>(q*8))%26
				}
			}
			fmt.Fprintf(bw, "$%d\r\n%s\r\n$%d\r\n", len(k), k, size)
			bw.Write(val)
			bw.WriteString("\r\n")
		}
	}
	check(bw.Flush())
	check(<-errc)
}

func start(tmp string, s server, args []string) *proc {
	for attempt := 0; ; attempt++ {
		port := 20000 + rand.IntN(10000)
		dir, err := os.MkdirTemp(tmp, s.name+"-")
		check(err)
		p := &proc{port: port, log: filepath.Join(dir, "log")}
		argv := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}, s.extra...)
		argv = append(argv, args...)
		f, err := os.Create(p.log)
		check(err)
		p.cmd = exec.Command(s.bin, argv...)
		p.cmd.Stdout, p.cmd.Stderr = f, f
		check(p.cmd.Start())
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
				ok := do(c, "PING") == "PONG"
				c.Close()
				if ok {
					return p
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.stop()
		if attempt == 3 {
			panic(s.name + " did not start")
		}
	}
}

func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

func dial(port int) net.Conn {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	check(err)
	return c
}

// do sends one command and returns a simple/integer/bulk reply as text (errors panic).
func do(c net.Conn, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := c.Write([]byte(b.String()))
	check(err)
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	check(err)
	line = strings.TrimRight(line, "\r\n")
	switch line[0] {
	case '+', ':':
		return line[1:]
	case '$':
		n, _ := strconv.Atoi(line[1:])
		buf := make([]byte, n+2)
		_, err := io.ReadFull(br, buf)
		check(err)
		return string(buf[:n])
	}
	panic(fmt.Sprintf("%v: %s", args, line))
}

func field(port int, section, name string) string {
	c := dial(port)
	defer c.Close()
	return infoField(do(c, "INFO", section), name)
}

func infoInt(c net.Conn, name string) int64 {
	n, _ := strconv.ParseInt(infoField(do(c, "INFO", "replication"), name), 10, 64)
	return n
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return v
		}
	}
	return ""
}

func medianDur(rs []syncResult, get func(syncResult) time.Duration) time.Duration {
	v := make([]time.Duration, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2].Round(time.Millisecond)
}

func medianI(rs []lagResult, get func(lagResult) int64) int64 {
	v := make([]int64, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

func medianF(rs []lagResult, get func(lagResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
