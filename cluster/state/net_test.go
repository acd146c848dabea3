package state

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/nodesconf"
)

// tnode is one simulated server: a State plus the facts the hooks read.
type tnode struct {
	idx    int
	s      *State
	cfg    Config
	alive  bool
	offset int64 // replication offset reported by Hooks.ReplOffset
	keys   map[int]int
	conns  map[LinkID]*conn
	saves  int
	paused int64
	busy   bool  // writes still in flight after the pause (Hooks.WritesPaused false)
	age    int64 // ms since the replica heard from its master (Hooks.DataAge)
	logs   []LogLine
	pub    []Publish
}

// conn is one TCP connection between two simulated servers.
type conn struct {
	a, b       *tnode
	aID, bID   LinkID
	closed     bool
	sentOnDead int
}

func (c *conn) peer(n *tnode, id LinkID) (*tnode, LinkID) {
	if n == c.a && id == c.aID {
		return c.b, c.bID
	}
	return c.a, c.aID
}

type event struct {
	to   *tnode
	link LinkID
	msg  []byte // encoded: every message crosses the real codec
	// closed, when set, reports the connection gone instead of a message.
	closed bool
}

// cluster is the in-memory network: FIFO delivery, partitions, drops, all seeded.
type cluster struct {
	t        *testing.T
	now      int64
	nodes    []*tnode
	byCPort  map[int]*tnode
	queue    []event
	cut      map[[2]int]bool
	dropRate float64
	rng      *rand.Rand
	sent     map[bus.MsgType]int
	acks     map[string]int // "voter epoch" -> ACKs sent
	wins     map[uint64][]string
}

const baseNow = 1_800_000_000_000

func newCluster(t *testing.T, n int, seed uint64, tweak func(*Config)) *cluster {
	c := &cluster{t: t, now: baseNow, byCPort: map[int]*tnode{}, cut: map[[2]int]bool{},
		rng: rand.New(rand.NewPCG(seed, 99)), sent: map[bus.MsgType]int{}, acks: map[string]int{},
		wins: map[uint64][]string{}}
	for i := 0; i < n; i++ {
		cfg := DefaultConfig(30001 + i)
		cfg.NodeTimeout = 1000
		if tweak != nil {
			tweak(&cfg)
		}
		tn := &tnode{idx: i, cfg: cfg, alive: true, keys: map[int]int{}, conns: map[LinkID]*conn{}}
		s, out := New(cfg, tn.hooks(), rand.NewPCG(seed, uint64(i)+1), c.now)
		tn.s = s
		c.nodes = append(c.nodes, tn)
		c.byCPort[cfg.CPort] = tn
		c.apply(tn, out)
	}
	return c
}

func (tn *tnode) hooks() Hooks {
	return Hooks{
		ReplOffset:   func() int64 { return tn.offset },
		WritesPaused: func() bool { return !tn.busy },
		DataAge:      func(int64) int64 { return tn.age },
		KeysInSlot:   func(s int) int { return tn.keys[s] },
	}
}

func (c *cluster) reachable(a, b *tnode) bool {
	return a.alive && b.alive && !c.cut[[2]int{a.idx, b.idx}] && !c.cut[[2]int{b.idx, a.idx}]
}

// partition cuts every pair between the two groups.
func (c *cluster) partition(group []int, heal bool) {
	in := map[int]bool{}
	for _, g := range group {
		in[g] = true
	}
	for _, a := range c.nodes {
		for _, b := range c.nodes {
			if in[a.idx] && !in[b.idx] {
				if heal {
					delete(c.cut, [2]int{a.idx, b.idx})
				} else {
					c.cut[[2]int{a.idx, b.idx}] = true
				}
			}
		}
	}
}

func (c *cluster) kill(i int) {
	tn := c.nodes[i]
	tn.alive = false
	for id, cn := range tn.conns {
		if !cn.closed {
			cn.closed = true
			p, pid := cn.peer(tn, id)
			c.queue = append(c.queue, event{to: p, link: pid, closed: true})
		}
	}
	tn.conns = map[LinkID]*conn{}
}

// apply executes one Output the way the I/O layer would.
func (c *cluster) apply(tn *tnode, out Output) {
	if out.Fsync && !out.Save {
		c.t.Fatalf("node %d: Fsync without Save", tn.idx)
	}
	if out.Save {
		tn.saves++
	}
	tn.logs = append(tn.logs, out.Logs...)
	for _, l := range out.Logs {
		if l.Text == "Failover election won: I'm the new master." {
			e := tn.s.Myself().ConfigEpoch
			c.wins[e] = append(c.wins[e], tn.s.MyID())
		}
	}
	tn.pub = append(tn.pub, out.Published...)
	if out.PauseWritesUntil != 0 {
		tn.paused = out.PauseWritesUntil
	}
	if out.UnpauseWrites {
		tn.paused = 0
	}
	for _, id := range out.Closes {
		if cn := tn.conns[id]; cn != nil {
			delete(tn.conns, id)
			if !cn.closed {
				cn.closed = true
				p, pid := cn.peer(tn, id)
				c.queue = append(c.queue, event{to: p, link: pid, closed: true})
			}
		}
	}
	for _, cc := range out.Connects {
		target := c.byCPort[cc.CPort]
		if target == nil || cc.IP != "127.0.0.1" || !c.reachable(tn, target) {
			c.apply(tn, tn.s.LinkClosed(c.now, cc.Link))
			continue
		}
		bid := target.s.Accept(c.now, "127.0.0.1", "127.0.0.1")
		cn := &conn{a: tn, b: target, aID: cc.Link, bID: bid}
		tn.conns[cc.Link] = cn
		target.conns[bid] = cn
		c.apply(tn, tn.s.LinkConnected(c.now, cc.Link, "127.0.0.1"))
	}
	for _, snd := range out.Sends {
		c.sent[snd.Msg.Header.Type]++
		if snd.Msg.Header.Type == bus.TypeFailoverAuthAck {
			c.acks[fmt.Sprintf("%s %d", tn.s.MyID(), snd.Msg.Header.CurrentEpoch)]++
		}
		cn := tn.conns[snd.Link]
		if cn == nil || cn.closed {
			continue
		}
		p, pid := cn.peer(tn, snd.Link)
		if !c.reachable(tn, p) || (c.dropRate > 0 && c.rng.Float64() < c.dropRate) {
			continue
		}
		c.queue = append(c.queue, event{to: p, link: pid, msg: bus.Encode(snd.Msg)})
	}
}

func (c *cluster) drain() {
	for steps := 0; len(c.queue) > 0; steps++ {
		if steps > 1_000_000 {
			c.t.Fatal("network does not quiesce")
		}
		ev := c.queue[0]
		c.queue = c.queue[1:]
		if !ev.to.alive {
			continue
		}
		if ev.closed {
			delete(ev.to.conns, ev.link)
			c.apply(ev.to, ev.to.s.LinkClosed(c.now, ev.link))
			continue
		}
		m, err := bus.Decode(ev.msg)
		if err != nil {
			c.t.Fatalf("undecodable message: %v", err)
		}
		c.apply(ev.to, ev.to.s.Step(c.now, ev.link, m))
	}
}

// run advances the clock by ms in 100 ms cron steps.
func (c *cluster) run(ms int64) {
	for end := c.now + ms; c.now < end; {
		c.now += 100
		for _, tn := range c.nodes {
			if tn.alive {
				c.apply(tn, tn.s.Tick(c.now))
			}
		}
		c.drain()
	}
}

// runUntil runs until cond holds, failing after limit ms.
func (c *cluster) runUntil(limit int64, what string, cond func() bool) {
	c.t.Helper()
	for end := c.now + limit; !cond(); {
		if c.now >= end {
			c.t.Fatalf("after %d ms: %s never happened\n%s", limit, what, c.dump())
		}
		c.run(100)
	}
}

func (c *cluster) do(i int, f func(s *State) (Output, error)) {
	c.t.Helper()
	out, err := f(c.nodes[i].s)
	if err != nil {
		c.t.Fatalf("node %d: %v", i, err)
	}
	c.apply(c.nodes[i], out)
	c.drain()
}

func (c *cluster) dump() string {
	out := ""
	for _, tn := range c.nodes {
		out += fmt.Sprintf("--- node %d alive=%v ok=%v epoch=%d\n%s", tn.idx, tn.alive, tn.s.OK(), tn.s.CurrentEpoch(), tn.s.ClusterNodes())
	}
	return out
}

func (c *cluster) id(i int) string { return c.nodes[i].s.MyID() }

// meetAll has every node meet node 0, as redis-cli --cluster create does.
func (c *cluster) meetAll() {
	for i := 1; i < len(c.nodes); i++ {
		c.do(i, func(s *State) (Output, error) { return s.Meet(c.now, []string{"127.0.0.1", "30001"}) })
	}
}

// converged: every live node knows exactly the live set plus want extra, with no handshake.
func (c *cluster) allKnowEachOther() bool {
	for _, tn := range c.nodes {
		if !tn.alive {
			continue
		}
		nodes := tn.s.Nodes()
		if len(nodes) != len(c.nodes) {
			return false
		}
		for _, n := range nodes {
			if n.Flags&(bus.FlagHandshake|bus.FlagNoAddr) != 0 || n.Flags&(bus.FlagMaster|bus.FlagSlave) == 0 {
				return false
			}
		}
	}
	return true
}

func (c *cluster) allOK() bool {
	for _, tn := range c.nodes {
		if tn.alive && !tn.s.OK() {
			return false
		}
	}
	return true
}

// createCluster builds masters 0..m-1 with slots spread evenly and distinct epochs, the
// other nodes replicas spread over the masters, all converged.
func createCluster(t *testing.T, n, m int, seed uint64, tweak func(*Config)) *cluster {
	c := newCluster(t, n, seed, tweak)
	per := bus.SlotCount / m
	for i := 0; i < m; i++ {
		start, end := i*per, (i+1)*per-1
		if i == m-1 {
			end = bus.SlotCount - 1
		}
		c.do(i, func(s *State) (Output, error) {
			return s.AddSlotsRange(c.now, []string{fmt.Sprint(start), fmt.Sprint(end)})
		})
	}
	for i := range c.nodes {
		c.do(i, func(s *State) (Output, error) { return s.SetConfigEpoch(c.now, fmt.Sprint(i+1)) })
	}
	c.meetAll()
	c.runUntil(20_000, "convergence", c.allKnowEachOther)
	for i := m; i < n; i++ {
		master := c.id((i - m) % m)
		c.do(i, func(s *State) (Output, error) { return s.Replicate(c.now, master) })
	}
	c.runUntil(20_000, "cluster_state ok", func() bool { return c.allOK() && c.replicasKnown(n, m) })
	return c
}

func (c *cluster) replicasKnown(n, m int) bool {
	for _, tn := range c.nodes {
		for i := m; i < n; i++ {
			ni, ok := tn.s.Node(c.id(i))
			if !ok || ni.MasterID != c.id((i-m)%m) {
				return false
			}
		}
	}
	return true
}

func (c *cluster) ownerEverywhere(slot int) (string, bool) {
	owner := ""
	for _, tn := range c.nodes {
		if !tn.alive {
			continue
		}
		o := tn.s.SlotOwner(slot)
		if owner == "" {
			owner = o
		} else if o != owner {
			return "", false
		}
	}
	return owner, owner != ""
}

// checkConfigRoundTrip: what a node would save parses back to the same table.
func checkConfigRoundTrip(t *testing.T, s *State) {
	t.Helper()
	text := nodesconf.Format(s.Export())
	c, err := nodesconf.Parse(text)
	if err != nil {
		t.Fatalf("saved nodes.conf does not parse: %v\n%s", err, text)
	}
	if got := nodesconf.Format(c); string(got) != string(text) {
		t.Fatalf("nodes.conf round trip:\n%s\nvs\n%s", got, text)
	}
}

func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}
