package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// Native atomic slot migration (CLUSTER MIGRATESLOTS) between two slotdb masters, under a
// concurrent load, and its failure schedules.

const (
	movingEnd  = 4095 // slots 0..movingEnd move from a to b
	movingKeys = 10000
)

// twoMasters starts a (owning every slot) and b (empty), joined.
func twoMasters(t *testing.T, extra ...string) (a, b *proctest.Server) {
	t.Helper()
	a = startSlotdb(t, append([]string{"--cluster-own-all-slots"}, extra...)...)
	waitClusterOK(t, a)
	b = startSlotdb(t, extra...)
	addNode(t, a, b, a, b)
	return a, b
}

// loadMoving writes movingKeys keys in the moving slots and 1000 outside, pipelined, with
// values of size bytes; it returns the total and the moving keys' names.
func loadMoving(t *testing.T, a *proctest.Server, size int) (int, []string) {
	t.Helper()
	c := proctest.MustDial(t, a.Addr())
	c.SetTimeout(30 * time.Second)
	val := strings.Repeat("v", size)
	in, out, sent := 0, 0, 0
	var names []string
	for i := 0; in < movingKeys || out < 1000; i++ {
		k := "k:" + strconv.Itoa(i)
		if int(keyslot.Of([]byte(k))) <= movingEnd {
			if in == movingKeys {
				continue
			}
			in++
			names = append(names, k)
		} else {
			if out == 1000 {
				continue
			}
			out++
		}
		if err := c.Send("SET", k, val); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	for range sent {
		r, err := c.ReadReply()
		if err != nil || string(r) != "+OK\r\n" {
			t.Fatalf("SET: %q %v", r, err)
		}
	}
	return in + out, names
}

// clusterClient follows MOVED and retries TRYAGAIN, as a cluster client does; any other
// error is recorded.
type clusterClient struct {
	t     *testing.T
	conns map[string]*proctest.Conn
	errs  *errList
}

type errList struct {
	mu   sync.Mutex
	list []string
}

func (e *errList) add(s string) {
	e.mu.Lock()
	if len(e.list) < 20 {
		e.list = append(e.list, s)
	}
	e.mu.Unlock()
}

func (cc *clusterClient) conn(addr string) (*proctest.Conn, error) {
	if c := cc.conns[addr]; c != nil {
		return c, nil
	}
	c, err := proctest.Dial(addr)
	if err != nil {
		return nil, err
	}
	c.SetTimeout(10 * time.Second)
	cc.conns[addr] = c
	return c, nil
}

func (cc *clusterClient) close() {
	for _, c := range cc.conns {
		c.Close()
	}
}

// do runs args starting at addr; it returns the reply and the address that served it.
func (cc *clusterClient) do(addr string, args ...string) (*proctest.Reply, string, bool) {
	for attempt := 0; attempt < 400; attempt++ {
		c, err := cc.conn(addr)
		if err != nil {
			cc.errs.add(fmt.Sprintf("dial %s: %v", addr, err))
			return nil, addr, false
		}
		r, err := c.DoReply(args...)
		if err != nil {
			cc.errs.add(fmt.Sprintf("%v on %s: %v", args, addr, err))
			return nil, addr, false
		}
		if r.Type == '-' {
			switch {
			case strings.HasPrefix(r.Str, "MOVED "):
				f := strings.Fields(r.Str)
				addr = f[2]
				continue
			case strings.HasPrefix(r.Str, "TRYAGAIN"):
				time.Sleep(5 * time.Millisecond)
				continue
			}
			cc.errs.add(fmt.Sprintf("%v on %s: -%s", args, addr, r.Str))
			return r, addr, false
		}
		return r, addr, true
	}
	cc.errs.add(fmt.Sprintf("%v: too many redirections", args))
	return nil, addr, false
}

// load runs writers until stop: each SETs new keys of its own and INCRs counters of its
// own, and reads back what it wrote. acked holds the last acknowledged value of each key.
type load struct {
	acked   sync.Map // key → string
	newKeys atomic.Int64
	maybe   atomic.Int64 // new keys whose write failed (a node killed): maybe applied
	ops     atomic.Int64
	errs    errList
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startLoad(t *testing.T, entry string, writers int, names []string) *load {
	return startLoadFrom(t, entry, 0, writers, names)
}

// startLoadFrom is startLoad with writers numbered from first: a second load writes keys
// of its own.
func startLoadFrom(t *testing.T, entry string, first, writers int, names []string) *load {
	l := &load{stop: make(chan struct{})}
	for w := first; w < first+writers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			cc := &clusterClient{t: t, conns: map[string]*proctest.Conn{}, errs: &l.errs}
			defer cc.close()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			counters := map[string]int{}
			for n := 0; ; n++ {
				select {
				case <-l.stop:
					return
				default:
				}
				switch n % 3 {
				case 0:
					k := fmt.Sprintf("w%d:%d", w, n)
					v := strconv.Itoa(n)
					if _, _, ok := cc.do(entry, "SET", k, v); ok {
						l.acked.Store(k, v)
						l.newKeys.Add(1)
					} else {
						l.maybe.Add(1)
					}
				case 1:
					k := fmt.Sprintf("c%d:%d", w, rng.IntN(50))
					r, _, ok := cc.do(entry, "INCR", k)
					if !ok { // maybe applied: its value is not known any more
						if _, seen := counters[k]; !seen {
							l.maybe.Add(1)
						}
						l.acked.Delete(k)
						return // this writer's counters are uncertain from here
					}
					if _, seen := counters[k]; !seen {
						l.newKeys.Add(1)
					}
					counters[k]++
					if r.Str != strconv.Itoa(counters[k]) {
						l.errs.add(fmt.Sprintf("INCR %s = %s, want %d", k, r.Str, counters[k]))
					}
					l.acked.Store(k, r.Str)
				case 2:
					k := names[rng.IntN(len(names))]
					if r, _, ok := cc.do(entry, "GET", k); ok && r.Null {
						l.errs.add("GET " + k + " = nil")
					}
				}
				l.ops.Add(1)
			}
		}()
	}
	return l
}

func (l *load) end() {
	close(l.stop)
	l.wg.Wait()
}

// migration returns the first GETSLOTMIGRATIONS entry of s as a map.
func migration(t *testing.T, s *proctest.Server) map[string]string {
	t.Helper()
	c := proctest.MustDial(t, s.Addr())
	r, err := c.DoReply("CLUSTER", "GETSLOTMIGRATIONS")
	c.Close()
	if err != nil || r.Type == '-' {
		t.Fatalf("GETSLOTMIGRATIONS: %v %+v", err, r)
	}
	if len(r.Elems) == 0 {
		return nil
	}
	last := r.Elems[len(r.Elems)-1]
	m := map[string]string{}
	for i := 0; i+1 < len(last.Elems); i += 2 {
		m[last.Elems[i].Str] = last.Elems[i+1].Str
	}
	return m
}

// waitMigration waits for the newest job on s to reach a terminal state.
func waitMigration(t *testing.T, s *proctest.Server) map[string]string {
	t.Helper()
	var m map[string]string
	waitFor(t, 60*time.Second, "the migration to end", func() (bool, string) {
		m = migration(t, s)
		st := m["state"]
		return st == "success" || st == "failed" || st == "cancelled", fmt.Sprint(m)
	})
	return m
}

func migrateSlots(t *testing.T, a, b *proctest.Server) {
	t.Helper()
	mustOK(t, a, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", "0", strconv.Itoa(movingEnd), "NODE", myID(t, b))
}

// checkOwnership: both nodes agree that slots 0..movingEnd belong to want and the others to
// a; each key of the load reads its last acknowledged value at its owner; DBSIZE sums to
// total; the node that does not own the moving slots holds none of their keys.
func checkOwnership(t *testing.T, a, b, want *proctest.Server, total int, names []string, l *load) {
	t.Helper()
	owner := myID(t, want)
	waitFor(t, 10*time.Second, "agreement on the moving slots' owner", func() (bool, string) {
		for _, s := range []*proctest.Server{a, b} {
			nodes := do(t, s, "CLUSTER", "NODES")
			for _, line := range strings.Split(nodes, "\n") {
				if strings.HasPrefix(line, owner) {
					if want == a && !strings.Contains(line, " 0-16383") || want == b && !strings.Contains(line, " 0-"+strconv.Itoa(movingEnd)) {
						return false, nodes
					}
				}
			}
		}
		return true, ""
	})
	other := a
	if want == a {
		other = b
	}
	for slot := 0; slot <= movingEnd; slot += 97 {
		if got := do(t, other, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot)); got != "0" {
			t.Fatalf("slot %d: %s keys left on the non-owner", slot, got)
		}
	}
	if got := do(t, other, "GET", names[0]); !strings.HasPrefix(got, "-MOVED ") && want == b {
		t.Fatalf("GET %s on the source = %q, want MOVED", names[0], got)
	}
	cc := &clusterClient{t: t, conns: map[string]*proctest.Conn{}, errs: &errList{}}
	defer cc.close()
	n := 0
	if l != nil {
		l.acked.Range(func(k, v any) bool {
			r, _, ok := cc.do(a.Addr(), "GET", k.(string))
			if !ok || r.Str != v.(string) {
				t.Errorf("GET %s = %+v, want %s", k, r, v)
				return n < 10
			}
			n++
			return true
		})
		total += int(l.newKeys.Load())
	}
	for i := 0; i < len(names); i += 211 {
		if r, _, ok := cc.do(a.Addr(), "EXISTS", names[i]); !ok || r.Str != "1" {
			t.Errorf("%s lost (%+v)", names[i], r)
		}
	}
	if len(cc.errs.list) > 0 {
		t.Errorf("reading back: %v", cc.errs.list)
	}
	maybe := 0
	if l != nil {
		maybe = int(l.maybe.Load())
	}
	if sum := dbsize(t, a) + dbsize(t, b); sum < total || sum > total+maybe {
		t.Fatalf("DBSIZE %d + %d = %d, want %d (+ up to %d writes that failed)", dbsize(t, a), dbsize(t, b), sum, total, maybe)
	}
}

func TestMigrateSlotsUnderLoad(t *testing.T) {
	t.Parallel()
	a, b := twoMasters(t)
	total, names := loadMoving(t, a, 64)
	l := startLoad(t, a.Addr(), 4, names)
	time.Sleep(300 * time.Millisecond)
	migrateSlots(t, a, b)
	m := waitMigration(t, a)
	time.Sleep(300 * time.Millisecond)
	l.end()
	if m["state"] != "success" || m["operation"] != "EXPORT" || m["slot_ranges"] != "0-"+strconv.Itoa(movingEnd) ||
		m["target_node"] != myID(t, b) || m["source_node"] != myID(t, a) {
		t.Fatalf("source job: %v", m)
	}
	if im := migration(t, b); im["state"] != "success" || im["operation"] != "IMPORT" || im["name"] != m["name"] {
		t.Fatalf("target job: %v", im)
	}
	if len(l.errs.list) > 0 {
		t.Fatalf("clients saw errors: %v", l.errs.list)
	}
	t.Logf("%d operations during the test; %s records, %s forwarded commands", l.ops.Load(), m["records"], m["forwarded_commands"])
	checkOwnership(t, a, b, b, total, names, l)
	if info := do(t, a, "INFO", "cluster"); !strings.Contains(info, "slot_migration_last_state:success") {
		t.Fatalf("INFO cluster:\n%s", info)
	}
}

// The target is killed (SIGKILL) while the records stream, then restarted: the source
// keeps the slots and every key, the target keeps nothing; a second run succeeds. Then the
// same with CLUSTER CANCELSLOTMIGRATIONS.
func TestMigrateSlotsFailures(t *testing.T) {
	t.Setenv("SLOTDB_SLOT_MIGRATION_MAX_BYTES_PER_SEC", "2000000") // about 1.5 s of stream
	a, b := twoMasters(t)
	total, names := loadMoving(t, a, 256)

	migrateSlots(t, a, b)
	waitFor(t, 10*time.Second, "records streaming", func() (bool, string) {
		m := migration(t, a)
		n, _ := strconv.Atoi(m["records"])
		return n > 0, fmt.Sprint(m)
	})
	b.Kill()
	m := waitMigration(t, a)
	if m["state"] != "failed" {
		t.Fatalf("after the target's death: %v", m)
	}
	b.Restart()
	waitClusterOK(t, a, b)
	checkOwnership(t, a, b, a, total, names, nil)

	migrateSlots(t, a, b)
	time.Sleep(200 * time.Millisecond)
	mustOK(t, a, "CLUSTER", "CANCELSLOTMIGRATIONS")
	if m := waitMigration(t, a); m["state"] != "cancelled" {
		t.Fatalf("after CANCEL: %v", m)
	}
	waitFor(t, 10*time.Second, "the target's import to end", func() (bool, string) {
		m := migration(t, b)
		return m["state"] == "failed", fmt.Sprint(m)
	})
	checkOwnership(t, a, b, a, total, names, nil)

	migrateSlots(t, a, b)
	if m := waitMigration(t, a); m["state"] != "success" {
		t.Fatalf("re-run: %v", m)
	}
	checkOwnership(t, a, b, b, total, names, nil)
}

// The source is killed (SIGKILL) while the records stream, then restarted: it still owns
// every slot and key, the target dropped what it staged, and a second run succeeds.
func TestMigrateSlotsSourceKilled(t *testing.T) {
	t.Setenv("SLOTDB_SLOT_MIGRATION_MAX_BYTES_PER_SEC", "2000000")
	// appendfsync always: the keys loaded just before must survive the SIGKILL (with
	// everysec the engine's WAL may lose the last acknowledged writes to a SIGKILL).
	a, b := twoMasters(t, "--appendfsync", "always")
	total, names := loadMoving(t, a, 256)
	migrateSlots(t, a, b)
	waitFor(t, 10*time.Second, "records streaming", func() (bool, string) {
		m := migration(t, a)
		n, _ := strconv.Atoi(m["records"])
		return n > 0, fmt.Sprint(m)
	})
	a.Kill()
	waitFor(t, 10*time.Second, "the target's import to fail", func() (bool, string) {
		m := migration(t, b)
		return m["state"] == "failed", fmt.Sprint(m)
	})
	if n := dbsize(t, b); n != 0 {
		t.Fatalf("target holds %d keys after the source died", n)
	}
	a.Restart()
	waitClusterOK(t, a, b)
	checkOwnership(t, a, b, a, total, names, nil)
	migrateSlots(t, a, b)
	if m := waitMigration(t, a); m["state"] != "success" {
		t.Fatalf("re-run: %v", m)
	}
	checkOwnership(t, a, b, b, total, names, nil)
}
