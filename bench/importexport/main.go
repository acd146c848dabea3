// Command importexport measures `slotdb import` of a dump.rdb into a 3-master cluster and
// `slotdb export` of that cluster back into one RDB file, against a slotdb cluster and a real
// redis-server 7.0.15 cluster (same tool, same file, same run). Each cluster is made of three
// fresh nodes joined by `redis-cli --cluster create`. Without -rdb a real redis-server first
// generates the dataset (DEBUG POPULATE strings plus the collections of bench/rdbload).
//
//	go run ./bench/importexport [-rdb dump.rdb] [-runs 3] [-strings 1000000]
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

const genScript = `
for i=1,1000 do local k='hash:'..i; for j=1,500,100 do local a={}; for f=j,j+99 do a[#a+1]='field:'..f; a[#a+1]='value:'..f..':'..i end; redis.call('HSET',k,unpack(a)) end end
for i=1,1000 do local k='list:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]='element:'..f end; redis.call('RPUSH',k,unpack(a)) end end
for i=1,500 do local k='zset:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]=f*1.5; a[#a+1]='member:'..f end; redis.call('ZADD',k,unpack(a)) end end
for i=1,500 do local k='set:'..i; for j=1,1000,100 do local a={}; for f=j,j+99 do a[#a+1]='m:'..f end; redis.call('SADD',k,unpack(a)) end end
for i=1,20000 do redis.call('HSET','small:'..i,'a','1','b','2','c','3') end
for i=1,200 do for j=1,500 do redis.call('XADD','stream:'..i,'*','f',j,'g','v') end end
return 1`

// The tool's summary line: "<what> done: N keys, X MB, S skipped, F failed, T s, R MB/s".
var doneRE = regexp.MustCompile(`done: (\d+) keys, ([0-9.]+) MB, (\d+) skipped, (\d+) failed, ([0-9.]+)s, ([0-9.]+) MB/s`)

type result struct {
	keys, failed int64
	mb, secs     float64
}

func (r result) rate() float64 { return r.mb / r.secs }

func main() {
	rdbPath := flag.String("rdb", "", "dump.rdb to import (default: generate one)")
	runs := flag.Int("runs", 3, "runs per cluster")
	nstr := flag.Int("strings", 1000000, "strings of the generated dataset (DEBUG POPULATE n str 100)")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "slotdb-bench-importexport-")
	check(err)
	defer os.RemoveAll(tmp)
	server := filepath.Join(tmp, "slotdb-server")
	tool := filepath.Join(tmp, "slotdb")
	for _, b := range [][2]string{{server, "./cmd/slotdb-server"}, {tool, "./cmd/slotdb"}} {
		build := exec.Command("go", "build", "-o", b[0], b[1])
		build.Stderr = os.Stderr
		check(build.Run())
	}
	if *rdbPath == "" {
		*rdbPath = generate(tmp, *nstr)
	}
	st, err := os.Stat(*rdbPath)
	check(err)
	fmt.Printf("file %s: %.1f MB\n", *rdbPath, float64(st.Size())/1e6)

	imports, exports := map[string][]result{}, map[string][]result{}
	for _, kind := range []string{"slotdb", "redis-server"} {
		exe := "redis-server"
		if kind == "slotdb" {
			exe = server
		}
		cl := startCluster(tmp, kind, exe)
		for i := range *runs {
			cl.flush()
			im := runTool(tool, "import", *rdbPath, "--to", cl.addrs[0])
			out := filepath.Join(tmp, "export.rdb")
			ex := runTool(tool, "export", "--from", cl.addrs[0], "--rdb", out)
			os.Remove(out)
			fmt.Printf("run %d %-12s import %d keys %.1f MB in %.2fs = %.1f MB/s (%d failed); export %d keys %.1f MB in %.2fs = %.1f MB/s\n",
				i+1, kind, im.keys, im.mb, im.secs, im.rate(), im.failed, ex.keys, ex.mb, ex.secs, ex.rate())
			imports[kind] = append(imports[kind], im)
			exports[kind] = append(exports[kind], ex)
		}
		cl.stop()
	}
	for _, kind := range []string{"slotdb", "redis-server"} {
		fmt.Printf("median %-12s import %.1f MB/s, export %.1f MB/s\n", kind, median(imports[kind]), median(exports[kind]))
	}
}

func median(rs []result) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, r.rate())
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// runTool runs the slotdb tool and parses its summary line.
func runTool(tool string, args ...string) result {
	out, err := exec.Command(tool, args...).CombinedOutput()
	m := doneRE.FindSubmatch(out)
	if err != nil || m == nil {
		fmt.Fprintf(os.Stderr, "slotdb %s: %v\n%s\n", strings.Join(args, " "), err, out)
		os.Exit(1)
	}
	var r result
	r.keys, _ = strconv.ParseInt(string(m[1]), 10, 64)
	r.mb, _ = strconv.ParseFloat(string(m[2]), 64)
	r.failed, _ = strconv.ParseInt(string(m[4]), 10, 64)
	r.secs, _ = strconv.ParseFloat(string(m[5]), 64)
	return r
}

type cluster struct {
	addrs []string
	cmds  []*exec.Cmd
}

// startCluster starts three fresh nodes and joins them with redis-cli --cluster create.
func startCluster(tmp, kind, exe string) *cluster {
	cl := &cluster{}
	for i := range 3 {
		port := freePort()
		dir := filepath.Join(tmp, kind+strconv.Itoa(i))
		check(os.MkdirAll(dir, 0o755))
		cmd := exec.Command(exe, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--save", "", "--appendonly", "no")
		lf, err := os.Create(filepath.Join(dir, "server.log"))
		check(err)
		cmd.Stdout, cmd.Stderr = lf, lf
		check(cmd.Start())
		cl.cmds = append(cl.cmds, cmd)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cl.addrs = append(cl.addrs, addr)
		dial(addr).Close()
	}
	create := exec.Command("redis-cli", append([]string{"--cluster", "create"}, append(cl.addrs, "--cluster-yes")...)...)
	if out, err := create.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "redis-cli --cluster create: %v\n%s\n", err, out)
		cl.stop()
		os.Exit(1)
	}
	for _, a := range cl.addrs {
		for start := time.Now(); ; {
			if strings.Contains(do(a, "CLUSTER", "INFO"), "cluster_state:ok") {
				break
			}
			if time.Since(start) > time.Minute {
				cl.stop()
				check(fmt.Errorf("%s: cluster_state never ok", a))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return cl
}

func (cl *cluster) flush() {
	for _, a := range cl.addrs {
		do(a, "FLUSHALL")
	}
}

func (cl *cluster) stop() {
	for _, c := range cl.cmds {
		c.Process.Signal(os.Interrupt)
		c.Wait()
	}
}

// do sends one command on a fresh connection and returns the raw reply's first bulk or line.
func do(addr string, argv ...string) string {
	c := dial(addr)
	defer c.Close()
	send(c, argv)
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	check(err)
	if line[0] != '$' {
		return line
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	b := make([]byte, n+2)
	_, err = io.ReadFull(r, b)
	check(err)
	return string(b[:n])
}

// generate has a real redis-server build the dataset and save it.
func generate(tmp string, nstr int) string {
	dir := filepath.Join(tmp, "gen")
	check(os.MkdirAll(dir, 0o755))
	port := freePort()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
	check(cmd.Start())
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for _, argv := range [][]string{
		{"DEBUG", "POPULATE", strconv.Itoa(nstr), "str", "100"},
		{"EVAL", genScript, "0"},
		{"SAVE"},
	} {
		if r := do(addr, argv...); strings.HasPrefix(r, "-") {
			check(fmt.Errorf("%s: %s", argv[0], r))
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

func dial(addr string) net.Conn {
	for range 400 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("cannot connect to %s", addr))
	return nil
}

var nextPort = 20000 + os.Getpid()%2000

// freePort picks a port whose cluster bus port (+10000) is free too, both below 32768.
func freePort() int {
	for {
		p := nextPort
		nextPort++
		if nextPort > 22700 {
			nextPort = 20000
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return p
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
