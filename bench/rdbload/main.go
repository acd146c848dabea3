// Command rdbload times loading one dump.rdb at startup: redis-server 7.0.15 and slotdb-server
// each start on a copy of the same file, alternately, and each one's own "DB loaded from
// disk: %.3f seconds" log line is the measurement. Without -rdb it first has a real
// redis-server generate the mixed dataset of bench/RESULTS.md (strings by DEBUG POPULATE, the
// collections by one EVAL).
//
//	go run ./bench/rdbload [-rdb dump.rdb] [-runs 3] [-strings 2000000] [-keep DIR] [-before BIN]
//
// -before times a second slotdb-server binary too (an older build, for before/after numbers).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// genScript builds the collections: 1000 hashes x 500 fields (hashtable), 1000 lists x 1000,
// 500 zsets x 1000 (skiplist), 500 sets x 1000, 20000 small hashes (listpack), 200 streams x
// 500 entries.
const genScript = `
for i=1,1000 do local k='hash:'..i; for j=1,500,100 do local a={}; for f=j,j+99 do a[#a+1]='field:'..f; a[#a+1]='value:'..f..':'..i end; redis.call('HSET',k,unpack(a)) end end
for i=1,1000 do local k='list:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]='element:'..f end; redis.call('RPUSH',k,unpack(a)) end end
for i=1,500 do local k='zset:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]=f*1.5; a[#a+1]='member:'..f end; redis.call('ZADD',k,unpack(a)) end end
for i=1,500 do local k='set:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]='m:'..f end; redis.call('SADD',k,unpack(a)) end end
for i=1,20000 do redis.call('HSET','small:'..i,'a','1','b','2','c','3') end
for i=1,200 do for j=1,500 do redis.call('XADD','stream:'..i,'*','f',j,'g','v') end end
return 1`

var loadedRE = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

func main() {
	rdbPath := flag.String("rdb", "", "dump.rdb to load (default: generate one)")
	runs := flag.Int("runs", 3, "runs per server")
	nstr := flag.Int("strings", 2000000, "strings of the generated dataset (DEBUG POPULATE n str 64)")
	keep := flag.String("keep", "", "keep the generated dump.rdb in this directory")
	before := flag.String("before", "", "also time this slotdb-server binary, as slotdb-before")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "slotdb-bench-rdbload-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "slotdb-server")
	build := exec.Command("go", "build", "-o", bin, "./cmd/slotdb-server")
	build.Stderr = os.Stderr
	check(build.Run())

	if *rdbPath == "" {
		*rdbPath = generate(tmp, *nstr)
		if *keep != "" {
			check(copyFile(*rdbPath, filepath.Join(*keep, "dump.rdb")))
		}
	}
	st, err := os.Stat(*rdbPath)
	check(err)
	fmt.Printf("file %s: %.1f MB\n", *rdbPath, float64(st.Size())/1e6)

	times, cpus := map[string][]float64{}, map[string][]float64{}
	names := []string{"redis-server", "slotdb"}
	bins := map[string]string{"redis-server": "redis-server", "slotdb": bin}
	if *before != "" {
		names = append(names, "slotdb-before")
		bins["slotdb-before"] = *before
	}
	for i := range *runs {
		for _, name := range names {
			exe := bins[name]
			secs, cpu := loadOnce(tmp, exe, name, *rdbPath)
			times[name] = append(times[name], secs)
			cpus[name] = append(cpus[name], cpu)
			fmt.Printf("run %d %-13s %.3f s (CPU %.2f s)\n", i+1, name, secs, cpu)
		}
	}
	for _, name := range names {
		t, c := slices.Clone(times[name]), slices.Clone(cpus[name])
		slices.Sort(t)
		slices.Sort(c)
		fmt.Printf("median %-13s %.3f s, CPU %.2f s  (runs: %v)\n", name, t[len(t)/2], c[len(c)/2], times[name])
	}
}

// loadOnce starts exe on a fresh copy of the file and returns its own load time and the CPU
// time it had used when it logged it.
func loadOnce(tmp, exe, name, rdbPath string) (float64, float64) {
	dir := filepath.Join(tmp, name)
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	check(copyFile(rdbPath, filepath.Join(dir, "dump.rdb")))
	port := freePort()
	logPath := filepath.Join(dir, "server.log")
	lf, err := os.Create(logPath)
	check(err)
	defer lf.Close()
	cmd := exec.Command(exe, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = lf, lf
	check(cmd.Start())
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(logPath)
		if m := loadedRE.FindSubmatch(b); m != nil {
			secs, _ := strconv.ParseFloat(string(m[1]), 64)
			return secs, cpuSeconds(cmd.Process.Pid)
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	fmt.Fprintf(os.Stderr, "%s never logged its load time:\n%s\n", name, b)
	os.Exit(1)
	return 0, 0
}

// cpuSeconds is the user+system CPU time pid has used so far (/proc/PID/stat, in clock ticks
// of 1/100 s): on a shared machine it measures the work, where wall time measures the
// neighbours too.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

// generate has a real redis-server build the dataset and save it uncompressed.
func generate(tmp string, nstr int) string {
	dir := filepath.Join(tmp, "gen")
	check(os.MkdirAll(dir, 0o755))
	port := freePort()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--rdbcompression", "no", "--enable-debug-command", "yes")
	check(cmd.Start())
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	c := dial(port)
	r := bufio.NewReader(c)
	for _, argv := range [][]string{
		{"DEBUG", "POPULATE", strconv.Itoa(nstr), "str", "64"},
		{"EVAL", genScript, "0"},
		{"SAVE"},
	} {
		send(c, argv)
		line, err := r.ReadString('\n')
		check(err)
		if strings.HasPrefix(line, "-") {
			check(fmt.Errorf("%s: %s", argv[0], line))
		}
	}
	return filepath.Join(dir, "dump.rdb")
}

func send(c net.Conn, argv []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(argv))
	for _, a := range argv {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := io.WriteString(c, b.String())
	check(err)
}

func dial(port int) net.Conn {
	for range 200 {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("cannot connect to port %d", port))
	return nil
}

// freePort picks a free port below 32768.
func freePort() int {
	for p := 20000 + os.Getpid()%10000; ; p++ {
		if p >= 32768 {
			p = 20000
		}
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			return p
		}
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
