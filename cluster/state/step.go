package state

import (
	"github.com/slotdb/slotdb/cluster/bus"
)

// CountReceived counts a framed message that failed to decode, as Redis counts every
// received type before its length checks. Step counts the messages it is given.
func (s *State) CountReceived(t bus.MsgType) {
	if t < bus.TypeCount {
		s.statsReceived[t]++
	}
}

// Step processes one decoded message that arrived on link (clusterProcessPacket).
func (s *State) Step(now int64, id LinkID, m *bus.Message) Output {
	s.begin()
	if l := s.links[id]; l != nil && m != nil {
		s.processPacket(now, l, m)
	}
	return s.finish(now)
}

func (s *State) senderOf(l *link, h *bus.Header) *node {
	if l.node != nil && !l.node.inHandshake() {
		return l.node
	}
	sender := s.lookupName(h.Sender)
	if sender != nil && l.inbound && l.node == nil {
		if sender.inbound != nil {
			s.logf(Debug, "Replacing inbound link from node %.40s", sender.id)
			s.freeLink(sender.inbound)
		}
		sender.inbound = l
		l.node = sender
	}
	return sender
}

func (s *State) processPacket(now int64, l *link, m *bus.Message) {
	h := &m.Header
	t := h.Type
	s.CountReceived(t)
	if h.Ver != bus.ProtoVersion {
		return
	}
	sender := s.senderOf(l, h)
	if sender != nil {
		sender.dataReceived = now
	}
	var senderCurrentEpoch, senderConfigEpoch uint64
	if sender != nil && !sender.inHandshake() {
		senderCurrentEpoch, senderConfigEpoch = h.CurrentEpoch, h.ConfigEpoch
		if senderCurrentEpoch > s.currentEpoch {
			s.currentEpoch = senderCurrentEpoch
		}
		if senderConfigEpoch > sender.configEpoch {
			sender.configEpoch = senderConfigEpoch
			s.saveConfig(true)
		}
		sender.replOffset = int64(h.Offset)
		sender.replOffsetTime = now
		if s.mfEnd != 0 && s.myself.isReplica() && s.myself.master == sender &&
			h.MFlags[0]&bus.MFlagPaused != 0 && s.mfMasterOffset == -1 {
			s.mfMasterOffset = sender.replOffset
			s.todoManualFailover = true
			s.logf(Warning, "Received replication offset for paused master manual failover: %d", s.mfMasterOffset)
		}
	}

	if t == bus.TypePing || t == bus.TypeMeet {
		if (t == bus.TypeMeet || s.myself.ip == "") && s.cfg.AnnounceIP == "" &&
			l.localIP != "" && l.localIP != s.myself.ip {
			s.myself.ip = l.localIP
			s.logf(Notice, "IP address for this node updated to %s", s.myself.ip)
			s.saveConfig(false)
		}
		if sender == nil && t == bus.TypeMeet {
			n := s.createNode(s.randomName(), bus.FlagHandshake, now)
			n.ip = l.peerIP
			if ip := h.MyIP.String(); ip != "" {
				n.ip = ip
			}
			n.port, n.cport, n.pport = int(h.Port), int(h.CPort), int(h.PPort)
			s.addNode(n)
			s.saveConfig(false)
			s.processGossip(now, m, nil)
		}
		s.sendPing(l, bus.TypePong, now)
	}

	switch t {
	case bus.TypePing, bus.TypePong, bus.TypeMeet:
		if !s.processPingConfig(now, l, m, sender, senderConfigEpoch) {
			return
		}
	case bus.TypeFail:
		if sender == nil {
			s.logf(Notice, "Ignoring FAIL message from unknown node %.40s about %.40s", h.Sender.String(), m.FailName.String())
			return
		}
		failing := s.lookupName(m.FailName)
		if failing != nil && failing.flags&(bus.FlagFail|bus.FlagMyself) == 0 {
			s.logf(Notice, "FAIL message received from %.40s about %.40s", h.Sender.String(), m.FailName.String())
			failing.flags |= bus.FlagFail
			failing.failTime = now
			failing.flags &^= bus.FlagPFail
			s.saveConfig(false)
			s.todoUpdateState = true
		}
	case bus.TypePublish, bus.TypePublishShard:
		if sender == nil {
			return
		}
		s.out.Published = append(s.out.Published, Publish{
			Shard: t == bus.TypePublishShard, Channel: m.Channel, Message: m.Payload})
	case bus.TypeFailoverAuthRequest:
		if sender == nil {
			return
		}
		s.sendFailoverAuthIfNeeded(now, sender, h)
	case bus.TypeFailoverAuthAck:
		if sender == nil {
			return
		}
		if sender.isMaster() && sender.numSlots > 0 && senderCurrentEpoch >= s.failoverAuthEpoch {
			s.failoverAuthCount++
			s.todoFailover = true
		}
	case bus.TypeMFStart:
		if sender == nil || sender.master != s.myself {
			return
		}
		s.resetManualFailover()
		s.mfEnd = now + mfTimeout
		s.mfReplica = sender
		s.out.PauseWritesUntil = now + mfTimeout*mfPauseMult
		s.hooks.pauseWrites(s.out.PauseWritesUntil) // now: the PING below carries the offset
		s.logf(Warning, "Manual failover requested by replica %.40s.", sender.id)
		s.sendPing(l, bus.TypePing, now)
	case bus.TypeUpdate:
		if sender == nil {
			return
		}
		n := s.lookupName(m.Update.Name)
		if n == nil || n.configEpoch >= m.Update.ConfigEpoch {
			return
		}
		if n.isReplica() {
			s.setNodeAsMaster(n)
		}
		n.configEpoch = m.Update.ConfigEpoch
		s.saveConfig(true)
		s.updateSlotsConfigWith(now, n, m.Update.ConfigEpoch, &m.Update.Slots)
	case bus.TypeModule:
		// No module API: a known sender's MODULE message has no receiver here.
	default:
		s.logf(Warning, "Received unknown packet type: %d", t)
	}
}

// processPingConfig is the PING/PONG/MEET part of clusterProcessPacket. It returns false
// when the link was freed and processing must stop.
func (s *State) processPingConfig(now int64, l *link, m *bus.Message, sender *node, senderConfigEpoch uint64) bool {
	h := &m.Header
	t := h.Type
	if !l.inbound {
		if l.node.inHandshake() {
			if sender != nil {
				s.logf(Verbose, "Handshake: we already know node %.40s, updating the address if needed.", sender.id)
				if s.updateAddressIfNeeded(sender, l, h) {
					s.saveConfig(false)
					s.todoUpdateState = true
				}
				s.delNode(l.node, now)
				return false
			}
			s.renameNode(l.node, h.Sender.String())
			s.logf(Debug, "Handshake with node %.40s completed.", l.node.id)
			l.node.flags &^= bus.FlagHandshake
			l.node.flags |= h.Flags & (bus.FlagMaster | bus.FlagSlave)
			s.saveConfig(false)
		} else if l.node.id != h.Sender.String() {
			s.logf(Debug, "PONG contains mismatching sender ID. About node %.40s added %d ms ago, having flags %d",
				l.node.id, now-l.node.ctime, l.node.flags)
			n := l.node
			n.flags |= bus.FlagNoAddr
			n.ip, n.port, n.pport, n.cport = "", 0, 0, 0
			s.freeLink(l)
			s.saveConfig(false)
			return false
		}
	}

	if sender != nil {
		sender.flags = sender.flags&^bus.FlagNoFailover | h.Flags&bus.FlagNoFailover
	}

	if sender != nil && t == bus.TypePing && !sender.inHandshake() && s.updateAddressIfNeeded(sender, l, h) {
		s.saveConfig(false)
		s.todoUpdateState = true
	}

	if !l.inbound && t == bus.TypePong {
		n := l.node
		n.pongReceived = now
		n.pingSent = 0
		if n.timedOut() {
			n.flags &^= bus.FlagPFail
			s.saveConfig(false)
			s.todoUpdateState = true
		} else if n.failed() {
			s.clearNodeFailureIfNeeded(n, now)
		}
	}

	if sender != nil {
		if h.SlaveOf.IsZero() {
			s.setNodeAsMaster(sender)
		} else {
			master := s.lookupName(h.SlaveOf)
			if sender.isMaster() {
				s.delNodeSlots(sender)
				sender.flags &^= bus.FlagMaster | bus.FlagMigrateTo
				sender.flags |= bus.FlagSlave
				s.saveConfig(false)
				s.todoUpdateState = true
			}
			if master != nil && sender.master != master {
				if sender.master != nil {
					sender.master.removeReplica(sender)
				}
				master.addReplica(sender)
				sender.master = master
				s.saveConfig(false)
			}
		}
	}

	var senderMaster *node
	dirty := false
	if sender != nil {
		senderMaster = sender
		if !sender.isMaster() {
			senderMaster = sender.master
		}
		if senderMaster != nil {
			dirty = senderMaster.slots != h.MySlots
		}
	}
	if sender != nil && sender.isMaster() && dirty {
		s.updateSlotsConfigWith(now, sender, senderConfigEpoch, &h.MySlots)
	}
	if sender != nil && dirty {
		for j := 0; j < bus.SlotCount; j++ {
			if !h.MySlots.Has(j) || s.slots[j] == sender || s.slotUnclaimed(j) {
				continue
			}
			if s.slots[j].configEpoch > senderConfigEpoch {
				s.logf(Verbose, "Node %.40s has old slots configuration, sending an UPDATE message about %.40s",
					sender.id, s.slots[j].id)
				s.sendUpdate(sender.link, s.slots[j])
				break
			}
		}
	}

	if sender != nil && s.myself.isMaster() && sender.isMaster() && senderConfigEpoch == s.myself.configEpoch {
		s.handleConfigEpochCollision(sender)
	}

	if sender != nil {
		s.processGossip(now, m, sender)
		s.processExtensions(m, sender)
	}
	return true
}

// updateAddressIfNeeded is nodeUpdateAddressIfNeeded: a PING on another connection than
// the node's outbound link tells where the node really is.
func (s *State) updateAddressIfNeeded(n *node, l *link, h *bus.Header) bool {
	if l == n.link {
		return false
	}
	ip := h.MyIP.String()
	if ip == "" {
		ip = l.peerIP
	}
	if ip == "" {
		return false
	}
	port, cport, pport := int(h.Port), int(h.CPort), int(h.PPort)
	if n.port == port && n.cport == cport && n.pport == pport && n.ip == ip {
		return false
	}
	n.ip, n.port, n.cport, n.pport = ip, port, cport, pport
	if n.link != nil {
		s.freeLink(n.link)
	}
	n.flags &^= bus.FlagNoAddr
	s.logf(Notice, "Address updated for node %.40s, now %s:%d", n.id, n.ip, n.port)
	if s.myself.isReplica() && s.myself.master == n {
		s.out.SetMaster = &ReplicaOf{n.id, n.ip, n.port}
	}
	return true
}

// processGossip is clusterProcessGossipSection.
func (s *State) processGossip(now int64, m *bus.Message, sender *node) {
	for i := range m.Gossip {
		g := &m.Gossip[i]
		flags := g.Flags
		n := s.lookupName(g.Name)
		if n != nil {
			if sender != nil && sender.isMaster() && n != s.myself {
				if flags&(bus.FlagFail|bus.FlagPFail) != 0 {
					if n.addFailureReport(sender, now) {
						s.logf(Verbose, "Node %.40s reported node %.40s as not reachable.", sender.id, n.id)
					}
					s.markNodeAsFailingIfNeeded(n, now)
				} else if n.delFailureReport(sender, now, s.cfg.NodeTimeout) {
					s.logf(Verbose, "Node %.40s reported node %.40s is back online.", sender.id, n.id)
				}
			}
			if flags&(bus.FlagFail|bus.FlagPFail) == 0 && n.pingSent == 0 &&
				n.failureReportCount(now, s.cfg.NodeTimeout) == 0 {
				pong := int64(g.PongReceived) * 1000
				if pong <= now+500 && pong > n.pongReceived {
					n.pongReceived = pong
				}
			}
			ip := g.IP.String()
			if n.flags&(bus.FlagFail|bus.FlagPFail) != 0 && flags&bus.FlagNoAddr == 0 &&
				flags&(bus.FlagFail|bus.FlagPFail) == 0 &&
				(n.ip != ip || n.port != int(g.Port) || n.pport != int(g.PPort) || n.cport != int(g.CPort)) {
				if n.link != nil {
					s.freeLink(n.link)
				}
				n.ip, n.port, n.pport, n.cport = ip, int(g.Port), int(g.PPort), int(g.CPort)
				n.flags &^= bus.FlagNoAddr
			}
			continue
		}
		// Unknown nodes are added only on the word of a known sender, never by handshake:
		// the address may belong to another cluster by now.
		name := g.Name.String()
		if sender != nil && flags&bus.FlagNoAddr == 0 && !s.blacklisted(name, now) && bus.ValidNodeName(name) {
			n := s.createNode(name, flags, now)
			n.ip, n.port, n.pport, n.cport = g.IP.String(), int(g.Port), int(g.PPort), int(g.CPort)
			s.addNode(n)
		}
	}
}

// processExtensions applies the hostname extension; a packet without one clears it.
func (s *State) processExtensions(m *bus.Message, sender *node) {
	host, _ := m.Hostname()
	if host != sender.hostname {
		sender.hostname = host
		s.saveConfig(false)
	}
}

// markNodeAsFailingIfNeeded promotes PFAIL to FAIL on a majority of masters' reports.
func (s *State) markNodeAsFailingIfNeeded(n *node, now int64) {
	quorum := s.size/2 + 1
	if !n.timedOut() || n.failed() {
		return
	}
	failures := n.failureReportCount(now, s.cfg.NodeTimeout)
	if s.myself.isMaster() {
		failures++
	}
	if failures < quorum {
		return
	}
	s.logf(Notice, "Marking node %.40s as failing (quorum reached).", n.id)
	n.flags &^= bus.FlagPFail
	n.flags |= bus.FlagFail
	n.failTime = now
	s.sendFail(n.id)
	s.todoUpdateState = true
	s.saveConfig(false)
}

// clearNodeFailureIfNeeded runs when a FAIL node answers a PING again.
func (s *State) clearNodeFailureIfNeeded(n *node, now int64) {
	if n.isReplica() || n.numSlots == 0 {
		what := "master without slots"
		if n.isReplica() {
			what = "replica"
		}
		s.logf(Notice, "Clear FAIL state for node %.40s: %s is reachable again.", n.id, what)
		n.flags &^= bus.FlagFail
		s.todoUpdateState = true
		s.saveConfig(false)
	}
	if n.isMaster() && n.numSlots > 0 && now-n.failTime > s.cfg.NodeTimeout*failUndoTimeMult {
		s.logf(Notice, "Clear FAIL state for node %.40s: is reachable again and nobody is serving its slots after some time.", n.id)
		n.flags &^= bus.FlagFail
		s.todoUpdateState = true
		s.saveConfig(false)
	}
}

func (s *State) blacklisted(id string, now int64) bool {
	for k, exp := range s.blacklist {
		if exp < now {
			delete(s.blacklist, k)
		}
	}
	_, ok := s.blacklist[id]
	return ok
}
