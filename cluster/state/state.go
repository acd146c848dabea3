package state

import (
	"fmt"
	"math/rand/v2"

	"github.com/slotdb/slotdb/cluster/bus"
)

// State is one node's view of the cluster (clusterState). It is not safe for concurrent
// use: the I/O layer calls it from one goroutine (Redis's event loop).
type State struct {
	cfg   Config
	hooks Hooks
	rng   *rand.Rand

	myself *node
	nodes  map[string]*node
	order  []*node // table order: insertion order, the stand-in for Redis's dict order

	currentEpoch  uint64
	lastVoteEpoch uint64
	ok            bool // cluster_state
	size          int  // masters serving >= 1 slot, as of the last state update

	slots            [bus.SlotCount]*node
	migrating        [bus.SlotCount]*node
	importing        [bus.SlotCount]*node
	ownerNotClaiming bus.SlotBitmap

	blacklist map[string]int64 // node id -> ms time when it may be re-added

	// Replica election (failover_auth_*).
	failoverAuthTime  int64
	failoverAuthCount int
	failoverAuthSent  bool
	failoverAuthRank  int
	failoverAuthEpoch uint64
	cantFailover      int
	cantFailoverLog   int64

	// Manual failover (mf_*).
	mfEnd          int64
	mfCanStart     bool
	mfReplica      *node
	mfMasterOffset int64

	statsSent, statsReceived [bus.TypeCount]uint64
	statsPFailNodes          int
	linksBufferExceeded      uint64

	iteration         uint64
	pingsSent         uint64
	firstStateCall    int64
	amongMinorityTime int64

	replicating bool // a SetMaster was issued and not undone

	links    map[LinkID]*link
	nextLink LinkID

	// Per-call accumulation.
	out                            *Output
	todoUpdateState, todoFailover  bool
	todoManualFailover, todoActive bool
}

func newState(cfg Config, hooks Hooks, src rand.Source) *State {
	return &State{
		cfg:            cfg,
		hooks:          hooks,
		rng:            rand.New(src),
		nodes:          map[string]*node{},
		blacklist:      map[string]int64{},
		links:          map[LinkID]*link{},
		size:           1,
		mfMasterOffset: -1,
	}
}

// New creates a fresh node with a random id, as Redis does when nodes.conf is missing or
// empty. The returned Output asks for the first nodes.conf to be saved with fsync.
func New(cfg Config, hooks Hooks, src rand.Source, now int64) (*State, Output) {
	s := newState(cfg, hooks, src)
	s.begin()
	me := s.createNode(s.randomName(), bus.FlagMyself|bus.FlagMaster, now)
	s.myself = me
	s.addNode(me)
	s.initMyself()
	s.saveConfig(true)
	return s, s.finish(now)
}

func (s *State) initMyself() {
	me := s.myself
	me.port, me.cport, me.pport = s.cfg.Port, s.cfg.CPort, s.cfg.PPort
	if s.cfg.AnnounceIP != "" {
		me.ip = s.cfg.AnnounceIP
	}
	me.hostname = s.cfg.Hostname
	if s.cfg.ReplicaNoFailover {
		me.flags |= bus.FlagNoFailover
	} else {
		me.flags &^= bus.FlagNoFailover
	}
}

// SetConfig applies changed settings (CONFIG SET): the NOFAILOVER flag, announced ports,
// IP and hostname of myself follow it.
func (s *State) SetConfig(now int64, cfg Config) Output {
	s.begin()
	old := s.myself.flags
	oldIP := s.cfg.AnnounceIP
	s.cfg = cfg
	s.initMyself()
	if oldIP != "" && cfg.AnnounceIP == "" {
		s.myself.ip = "" // force autodetection again
	}
	if s.myself.flags != old {
		s.saveConfig(false)
		s.todoUpdateState = true
	}
	return s.finish(now)
}

func (s *State) randomName() string {
	const hex = "0123456789abcdef"
	var b [bus.NameLen]byte
	for i := range b {
		b[i] = hex[s.rng.IntN(16)]
	}
	return string(b[:])
}

func (s *State) createNode(id string, flags bus.NodeFlags, now int64) *node {
	return &node{id: id, flags: flags, ctime: now}
}

func (s *State) addNode(n *node) {
	s.nodes[n.id] = n
	s.order = append(s.order, n)
}

func (s *State) lookup(id string) *node {
	if !bus.ValidNodeName(id) {
		return nil
	}
	return s.nodes[id]
}

func (s *State) lookupName(n bus.NodeName) *node { return s.lookup(string(n[:])) }

// delNode is clusterDelNode: unassign its slots, drop the failure reports it sent, unlink
// it from masters/replicas and close its links.
func (s *State) delNode(d *node, now int64) {
	for j := 0; j < bus.SlotCount; j++ {
		if s.importing[j] == d {
			s.importing[j] = nil
		}
		if s.migrating[j] == d {
			s.migrating[j] = nil
		}
		if s.slots[j] == d {
			s.delSlot(j)
		}
	}
	for _, n := range s.order {
		if n != d {
			n.delFailureReport(d, now, s.cfg.NodeTimeout)
		}
	}
	for _, r := range d.replicas {
		r.master = nil
	}
	if d.isReplica() && d.master != nil {
		d.master.removeReplica(d)
	}
	if s.mfReplica == d {
		s.mfReplica = nil
	}
	delete(s.nodes, d.id)
	for i, n := range s.order {
		if n == d {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	if d.link != nil {
		s.freeLink(d.link)
	}
	if d.inbound != nil {
		s.freeLink(d.inbound)
	}
}

func (s *State) renameNode(n *node, id string) {
	s.logf(Debug, "Renaming node %.40s into %.40s", n.id, id)
	delete(s.nodes, n.id)
	n.id = id
	s.nodes[id] = n
}

// maxEpoch is clusterGetMaxEpoch.
func (s *State) maxEpoch() uint64 {
	m := s.currentEpoch
	for _, n := range s.order {
		m = max(m, n.configEpoch)
	}
	return m
}

// myEpoch is the epoch CLUSTER INFO and headers show for me: my master's if I replicate.
func (s *State) myEpoch() uint64 { return s.myself.masterOrSelf().configEpoch }

// begin starts a public call: outputs accumulate in s.out until finish.
func (s *State) begin() {
	s.out = &Output{}
	s.todoUpdateState, s.todoFailover, s.todoManualFailover = false, false, false
}

// finish runs what Redis defers to clusterBeforeSleep and returns the accumulated output.
func (s *State) finish(now int64) Output {
	if s.todoManualFailover {
		if s.myself.isReplica() {
			s.handleManualFailover(now)
			s.handleReplicaFailover(now)
		}
	} else if s.todoFailover {
		s.handleReplicaFailover(now)
	}
	if s.todoUpdateState {
		s.updateState(now)
	}
	if s.out.SetMaster != nil {
		s.replicating = true
	}
	if s.out.UnsetMaster {
		s.replicating = false
	}
	out := *s.out
	s.out = nil
	return out
}

func (s *State) saveConfig(fsync bool) {
	s.out.Save = true
	if fsync {
		s.out.Fsync = true
	}
}

func (s *State) logf(level Level, format string, args ...any) {
	if s.out == nil {
		return
	}
	s.out.Logs = append(s.out.Logs, LogLine{level, fmt.Sprintf(format, args...)})
}
