package state

import "github.com/slotdb/slotdb/cluster/bus"

func nodeName(id string) bus.NodeName {
	var n bus.NodeName
	copy(n[:], id)
	return n
}

func pingType(n *node) bus.MsgType {
	if n.flags&bus.FlagMeet != 0 {
		return bus.TypeMeet
	}
	return bus.TypePing
}

// header is clusterBuildMessageHdr: a replica announces its master's slots and epoch.
func (s *State) header(t bus.MsgType) bus.Header {
	me := s.myself
	master := me.masterOrSelf()
	h := bus.Header{
		Ver:          bus.ProtoVersion,
		Port:         uint16(s.cfg.Port),
		Type:         t,
		CurrentEpoch: s.currentEpoch,
		ConfigEpoch:  master.configEpoch,
		Offset:       uint64(s.hooks.replOffset()),
		Sender:       nodeName(me.id),
		MySlots:      master.slots,
		PPort:        uint16(s.cfg.PPort),
		CPort:        uint16(s.cfg.CPort),
		Flags:        me.flags,
		State:        bus.StateFail,
	}
	if s.ok {
		h.State = bus.StateOK
	}
	if s.cfg.AnnounceIP != "" {
		h.MyIP = bus.MakeIP(s.cfg.AnnounceIP)
	}
	if me.master != nil {
		h.SlaveOf = nodeName(me.master.id)
	}
	if me.isMaster() && s.mfEnd != 0 && s.hooks.writesPaused() {
		h.MFlags[0] |= bus.MFlagPaused
	}
	return h
}

// send appends m to the link's queue; a nil link drops the message, as Redis does.
func (s *State) send(l *link, m *bus.Message) {
	if l == nil {
		return
	}
	s.out.Sends = append(s.out.Sends, Send{l.id, m})
	if t := m.Header.Type; t < bus.TypeCount {
		s.statsSent[t]++
	}
}

// broadcast sends m on the outbound link of every node but myself and handshake nodes.
func (s *State) broadcast(m *bus.Message) {
	for _, n := range s.order {
		if n.flags&(bus.FlagMyself|bus.FlagHandshake) != 0 {
			continue
		}
		s.send(n.link, m)
	}
}

func (s *State) gossipEntry(n *node) bus.GossipEntry {
	return bus.GossipEntry{
		Name:         nodeName(n.id),
		PingSent:     uint32(n.pingSent / 1000),
		PongReceived: uint32(n.pongReceived / 1000),
		IP:           bus.MakeIP(n.ip),
		Port:         uint16(n.port),
		CPort:        uint16(n.cport),
		Flags:        n.flags,
		PPort:        uint16(n.pport),
	}
}

// sendPing is clusterSendPing: a PING, PONG or MEET with max(3, N/10) random gossip
// entries (fewer if not enough nodes qualify) followed by every PFAIL node.
func (s *State) sendPing(l *link, t bus.MsgType, now int64) {
	s.pingsSent++
	fresh := len(s.order) - 2
	wanted := max(len(s.order)/10, 3)
	wanted = min(wanted, fresh)
	m := &bus.Message{Header: s.header(t)}
	if !l.inbound && t == bus.TypePing {
		l.node.pingSent = now
	}
	for iter := wanted * 3; fresh > 0 && len(m.Gossip) < wanted && iter > 0; iter-- {
		n := s.order[s.rng.IntN(len(s.order))]
		if n == s.myself || n.flags&bus.FlagPFail != 0 {
			continue
		}
		if n.flags&(bus.FlagHandshake|bus.FlagNoAddr) != 0 || (n.link == nil && n.numSlots == 0) {
			fresh--
			continue
		}
		if n.lastInPingGossip == s.pingsSent {
			continue
		}
		m.Gossip = append(m.Gossip, s.gossipEntry(n))
		n.lastInPingGossip = s.pingsSent
		fresh--
	}
	pfail := s.statsPFailNodes
	for _, n := range s.order {
		if pfail <= 0 {
			break
		}
		if n.flags&(bus.FlagHandshake|bus.FlagNoAddr) != 0 || n.flags&bus.FlagPFail == 0 {
			continue
		}
		m.Gossip = append(m.Gossip, s.gossipEntry(n))
		pfail--
	}
	if s.myself.hostname != "" {
		m.Extensions = []bus.Extension{bus.HostnameExt(s.myself.hostname)}
	}
	m.SyncExtFlag()
	s.send(l, m)
}

const (
	broadcastAll = iota
	broadcastLocalReplicas
)

// broadcastPong is clusterBroadcastPong.
func (s *State) broadcastPong(target int, now int64) {
	for _, n := range s.order {
		if n.link == nil || n == s.myself || n.inHandshake() {
			continue
		}
		if target == broadcastLocalReplicas {
			local := n.isReplica() && n.master != nil && (n.master == s.myself || n.master == s.myself.master)
			if !local {
				continue
			}
		}
		s.sendPing(n.link, bus.TypePong, now)
	}
}

func (s *State) sendFail(id string) {
	m := &bus.Message{Header: s.header(bus.TypeFail), FailName: nodeName(id)}
	s.broadcast(m)
}

// sendUpdate tells l's node about n's slots, leaving out those n no longer claims.
func (s *State) sendUpdate(l *link, n *node) {
	if l == nil {
		return
	}
	m := &bus.Message{Header: s.header(bus.TypeUpdate)}
	m.Update.ConfigEpoch = n.configEpoch
	m.Update.Name = nodeName(n.id)
	for i := range n.slots {
		m.Update.Slots[i] = n.slots[i] &^ s.ownerNotClaiming[i]
	}
	s.send(l, m)
}

func (s *State) requestFailoverAuth() {
	m := &bus.Message{Header: s.header(bus.TypeFailoverAuthRequest)}
	if s.mfEnd != 0 {
		m.Header.MFlags[0] |= bus.MFlagForceAck
	}
	s.broadcast(m)
}

func (s *State) sendSimple(n *node, t bus.MsgType) {
	if n.link == nil {
		return
	}
	s.send(n.link, &bus.Message{Header: s.header(t)})
}

// shardNodes is the publishing node's shard: its master (or itself) and that master's
// replicas.
func (s *State) shardNodes() []*node {
	m := s.myself.masterOrSelf()
	return append([]*node{m}, m.replicas...)
}
