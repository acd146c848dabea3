package state

import (
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/cluster/bus"
)

// NodeInfo is a read-only copy of one node table entry.
type NodeInfo struct {
	ID                     string
	IP                     string
	Port, CPort, PPort     int
	Hostname               string
	Flags                  bus.NodeFlags
	MasterID               string // "" for a master
	ReplicaIDs             []string
	ConfigEpoch            uint64
	Slots                  []bus.SlotRange
	NumSlots               int
	PingSent, PongReceived int64
	DataReceived, FailTime int64
	VotedTime              int64
	ReplOffset             int64
	FailReports            int // as stored (not aged)
	Linked                 bool
}

func (s *State) info(n *node) NodeInfo {
	ni := NodeInfo{
		ID: n.id, IP: n.ip, Port: n.port, CPort: n.cport, PPort: n.pport, Hostname: n.hostname,
		Flags: n.flags, ConfigEpoch: n.configEpoch, Slots: n.slots.Ranges(), NumSlots: n.numSlots,
		PingSent: n.pingSent, PongReceived: n.pongReceived, DataReceived: n.dataReceived,
		FailTime: n.failTime, VotedTime: n.votedTime, ReplOffset: n.replOffset,
		FailReports: len(n.failReports), Linked: n.link != nil,
	}
	if n.master != nil {
		ni.MasterID = n.master.id
	}
	for _, r := range n.replicas {
		ni.ReplicaIDs = append(ni.ReplicaIDs, r.id)
	}
	return ni
}

// Node returns the entry for id.
func (s *State) Node(id string) (NodeInfo, bool) {
	n := s.lookup(id)
	if n == nil {
		return NodeInfo{}, false
	}
	return s.info(n), true
}

// Nodes returns every entry in table order.
func (s *State) Nodes() []NodeInfo {
	out := make([]NodeInfo, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.info(n))
	}
	return out
}

// Myself returns my own entry.
func (s *State) Myself() NodeInfo { return s.info(s.myself) }

// OK reports cluster_state:ok.
func (s *State) OK() bool { return s.ok }

// CurrentEpoch and LastVoteEpoch are the cluster-wide epochs persisted in nodes.conf.
func (s *State) CurrentEpoch() uint64  { return s.currentEpoch }
func (s *State) LastVoteEpoch() uint64 { return s.lastVoteEpoch }

// SlotOwner returns the id of the node serving slot, or "".
func (s *State) SlotOwner(slot int) string {
	if slot < 0 || slot >= bus.SlotCount || s.slots[slot] == nil {
		return ""
	}
	return s.slots[slot].id
}

// Migrating and Importing return the peer of an open slot, or "".
func (s *State) Migrating(slot int) string { return peerID(s.migrating[:], slot) }
func (s *State) Importing(slot int) string { return peerID(s.importing[:], slot) }

func peerID(t []*node, slot int) string {
	if slot < 0 || slot >= len(t) || t[slot] == nil {
		return ""
	}
	return t[slot].id
}

// Info is the CLUSTER INFO text (genClusterInfoString), "\r\n" line ends included.
func (s *State) Info() string {
	assigned, okSlots, pfail, fail := 0, 0, 0, 0
	for _, n := range s.slots {
		if n == nil {
			continue
		}
		assigned++
		switch {
		case n.failed():
			fail++
		case n.timedOut():
			pfail++
		default:
			okSlots++
		}
	}
	var b strings.Builder
	line := func(k string, v uint64) {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(v, 10))
		b.WriteString("\r\n")
	}
	state := "fail"
	if s.ok {
		state = "ok"
	}
	b.WriteString("cluster_state:" + state + "\r\n")
	line("cluster_slots_assigned", uint64(assigned))
	line("cluster_slots_ok", uint64(okSlots))
	line("cluster_slots_pfail", uint64(pfail))
	line("cluster_slots_fail", uint64(fail))
	line("cluster_known_nodes", uint64(len(s.order)))
	line("cluster_size", uint64(s.size))
	line("cluster_current_epoch", s.currentEpoch)
	line("cluster_my_epoch", s.myEpoch())
	for _, dir := range []struct {
		name  string
		stats *[bus.TypeCount]uint64
	}{{"sent", &s.statsSent}, {"received", &s.statsReceived}} {
		var total uint64
		for t, v := range dir.stats {
			if v == 0 {
				continue
			}
			total += v
			line("cluster_stats_messages_"+bus.MsgType(t).StatName()+"_"+dir.name, v)
		}
		line("cluster_stats_messages_"+dir.name, total)
	}
	line("total_cluster_links_buffer_limit_exceeded", s.linksBufferExceeded)
	return b.String()
}

// Stats returns the per-type message counters (sent, received).
func (s *State) Stats() (sent, received [bus.TypeCount]uint64) { return s.statsSent, s.statsReceived }

// SlotNode is one node of a CLUSTER SLOTS entry.
type SlotNode struct {
	IP       string
	Port     int
	ID       string
	Hostname string
}

// SlotRangeInfo is one CLUSTER SLOTS entry: a maximal run of slots with one owner, its
// master, then the replicas that are not FAIL and have a non-zero known offset.
type SlotRangeInfo struct {
	Start, End int
	Master     SlotNode
	Replicas   []SlotNode
}

func slotNode(n *node) SlotNode { return SlotNode{n.ip, n.port, n.id, n.hostname} }

// Slots is CLUSTER SLOTS as data; the command layer picks the endpoint and the extra map
// per cluster-preferred-endpoint-type. myOffset is my own replication offset (Redis uses
// it instead of the table's for myself).
func (s *State) Slots() []SlotRangeInfo {
	var out []SlotRangeInfo
	for j := 0; j < bus.SlotCount; {
		n := s.slots[j]
		if n == nil {
			j++
			continue
		}
		k := j
		for k+1 < bus.SlotCount && s.slots[k+1] == n {
			k++
		}
		e := SlotRangeInfo{Start: j, End: k, Master: slotNode(n)}
		for _, r := range n.replicas {
			off := r.replOffset
			if r == s.myself {
				off = s.hooks.replOffset()
			}
			if !r.failed() && off != 0 {
				e.Replicas = append(e.Replicas, slotNode(r))
			}
		}
		out = append(out, e)
		j = k + 1
	}
	return out
}

// ShardNode is one node of a CLUSTER SHARDS entry, fields in reply order.
type ShardNode struct {
	ID                string
	Port              int // omitted from the reply when 0
	IP                string
	Hostname          string // omitted when ""
	Role              string // "master" or "replica"
	ReplicationOffset int64
	Health            string // "online", "fail" or "loading"
}

// Shard is one CLUSTER SHARDS entry: a master (with or without slots) and its replicas.
type Shard struct {
	Slots []bus.SlotRange
	Nodes []ShardNode
}

func (s *State) shardNode(n *node) ShardNode {
	off := n.replOffset
	if n == s.myself {
		off = s.hooks.replOffset()
	}
	sn := ShardNode{ID: n.id, Port: n.port, IP: n.ip, Hostname: n.hostname, Role: "master",
		ReplicationOffset: off, Health: "online"}
	if n.isReplica() {
		sn.Role = "replica"
	}
	switch {
	case n.failed():
		sn.Health = "fail"
	case n.isReplica() && off == 0:
		sn.Health = "loading"
	}
	return sn
}

// Shards is CLUSTER SHARDS (7.0) as data: one entry per master in table order.
func (s *State) Shards() []Shard {
	var out []Shard
	for _, n := range s.order {
		if !n.isMaster() {
			continue
		}
		sh := Shard{Slots: n.slots.Ranges(), Nodes: []ShardNode{s.shardNode(n)}}
		for _, r := range n.replicas {
			sh.Nodes = append(sh.Nodes, s.shardNode(r))
		}
		out = append(out, sh)
	}
	return out
}
