package state

import "github.com/slotdb/slotdb/cluster/bus"

// Reasons a replica cannot fail over (CLUSTER_CANT_FAILOVER_*).
const (
	cantFailoverNone = iota
	cantFailoverDataAge
	cantFailoverWaitingDelay
	cantFailoverExpired
	cantFailoverWaitingVotes
)

const cantFailoverRelogPeriod = 10_000 // ms (CLUSTER_CANT_FAILOVER_RELOG_PERIOD is 10 s)

// sendFailoverAuthIfNeeded is the voting side: one vote per epoch, only for a replica
// whose master is FAIL (or FORCEACK), not twice for the same master within
// 2*node_timeout, and only if no claimed slot belongs to a newer configuration.
func (s *State) sendFailoverAuthIfNeeded(now int64, n *node, req *bus.Header) {
	me := s.myself
	master := n.master
	if me.isReplica() || me.numSlots == 0 {
		return
	}
	if req.CurrentEpoch < s.currentEpoch {
		s.logf(Warning, "Failover auth denied to %.40s: reqEpoch (%d) < curEpoch(%d)", n.id, req.CurrentEpoch, s.currentEpoch)
		return
	}
	if s.lastVoteEpoch == s.currentEpoch {
		s.logf(Warning, "Failover auth denied to %.40s: already voted for epoch %d", n.id, s.currentEpoch)
		return
	}
	force := req.MFlags[0]&bus.MFlagForceAck != 0
	if n.isMaster() || master == nil || (!master.failed() && !force) {
		switch {
		case n.isMaster():
			s.logf(Warning, "Failover auth denied to %.40s: it is a master node", n.id)
		case master == nil:
			s.logf(Warning, "Failover auth denied to %.40s: I don't know its master", n.id)
		default:
			s.logf(Warning, "Failover auth denied to %.40s: its master is up", n.id)
		}
		return
	}
	if now-master.votedTime < s.cfg.NodeTimeout*2 {
		s.logf(Warning, "Failover auth denied to %.40s: can't vote about this master before %d milliseconds",
			n.id, s.cfg.NodeTimeout*2-(now-master.votedTime))
		return
	}
	for j := 0; j < bus.SlotCount; j++ {
		if !req.MySlots.Has(j) || s.slotUnclaimed(j) || s.slots[j].configEpoch <= req.ConfigEpoch {
			continue
		}
		s.logf(Warning, "Failover auth denied to %.40s: slot %d epoch (%d) > reqEpoch (%d)",
			n.id, j, s.slots[j].configEpoch, req.ConfigEpoch)
		return
	}
	s.lastVoteEpoch = s.currentEpoch
	master.votedTime = now
	s.saveConfig(true)
	s.sendSimple(n, bus.TypeFailoverAuthAck)
	s.logf(Warning, "Failover auth granted to %.40s for epoch %d", n.id, s.currentEpoch)
}

// replicaRank counts the other failover-capable replicas of my master with a greater
// replication offset than mine.
func (s *State) replicaRank() int {
	master := s.myself.master
	if master == nil {
		return 0
	}
	mine := s.hooks.replOffset()
	rank := 0
	for _, r := range master.replicas {
		if r != s.myself && !r.cantFailover() && r.replOffset > mine {
			rank++
		}
	}
	return rank
}

func (s *State) logCantFailover(now int64, reason int) {
	if reason == s.cantFailover && now-s.cantFailoverLog < cantFailoverRelogPeriod {
		return
	}
	s.cantFailover = reason
	me := s.myself
	if me.master != nil && me.master.failed() && now-me.master.failTime < s.cfg.NodeTimeout+5000 {
		return
	}
	msg := "Unknown reason code."
	switch reason {
	case cantFailoverDataAge:
		msg = "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."
	case cantFailoverWaitingDelay:
		msg = "Waiting the delay before I can start a new failover."
	case cantFailoverExpired:
		msg = "Failover attempt expired."
	case cantFailoverWaitingVotes:
		msg = "Waiting for votes, but majority still not reached."
	}
	s.cantFailoverLog = now
	s.logf(Notice, "Currently unable to failover: %s", msg)
}

// failoverReplaceYourMaster: become master, take the old master's slots, tell everyone.
func (s *State) failoverReplaceYourMaster(now int64) {
	me := s.myself
	old := me.master
	if me.isMaster() || old == nil {
		return
	}
	s.setNodeAsMaster(me)
	s.out.UnsetMaster = true
	s.out.SetMaster = nil
	for j := 0; j < bus.SlotCount; j++ {
		if old.slots.Has(j) {
			s.delSlot(j)
			s.addSlot(me, j)
		}
	}
	s.updateState(now)
	s.saveConfig(true)
	s.broadcastPong(broadcastAll, now)
	s.resetManualFailover()
}

// handleReplicaFailover is clusterHandleSlaveFailover.
func (s *State) handleReplicaFailover(now int64) {
	s.todoFailover = false
	me := s.myself
	authAge := now - s.failoverAuthTime
	quorum := s.size/2 + 1
	manual := s.mfEnd != 0 && s.mfCanStart
	authTimeout := max(s.cfg.NodeTimeout*2, 2000)
	authRetry := authTimeout * 2

	if me.isMaster() || me.master == nil || (!me.master.failed() && !manual) ||
		(s.cfg.ReplicaNoFailover && !manual) || me.master.numSlots == 0 {
		s.cantFailover = cantFailoverNone
		return
	}
	age := s.hooks.dataAge(now)
	if age > s.cfg.NodeTimeout {
		age -= s.cfg.NodeTimeout
	}
	if s.cfg.ReplicaValidityFactor != 0 &&
		age > s.cfg.ReplPingReplicaPeriod*1000+s.cfg.NodeTimeout*s.cfg.ReplicaValidityFactor && !manual {
		s.logCantFailover(now, cantFailoverDataAge)
		return
	}
	if authAge > authRetry {
		s.failoverAuthTime = now + 500 + s.rng.Int64N(500)
		s.failoverAuthCount = 0
		s.failoverAuthSent = false
		s.failoverAuthRank = s.replicaRank()
		s.failoverAuthTime += int64(s.failoverAuthRank) * 1000
		if s.mfEnd != 0 {
			s.failoverAuthTime = now
			s.failoverAuthRank = 0
			s.todoFailover = true
		}
		s.logf(Warning, "Start of election delayed for %d milliseconds (rank #%d, offset %d).",
			s.failoverAuthTime-now, s.failoverAuthRank, s.hooks.replOffset())
		s.broadcastPong(broadcastLocalReplicas, now)
		return
	}
	if !s.failoverAuthSent && s.mfEnd == 0 {
		if rank := s.replicaRank(); rank > s.failoverAuthRank {
			added := int64(rank-s.failoverAuthRank) * 1000
			s.failoverAuthTime += added
			s.failoverAuthRank = rank
			s.logf(Notice, "Replica rank updated to #%d, added %d milliseconds of delay.", rank, added)
		}
	}
	if now < s.failoverAuthTime {
		s.logCantFailover(now, cantFailoverWaitingDelay)
		return
	}
	if authAge > authTimeout {
		s.logCantFailover(now, cantFailoverExpired)
		return
	}
	if !s.failoverAuthSent {
		s.currentEpoch++
		s.failoverAuthEpoch = s.currentEpoch
		s.logf(Warning, "Starting a failover election for epoch %d.", s.currentEpoch)
		s.requestFailoverAuth()
		s.failoverAuthSent = true
		s.saveConfig(true)
		s.todoUpdateState = true
		return
	}
	if s.failoverAuthCount >= quorum {
		s.logf(Warning, "Failover election won: I'm the new master.")
		if me.configEpoch < s.failoverAuthEpoch {
			me.configEpoch = s.failoverAuthEpoch
			s.logf(Warning, "configEpoch set to %d after successful failover", me.configEpoch)
		}
		s.failoverReplaceYourMaster(now)
	} else {
		s.logCantFailover(now, cantFailoverWaitingVotes)
	}
}

// resetManualFailover clears the manual-failover state on either side; a master that
// paused its clients for it resumes them.
func (s *State) resetManualFailover() {
	if s.mfReplica != nil && s.out != nil {
		s.out.UnpauseWrites = true
		s.out.PauseWritesUntil = 0
	}
	s.mfEnd = 0
	s.mfCanStart = false
	s.mfReplica = nil
	s.mfMasterOffset = -1
}

// handleManualFailover: the replica may start once it has processed the offset its
// paused master announced.
func (s *State) handleManualFailover(now int64) {
	s.todoManualFailover = false
	if s.mfEnd == 0 || s.mfCanStart || s.mfMasterOffset == -1 {
		return
	}
	if s.mfMasterOffset == s.hooks.replOffset() {
		s.mfCanStart = true
		s.logf(Warning, "All master replication stream processed, manual failover can start.")
		s.todoFailover = true
	}
	_ = now
}

// handleReplicaMigration is clusterHandleSlaveMigration.
func (s *State) handleReplicaMigration(now int64, maxReplicas int) {
	me := s.myself
	if !s.ok {
		return
	}
	mymaster := me.master
	if mymaster == nil {
		return
	}
	okReplicas := 0
	for _, r := range mymaster.replicas {
		if !r.failed() && !r.timedOut() {
			okReplicas++
		}
	}
	if okReplicas <= s.cfg.MigrationBarrier {
		return
	}
	candidate := me
	var target *node
	for _, n := range s.order {
		ok, orphaned := 0, true
		if n.isReplica() || n.failed() || n.flags&bus.FlagMigrateTo == 0 {
			orphaned = false
		}
		if n.isMaster() {
			ok = n.countNonFailingReplicas()
		}
		if ok > 0 {
			orphaned = false
		}
		if orphaned {
			if target == nil && n.numSlots > 0 {
				target = n
			}
			if n.orphanedTime == 0 {
				n.orphanedTime = now
			}
		} else {
			n.orphanedTime = 0
		}
		if ok == maxReplicas {
			for _, r := range n.replicas {
				if r.id < candidate.id {
					candidate = r
				}
			}
		}
	}
	if target != nil && candidate == me && now-target.orphanedTime > replicaMigrationDelay {
		s.logf(Notice, "Migrating to orphaned master %.40s", target.id)
		s.setMaster(target)
	}
}
