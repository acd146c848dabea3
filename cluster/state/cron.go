package state

import "github.com/slotdb/slotdb/cluster/bus"

// Tick is clusterCron; call it every 100 ms.
func (s *State) Tick(now int64) Output {
	s.begin()
	s.cron(now)
	return s.finish(now)
}

func (s *State) cron(now int64) {
	s.iteration++
	to := s.cfg.NodeTimeout
	handshakeTimeout := max(to, 1000)
	updateState := false

	s.statsPFailNodes = 0
	for _, n := range append([]*node(nil), s.order...) {
		if n.flags&(bus.FlagMyself|bus.FlagNoAddr) != 0 {
			continue
		}
		if n.timedOut() {
			s.statsPFailNodes++
		}
		if n.inHandshake() && now-n.ctime > handshakeTimeout {
			s.delNode(n, now)
			continue
		}
		if n.link == nil {
			l := s.newLink(n, false, now)
			s.out.Connects = append(s.out.Connects, Connect{l.id, n.id, n.ip, n.cport})
		}
	}

	if s.iteration%10 == 0 && len(s.order) > 0 {
		var minNode *node
		for j := 0; j < 5; j++ {
			n := s.order[s.rng.IntN(len(s.order))]
			if n.link == nil || n.pingSent != 0 {
				continue
			}
			if n.flags&(bus.FlagMyself|bus.FlagHandshake) != 0 {
				continue
			}
			if minNode == nil || minNode.pongReceived > n.pongReceived {
				minNode = n
			}
		}
		if minNode != nil {
			s.logf(Debug, "Pinging node %.40s", minNode.id)
			s.sendPing(minNode.link, bus.TypePing, now)
		}
	}

	orphaned, maxReplicas, myReplicas := 0, 0, 0
	me := s.myself
	for _, n := range s.order {
		if n.flags&(bus.FlagMyself|bus.FlagNoAddr|bus.FlagHandshake) != 0 {
			continue
		}
		if me.isReplica() && n.isMaster() && !n.failed() {
			ok := n.countNonFailingReplicas()
			if ok == 0 && n.numSlots > 0 && n.flags&bus.FlagMigrateTo != 0 {
				orphaned++
			}
			maxReplicas = max(maxReplicas, ok)
			if me.master == n {
				myReplicas = ok
			}
		}
		pingDelay := now - n.pingSent
		dataDelay := now - n.dataReceived
		if n.link != nil && now-n.link.ctime > to && n.pingSent != 0 &&
			pingDelay > to/2 && dataDelay > to/2 {
			s.freeLink(n.link) // reconnected by the next cron run
		}
		// As in Redis, the PING may be queued on a link still connecting (the I/O layer
		// writes it once the connect completes): its ping_sent is what flags a node that
		// refuses connections PFAIL, node_timeout later.
		if n.link != nil && n.pingSent == 0 && now-n.pongReceived > to/2 {
			s.sendPing(n.link, bus.TypePing, now)
			continue
		}
		if s.mfEnd != 0 && me.isMaster() && s.mfReplica == n && n.link != nil && n.link.connected {
			s.sendPing(n.link, bus.TypePing, now)
			continue
		}
		if n.pingSent == 0 {
			continue
		}
		delay := min(pingDelay, dataDelay)
		if delay > to && n.flags&(bus.FlagPFail|bus.FlagFail) == 0 {
			s.logf(Debug, "*** NODE %.40s possibly failing", n.id)
			n.flags |= bus.FlagPFail
			updateState = true
		}
	}

	if me.isReplica() && !s.replicating && me.master != nil && me.master.hasAddr() {
		s.out.SetMaster = &ReplicaOf{me.master.id, me.master.ip, me.master.port}
	}

	if s.mfEnd != 0 && s.mfEnd < now {
		s.logf(Warning, "Manual failover timed out.")
		s.resetManualFailover()
	}

	if me.isReplica() {
		s.handleManualFailover(now)
		s.handleReplicaFailover(now)
		if orphaned > 0 && maxReplicas >= 2 && myReplicas == maxReplicas && s.cfg.AllowReplicaMigration {
			s.handleReplicaMigration(now, maxReplicas)
		}
	}

	if updateState || !s.ok {
		s.updateState(now)
	}
}
