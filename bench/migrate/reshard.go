package migrate

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// node is a server process of the bench.
type node struct {
	cmd  *exec.Cmd
	port int
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

func startNode(bin, dir string, redis bool) (*node, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := freePort()
	args := []string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--dir", dir, "--cluster-enabled", "yes",
		"--save", "", "--appendonly", "no"}
	if redis {
		args = append(args, "--daemonize", "no", "--logfile", filepath.Join(dir, "log"))
	}
	cmd := exec.Command(bin, args...)
	if !redis {
		log, _ := os.Create(filepath.Join(dir, "log"))
		cmd.Stdout, cmd.Stderr = log, log
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &node{cmd: cmd, port: p}
	for i := 0; i < 100; i++ {
		if out, _ := n.cli("PING"); strings.TrimSpace(out) == "PONG" {
			return n, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.stop()
	return nil, fmt.Errorf("%s did not start on port %d", bin, p)
}

var cliBin = "redis-cli"

func (n *node) cli(args ...string) (string, error) {
	out, err := exec.Command(cliBin, append([]string{"-p", strconv.Itoa(n.port)}, args...)...).CombinedOutput()
	return string(out), err
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// stop kills exactly this process.
func (n *node) stop() {
	n.cmd.Process.Kill()
	n.cmd.Wait()
}

// runReshard times redis-cli --cluster reshard of the dataset's slots between two nodes of
// bin (slotdb-server or redis-server).
func runReshard(m *Method, bin, dir string, o Options, sstMBps float64) error {
	cliBin = o.CliBin
	redis := strings.Contains(filepath.Base(bin), "redis")
	a, err := startNode(bin, filepath.Join(dir, "a"), redis)
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := startNode(bin, filepath.Join(dir, "b"), redis)
	if err != nil {
		return err
	}
	defer b.stop()
	if _, err := a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
		return err
	}
	if _, err := a.cli("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.port)); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ia, _ := a.cli("CLUSTER", "INFO")
		ib, _ := b.cli("CLUSTER", "INFO")
		if strings.Contains(ia, "cluster_state:ok") && strings.Contains(ib, "cluster_state:ok") &&
			strings.Contains(ia, "cluster_known_nodes:2") && strings.Contains(ib, "cluster_known_nodes:2") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster did not form")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Load with redis-cli --pipe: every slot is on a.
	var buf bytes.Buffer
	tags := hashTags(o.Slots)
	val := strings.Repeat("v", o.ValueSize)
	var keyBytes int64
	for i := range o.Keys {
		k := datasetKey(tags, i)
		keyBytes += int64(len(k))
		fmt.Fprintf(&buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(val), val)
	}
	load := exec.Command(cliBin, "-p", strconv.Itoa(a.port), "--pipe")
	load.Stdin = &buf
	if out, err := load.CombinedOutput(); err != nil {
		return fmt.Errorf("load: %v: %s", err, out)
	}
	idA, _ := a.cli("CLUSTER", "MYID")
	idB, _ := b.cli("CLUSTER", "MYID")
	time.Sleep(2 * time.Second) // let both nodes agree on the epochs before resharding
	start := time.Now()
	rs := exec.Command(cliBin, "--cluster", "reshard", a.addr(), "--cluster-from", strings.TrimSpace(idA),
		"--cluster-to", strings.TrimSpace(idB), "--cluster-slots", strconv.Itoa(o.Slots), "--cluster-yes")
	out, err := rs.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return fmt.Errorf("reshard: %v: %s", err, lastLines(out, 5))
	}
	nb, _ := b.cli("DBSIZE")
	keys, _ := strconv.ParseInt(strings.TrimSpace(nb), 10, 64)
	if keys != int64(o.Keys) {
		return fmt.Errorf("target holds %d keys after reshard, want %d", keys, o.Keys)
	}
	m.finish(keys, keyBytes+int64(o.Keys)*int64(o.ValueSize), d, sstMBps)
	return nil
}

func lastLines(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
