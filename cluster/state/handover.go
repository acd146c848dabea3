package state

// Native slot migration hand-over (CLUSTER MIGRATESLOTS). The target takes the slots with a
// configEpoch of its own that no other master has, so its claim wins everywhere through the
// ordinary UPDATE / configEpoch rules; the source binds the slots to the target without
// waiting for that gossip, so its clients get MOVED from then on; then the target announces
// the change (Announce). Announcing after the source gave the slots spares the source the
// path of a master that learns it lost slots it still holds keys of (clusterUpdateSlotsConfigWith
// deleting them slot by slot while the hand-over waits).

// TakeSlots makes myself the owner of slots and takes a new configEpoch (always: the source
// may hold the greatest one). Importing/migrating marks of the slots go. The next PONG, or
// Announce, tells the cluster.
func (s *State) TakeSlots(now int64, slots []int) (Output, error) {
	s.begin()
	me := s.myself
	if me.isReplica() {
		return s.finish(now), errf("ERR Please use MIGRATESLOTS only with masters.")
	}
	for _, j := range slots {
		if j < 0 || j >= len(s.slots) {
			return s.finish(now), errf("ERR Invalid or out of range slot")
		}
	}
	for _, j := range slots {
		s.importing[j], s.migrating[j] = nil, nil
		if s.slots[j] != me {
			s.delSlot(j)
			s.addSlot(me, j)
		}
	}
	// Unlike clusterBumpConfigEpochWithoutConsensus, bump even when mine is already the
	// greatest: the new epoch must be newer than anything said about these slots before.
	s.currentEpoch = s.maxEpoch() + 1
	me.configEpoch = s.currentEpoch
	s.logf(Notice, "configEpoch set to %d after importing %d slots", me.configEpoch, len(slots))
	s.saveConfig(true)
	s.todoUpdateState = true
	return s.finish(now), nil
}

// Announce broadcasts a PONG to every node (after TakeSlots).
func (s *State) Announce(now int64) Output {
	s.begin()
	s.broadcastPong(broadcastAll, now)
	return s.finish(now)
}

// GiveSlots binds slots, which I hand over, to node id. Unlike SETSLOT NODE it does not
// check that the slots are empty (the caller drops the keys right after) and I stay a
// master even with no slot left.
func (s *State) GiveSlots(now int64, slots []int, id string) (Output, error) {
	s.begin()
	n := s.lookup(id)
	if n == nil {
		return s.finish(now), errf("ERR Unknown node %s", id)
	}
	if n.isReplica() {
		return s.finish(now), errf("ERR Target node is not a master")
	}
	for _, j := range slots {
		if j < 0 || j >= len(s.slots) {
			return s.finish(now), errf("ERR Invalid or out of range slot")
		}
	}
	for _, j := range slots {
		s.importing[j], s.migrating[j] = nil, nil
		s.delSlot(j)
		s.addSlot(n, j)
	}
	s.saveConfig(true)
	s.todoUpdateState = true
	return s.finish(now), nil
}
