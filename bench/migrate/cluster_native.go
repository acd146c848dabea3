package migrate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency is a client's view of a phase: GETs of dataset keys by a few cluster-aware
// clients (they follow MOVED and retry TRYAGAIN; the time includes the redirections).
type Latency struct {
	Ops   int     `json:"ops"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// runClusterNative times CLUSTER MIGRATESLOTS of the dataset's slots between two
// slotdb-server nodes, end to end (snapshot, stream, catch-up, pause, hand-over, drop), with a
// client load running; it returns the latency of that load idle and during the move.
func runClusterNative(m *Method, bin, dir string, o Options, sstMBps float64) (idle, during Latency, err error) {
	cliBin = o.CliBin
	a, err := startNode(bin, filepath.Join(dir, "a"), false)
	if err != nil {
		return idle, during, err
	}
	defer a.stop()
	b, err := startNode(bin, filepath.Join(dir, "b"), false)
	if err != nil {
		return idle, during, err
	}
	defer b.stop()
	if err := formPair(a, b); err != nil {
		return idle, during, err
	}
	keyBytes, err := loadDataset(a, o)
	if err != nil {
		return idle, during, err
	}
	idA, _ := a.cli("CLUSTER", "MYID")
	idB, _ := b.cli("CLUSTER", "MYID")
	time.Sleep(2 * time.Second) // both nodes agree on the epochs

	tags := hashTags(o.Slots)
	var phase atomic.Int32 // 0 idle, 1 during, 2 stop
	var mu sync.Mutex
	lat := [2][]time.Duration{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &benchClient{}
			defer c.close()
			for i := w; phase.Load() < 2; i += 7919 {
				p := phase.Load()
				start := time.Now()
				if err := c.get(a.addr(), datasetKey(tags, i%o.Keys)); err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				d := time.Since(start)
				mu.Lock()
				lat[p] = append(lat[p], d)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(3 * time.Second)
	phase.Store(1)
	start := time.Now()
	out, err := a.cli("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", strconv.Itoa(o.Slots-1), "NODE", strings.TrimSpace(idB))
	if err == nil && strings.TrimSpace(out) != "OK" {
		err = fmt.Errorf("MIGRATESLOTS: %s", strings.TrimSpace(out))
	}
	state := ""
	// Polled on one connection: a redis-cli process per poll would load the machine during
	// the migration only, and inflate the latency measured then.
	poll := &benchClient{}
	defer poll.close()
	for err == nil {
		info, _ := poll.info(a.addr())
		state = infoValue(info, "slot_migration_last_state")
		if state == "success" || state == "failed" || state == "cancelled" {
			break
		}
		if time.Since(start) > 30*time.Minute {
			err = fmt.Errorf("migration still %s after 30 minutes", state)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := time.Since(start)
	phase.Store(2)
	wg.Wait()
	if err != nil {
		return idle, during, err
	}
	if state != "success" {
		list, _ := a.cli("CLUSTER", "GETSLOTMIGRATIONS")
		return idle, during, fmt.Errorf("migration %s: %s", state, lastLines([]byte(list), 4))
	}
	info, _ := a.cli("INFO", "cluster")
	if p, err := strconv.ParseFloat(infoValue(info, "slot_migration_last_pause_ms"), 64); err == nil {
		m.PauseMs = &p
	}
	nb, _ := b.cli("DBSIZE")
	keys, _ := strconv.ParseInt(strings.TrimSpace(nb), 10, 64)
	if keys != int64(o.Keys) {
		return idle, during, fmt.Errorf("target holds %d keys after the migration, want %d", keys, o.Keys)
	}
	_ = idA
	m.finish(keys, keyBytes+int64(o.Keys)*int64(o.ValueSize), d, sstMBps)
	return summarize(lat[0]), summarize(lat[1]), nil
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Latency{Ops: len(ds), P50Ms: ms(ds[len(ds)/2]), P99Ms: ms(ds[len(ds)*99/100]), MaxMs: ms(ds[len(ds)-1])}
}

func infoValue(info, field string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), field+":"); ok {
			return v
		}
	}
	return ""
}

// formPair gives every slot to a and joins b.
func formPair(a, b *node) error {
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
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster did not form")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// loadDataset writes the dataset into a with redis-cli --pipe; it returns the keys' bytes.
func loadDataset(a *node, o Options) (int64, error) {
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
		return 0, fmt.Errorf("load: %v: %s", err, out)
	}
	return keyBytes, nil
}

// benchClient is a minimal cluster-aware RESP client for GET.
type benchClient struct {
	conns map[string]*benchConn
}

type benchConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (bc *benchClient) close() {
	for _, c := range bc.conns {
		c.c.Close()
	}
}

func (bc *benchClient) get(addr string, key []byte) error {
	if bc.conns == nil {
		bc.conns = map[string]*benchConn{}
	}
	for range 100 {
		c := bc.conns[addr]
		if c == nil {
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return err
			}
			c = &benchConn{c: nc, br: bufio.NewReader(nc)}
			bc.conns[addr] = c
		}
		c.c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(c.c, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key); err != nil {
			return err
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "-MOVED "):
			addr = strings.Fields(line)[2]
			continue
		case strings.HasPrefix(line, "-TRYAGAIN"):
			time.Sleep(time.Millisecond)
			continue
		case strings.HasPrefix(line, "-"):
			return fmt.Errorf("%s", line)
		case strings.HasPrefix(line, "$"):
			n, _ := strconv.Atoi(line[1:])
			if n >= 0 {
				if _, err := c.br.Discard(n + 2); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fmt.Errorf("too many redirections")
}

// info returns INFO cluster of addr, on a kept connection.
func (bc *benchClient) info(addr string) (string, error) {
	if bc.conns == nil {
		bc.conns = map[string]*benchConn{}
	}
	c := bc.conns[addr]
	if c == nil {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return "", err
		}
		c = &benchConn{c: nc, br: bufio.NewReader(nc)}
		bc.conns[addr] = c
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c.c, "*2\r\n$4\r\nINFO\r\n$7\r\ncluster\r\n"); err != nil {
		return "", err
	}
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimRight(line[1:], "\r\n"))
	if !strings.HasPrefix(line, "$") || err != nil || n < 0 {
		return "", fmt.Errorf("INFO: %q", line)
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(c.br, b); err != nil {
		return "", err
	}
	return string(b[:n]), nil
}
