package state

import (
	"fmt"
	"math/rand/v2"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/nodesconf"
)

// Load builds the state from a parsed nodes.conf the way clusterLoadConfig does: flags
// as written (FAIL sets fail_time to now), non-zero ping/pong times become now, a
// replica's configEpoch is ignored (0), nodes named only as masters or open-slot peers
// are created empty, and currentEpoch is raised to the greatest configEpoch. Myself
// then takes its ports, hostname and NOFAILOVER flag from cfg.
func Load(cfg Config, hooks Hooks, src rand.Source, c *nodesconf.Config, now int64) (*State, error) {
	s := newState(cfg, hooks, src)
	get := func(id string) *node {
		if n := s.nodes[id]; n != nil {
			return n
		}
		n := s.createNode(id, 0, now)
		s.addNode(n)
		return n
	}
	for i := range c.Nodes {
		ln := &c.Nodes[i]
		if !bus.ValidNodeName(ln.ID) {
			return nil, fmt.Errorf("cluster state: invalid node id %q", ln.ID)
		}
		n := get(ln.ID)
		n.ip, n.port, n.cport, n.hostname = ln.IP, ln.Port, ln.CPort, ln.Hostname
		n.flags |= ln.Flags
		if ln.Flags&bus.FlagMyself != 0 {
			if s.myself != nil && s.myself != n {
				return nil, fmt.Errorf("cluster state: two nodes flagged myself")
			}
			s.myself = n
		}
		if ln.Flags&bus.FlagFail != 0 {
			n.failTime = now
		}
		if ln.MasterID != "" {
			if !bus.ValidNodeName(ln.MasterID) {
				return nil, fmt.Errorf("cluster state: invalid master id %q", ln.MasterID)
			}
			m := get(ln.MasterID)
			n.master = m
			m.addReplica(n)
		}
		if ln.PingSent != 0 {
			n.pingSent = now
		}
		if ln.PongReceived != 0 {
			n.pongReceived = now
		}
		if n.isReplica() && n.master != nil {
			n.configEpoch = 0
		} else {
			n.configEpoch = ln.ConfigEpoch
		}
		for _, r := range ln.Slots {
			for j := max(r.Start, 0); j <= r.End && j < bus.SlotCount; j++ {
				s.addSlot(n, j)
			}
		}
		for _, o := range ln.OpenSlots {
			if o.Slot < 0 || o.Slot >= bus.SlotCount || !bus.ValidNodeName(o.NodeID) {
				return nil, fmt.Errorf("cluster state: bad open slot %d->%q", o.Slot, o.NodeID)
			}
			peer := get(o.NodeID)
			if o.State == nodesconf.Migrating {
				s.migrating[o.Slot] = peer
			} else {
				s.importing[o.Slot] = peer
			}
		}
	}
	if s.myself == nil {
		return nil, fmt.Errorf("cluster state: no node is flagged myself")
	}
	s.currentEpoch, s.lastVoteEpoch = c.CurrentEpoch, c.LastVoteEpoch
	s.currentEpoch = max(s.currentEpoch, s.maxEpoch())
	s.initMyself()
	return s, nil
}

// nodeLine renders n as a nodesconf line (clusterGenNodeDescription).
func (s *State) nodeLine(n *node) nodesconf.Node {
	ln := nodesconf.Node{
		ID: n.id, IP: n.ip, Port: n.port, CPort: n.cport, Hostname: n.hostname,
		Flags: n.flags, PingSent: n.pingSent, PongReceived: n.pongReceived,
		ConfigEpoch: n.configEpoch,
		Connected:   n.link != nil || n == s.myself,
		Slots:       n.slots.Ranges(),
	}
	if n.master != nil {
		ln.MasterID = n.master.id
	}
	if n.isReplica() && n.master != nil {
		ln.ConfigEpoch = n.master.configEpoch
	}
	if n == s.myself {
		for j := 0; j < bus.SlotCount; j++ {
			if p := s.migrating[j]; p != nil {
				ln.OpenSlots = append(ln.OpenSlots, nodesconf.OpenSlot{Slot: j, State: nodesconf.Migrating, NodeID: p.id})
			} else if p := s.importing[j]; p != nil {
				ln.OpenSlots = append(ln.OpenSlots, nodesconf.OpenSlot{Slot: j, State: nodesconf.Importing, NodeID: p.id})
			}
		}
	}
	return ln
}

// Export returns the whole table for nodes.conf; nodesconf.Format leaves out handshake
// nodes as Redis does.
func (s *State) Export() *nodesconf.Config {
	c := &nodesconf.Config{CurrentEpoch: s.currentEpoch, LastVoteEpoch: s.lastVoteEpoch}
	for _, n := range s.order {
		c.Nodes = append(c.Nodes, s.nodeLine(n))
	}
	return c
}

// ClusterNodes returns the CLUSTER NODES text (handshake nodes included).
func (s *State) ClusterNodes() []byte {
	lines := make([]nodesconf.Node, 0, len(s.order))
	for _, n := range s.order {
		lines = append(lines, s.nodeLine(n))
	}
	return nodesconf.FormatClusterNodes(lines)
}

// Replicas returns the CLUSTER REPLICAS lines of master id.
func (s *State) Replicas(id string) ([]string, error) {
	n := s.lookup(id)
	if n == nil {
		return nil, errf("ERR Unknown node %s", id)
	}
	if n.isReplica() {
		return nil, errf("ERR The specified node is not a master")
	}
	var out []string
	for _, r := range n.replicas {
		ln := s.nodeLine(r)
		out = append(out, string(nodesconf.AppendNodeLine(nil, &ln)))
	}
	return out, nil
}
