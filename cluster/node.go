// Package cluster runs a Redis Cluster node: the bus listener and links, the 100 ms
// cron, nodes.conf on disk, around the pure state machine of cluster/state. Every call
// into the state machine happens under one mutex (Redis's event loop), and the Output it
// returns is executed before the mutex is released, so outputs are applied in order.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
)

// Options configure a node.
type Options struct {
	Config     state.Config // cluster-* settings; Port/CPort are the announced ports
	ConfigFile string       // nodes.conf path (cluster-config-file), relative to the working dir
	Bind       []string     // bus listen addresses, as the bind directive ("*", "-::*", ...)
	BusPort    int          // the port the bus listens on (cluster-port or port+10000)
	Engine     *engine.Engine
	Logger     *slog.Logger

	ReadsWhenDown    bool   // cluster-allow-reads-when-down
	LinkSendBufLimit int64  // cluster-link-sendbuf-limit in bytes, 0: none (SetLinkSendBufLimit)
	EndpointType     string // cluster-preferred-endpoint-type: ip, hostname, unknown-endpoint

	// ReplOffset supplies the replication offset (the replication layer's seam); nil is 0.
	ReplOffset func() int64
	// OnPublish delivers PUBLISH / SPUBLISH received over the bus to local subscribers.
	OnPublish func(p state.Publish)
	// Now is the clock (Unix ms); nil means the wall clock. Tests may replace it.
	Now func() int64
}

// Node is a running cluster node.
type Node struct {
	opts Options
	log  *slog.Logger
	now  func() int64

	mu    sync.Mutex // serialises every call into st and the execution of its Output
	st    *state.State
	cfg   state.Config
	conns map[state.LinkID]*conn
	fresh bool // nodes.conf did not exist: this start created the identity

	listeners []net.Listener
	done      chan struct{}
	ctx       context.Context // canceled by Close: ends dials in progress
	cancel    context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup

	nodeTimeout   atomic.Int64  // cfg.NodeTimeout for the link goroutines, which hold no lock
	malformed     atomic.Uint64 // bus packets dropped because they did not decode
	sendBufLimit  atomic.Int64  // cluster-link-sendbuf-limit, bytes: links.go
	readsWhenDown atomic.Bool
	endpointType  atomic.Int32
	sv            saves                                  // nodes.conf saves: persist.go
	replHook      func(set *state.ReplicaOf, unset bool) // replication.go
	handoff       *handoff                               // keys of slots not served here: handoff.go
	replSrc       atomic.Pointer[ReplicationSource]      // replication.go
}

// Endpoint types of cluster-preferred-endpoint-type.
const (
	EndpointIP = iota
	EndpointHostname
	EndpointUnknown
)

// Open loads nodes.conf (or creates a new identity when it is missing or empty) and
// prepares the node; Start opens the bus. A corrupt nodes.conf is an error naming the
// file and line.
func Open(o Options) (*Node, error) {
	if o.Engine == nil {
		return nil, errors.New("cluster: no engine")
	}
	n := &Node{
		opts:  o,
		log:   o.Logger,
		now:   o.Now,
		cfg:   o.Config,
		conns: map[state.LinkID]*conn{},
		done:  make(chan struct{}),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.sv.init()
	if n.log == nil {
		n.log = slog.Default()
	}
	if n.now == nil {
		n.now = func() int64 { return time.Now().UnixMilli() }
	}
	n.nodeTimeout.Store(o.Config.NodeTimeout)
	n.SetLinkSendBufLimit(o.LinkSendBufLimit)
	n.SetReadsWhenDown(o.ReadsWhenDown)
	n.SetEndpointType(o.EndpointType)
	eng := o.Engine
	hooks := state.Hooks{
		ReplOffset:   n.replOffset, // replication.go
		DataAge:      n.dataAge,
		WritesPaused: n.writesPaused,
		PauseWrites:  n.pauseWrites,
		KeysInSlot:   func(slot int) int { return int(eng.CountKeysInSlot(uint16(slot))) },
		DBSize:       func() int { return int(eng.DBSize(0)) },
	}
	src := rand.NewPCG(rand.Uint64(), rand.Uint64())
	now := n.now()
	conf, err := loadConfig(o.ConfigFile)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if conf == nil {
		st, out := state.New(o.Config, hooks, src, now)
		n.st, n.fresh = st, true
		n.log.Info(fmt.Sprintf("No cluster configuration found, I'm %.40s", st.MyID()))
		n.execLocked(out)
		if err := n.saveLocked(true); err != nil { // clusterInit saves a new identity at once
			return nil, err
		}
		n.startSaver()
		return n, nil
	}
	st, err := state.Load(o.Config, hooks, src, conf, now)
	if err != nil {
		return nil, fmt.Errorf("Unrecoverable error: corrupted cluster config file %q: %v", o.ConfigFile, err)
	}
	n.st = st
	for _, w := range conf.Warnings {
		n.log.Warn(w)
	}
	n.log.Info(fmt.Sprintf("Node configuration loaded, I'm %.40s", st.MyID()))
	// Redis rewrites the file at start (clusterInit saves after loading), which also
	// normalises a hand-edited one.
	if err := n.saveLocked(true); err != nil {
		return nil, err
	}
	n.startSaver()
	return n, nil
}

// startSaver starts the nodes.conf saver (persist.go); Close stops it.
func (n *Node) startSaver() {
	n.wg.Add(1)
	go n.saver()
}

// Fresh reports whether this start created the node's identity (no nodes.conf existed).
func (n *Node) Fresh() bool { return n.fresh }

// Start listens on the bus port and starts the cron.
func (n *Node) Start() error {
	port := strconv.Itoa(n.opts.BusPort)
	for _, addr := range n.opts.Bind {
		optional := false
		if len(addr) > 0 && addr[0] == '-' {
			optional, addr = true, addr[1:]
		}
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		network := "tcp4"
		if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
			network = "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(addr, port))
		if err != nil {
			if optional {
				continue
			}
			n.closeListeners()
			return fmt.Errorf("Failed listening on port %s (cluster bus), aborting: %v", port, err)
		}
		n.listeners = append(n.listeners, ln)
	}
	if len(n.listeners) == 0 {
		return errors.New("Failed listening on the cluster bus: no bind address")
	}
	for _, ln := range n.listeners {
		n.wg.Add(1)
		go n.acceptLoop(ln)
	}
	// Redis's serverCron first runs 1 ms after start, so the first clusterCron, and the
	// first clusterUpdateState that starts the writable delay, come at once rather than a
	// cron period later.
	n.mu.Lock()
	n.execLocked(n.st.Tick(n.now()))
	n.mu.Unlock()
	n.wg.Add(1)
	go n.cron()
	return nil
}

func (n *Node) closeListeners() {
	for _, ln := range n.listeners {
		ln.Close()
	}
}

// Close stops the bus, closes every link and writes nodes.conf a last time.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		close(n.done)
		n.cancel()
		n.closeListeners()
		n.mu.Lock()
		for id, c := range n.conns {
			c.shutdown()
			delete(n.conns, id)
		}
		err = n.saveLocked(true)
		n.mu.Unlock()
		n.wg.Wait()
	})
	return err
}

func (n *Node) cron() {
	defer n.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
			n.mu.Lock()
			now := n.now()
			n.freeFullLinksLocked(now)
			n.execLocked(n.st.Tick(now))
			n.mu.Unlock()
		}
	}
}

// Do runs fn on the state machine under the node's lock and executes the Output it
// returns. CLUSTER commands go through it: it returns once nodes.conf holds the change, as
// Redis replies after the save its beforeSleep makes (concurrent commands share a save).
func (n *Node) Do(fn func(now int64, st *state.State) state.Output) {
	n.mu.Lock()
	gen := n.execLocked(fn(n.now(), n.st))
	n.mu.Unlock()
	if gen != 0 {
		n.waitSaved(gen)
	}
}

// View runs fn on the state machine under the node's lock, for reads.
func (n *Node) View(fn func(now int64, st *state.State)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fn(n.now(), n.st)
}

// SetConfig changes settings (CONFIG SET): f edits a copy of the current ones.
func (n *Node) SetConfig(f func(c *state.Config)) {
	n.mu.Lock()
	f(&n.cfg)
	n.nodeTimeout.Store(n.cfg.NodeTimeout)
	gen := n.execLocked(n.st.SetConfig(n.now(), n.cfg))
	n.mu.Unlock()
	if gen != 0 {
		n.waitSaved(gen)
	}
}

// SetReadsWhenDown sets cluster-allow-reads-when-down.
func (n *Node) SetReadsWhenDown(v bool) { n.readsWhenDown.Store(v) }

// SetEndpointType sets cluster-preferred-endpoint-type ("ip", "hostname",
// "unknown-endpoint").
func (n *Node) SetEndpointType(v string) {
	t := EndpointIP
	switch v {
	case "hostname":
		t = EndpointHostname
	case "unknown-endpoint":
		t = EndpointUnknown
	}
	n.endpointType.Store(int32(t))
}

// EndpointType returns the cluster-preferred-endpoint-type in use.
func (n *Node) EndpointType() int { return int(n.endpointType.Load()) }

// Malformed returns the number of bus packets dropped because they did not decode.
func (n *Node) Malformed() uint64 { return n.malformed.Load() }

// Save writes nodes.conf now with fsync (CLUSTER SAVECONFIG).
func (n *Node) Save() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.saveLocked(true)
}
