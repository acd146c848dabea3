package state

import "github.com/slotdb/slotdb/cluster/bus"

// slotUnclaimed: unassigned, or its owner stopped claiming it (7.0.13+).
func (s *State) slotUnclaimed(j int) bool {
	return s.slots[j] == nil || s.ownerNotClaiming.Has(j)
}

func (s *State) mastersHaveReplicas() bool {
	for _, n := range s.order {
		if !n.isReplica() && len(n.replicas) > 0 {
			return true
		}
	}
	return false
}

func (s *State) setSlotBit(n *node, j int) {
	if n.slots.Has(j) {
		return
	}
	n.slots.Set(j)
	n.numSlots++
	// A master getting its first slot becomes a replica-migration target if some
	// master has replicas (redis/redis#3043).
	if n.numSlots == 1 && s.mastersHaveReplicas() {
		n.flags |= bus.FlagMigrateTo
	}
}

// addSlot binds j to n; false if j already has an owner.
func (s *State) addSlot(n *node, j int) bool {
	if s.slots[j] != nil {
		return false
	}
	s.setSlotBit(n, j)
	s.slots[j] = n
	return true
}

// delSlot unbinds j; false if it was unassigned.
func (s *State) delSlot(j int) bool {
	n := s.slots[j]
	if n == nil {
		return false
	}
	if n.slots.Has(j) {
		n.slots.Clear(j)
		n.numSlots--
	}
	s.slots[j] = nil
	s.ownerNotClaiming.Clear(j)
	return true
}

func (s *State) delNodeSlots(n *node) int {
	deleted := 0
	for j := 0; j < bus.SlotCount; j++ {
		if n.slots.Has(j) {
			s.delSlot(j)
			deleted++
		}
	}
	return deleted
}

func (s *State) closeAllSlots() {
	s.migrating = [bus.SlotCount]*node{}
	s.importing = [bus.SlotCount]*node{}
}

// setNodeAsMaster is clusterSetNodeAsMaster.
func (s *State) setNodeAsMaster(n *node) {
	if n.isMaster() {
		return
	}
	if n.master != nil {
		n.master.removeReplica(n)
		if n != s.myself {
			n.flags |= bus.FlagMigrateTo
		}
	}
	n.flags &^= bus.FlagSlave
	n.flags |= bus.FlagMaster
	n.master = nil
	s.saveConfig(false)
	s.todoUpdateState = true
}

// setMaster is clusterSetMaster: make myself a replica of n.
func (s *State) setMaster(n *node) {
	me := s.myself
	if n == me || me.numSlots != 0 {
		return
	}
	if me.isMaster() {
		me.flags &^= bus.FlagMaster | bus.FlagMigrateTo
		me.flags |= bus.FlagSlave
		s.closeAllSlots()
	} else if me.master != nil {
		me.master.removeReplica(me)
	}
	me.master = n
	n.addReplica(me)
	s.out.SetMaster = &ReplicaOf{n.id, n.ip, n.port}
	s.out.UnsetMaster = false
	s.resetManualFailover()
}

// updateSlotsConfigWith is clusterUpdateSlotsConfigWith: rebind the slots sender claims
// with a greater configEpoch than their owners', then demote myself if I lost them all.
func (s *State) updateSlotsConfigWith(now int64, sender *node, epoch uint64, claimed *bus.SlotBitmap) {
	me := s.myself
	if sender == me {
		s.logf(Notice, "Discarding UPDATE message about myself.")
		return
	}
	curmaster := me
	if !me.isMaster() {
		curmaster = me.master
	}
	var newmaster *node
	var dirty []int
	senderSlots, migratedOurs := 0, 0
	for j := 0; j < bus.SlotCount; j++ {
		if claimed.Has(j) {
			senderSlots++
			if s.slots[j] == sender {
				s.ownerNotClaiming.Clear(j)
				continue
			}
			if s.importing[j] != nil {
				continue // a resharding in progress is closed by hand
			}
			if s.slotUnclaimed(j) || s.slots[j].configEpoch < epoch {
				if s.slots[j] == me && s.hooks.keysInSlot(j) > 0 {
					dirty = append(dirty, j)
				}
				if s.slots[j] == curmaster && curmaster != nil {
					newmaster = sender
					migratedOurs++
				}
				s.delSlot(j)
				s.addSlot(sender, j)
				s.saveConfig(true)
				s.todoUpdateState = true
			}
		} else if s.slots[j] == sender {
			// Keep the binding (unbinding would fail the cluster) but remember the
			// owner no longer claims it, so UPDATEs do not spread it.
			s.ownerNotClaiming.Set(j)
		}
	}
	switch {
	case newmaster != nil && curmaster.numSlots == 0 &&
		(s.cfg.AllowReplicaMigration || senderSlots == migratedOurs):
		s.logf(Notice, "Configuration change detected. Reconfiguring myself as a replica of %.40s", sender.id)
		s.setMaster(sender)
		s.saveConfig(true)
		s.todoUpdateState = true
	case me.master != nil && me.master.master != nil && me.master.master != me:
		s.logf(Notice, "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster %.40s", me.master.master.id)
		s.setMaster(me.master.master)
		s.saveConfig(true)
		s.todoUpdateState = true
	case len(dirty) > 0:
		s.out.DeleteSlots = append(s.out.DeleteSlots, dirty...)
	}
	_ = now
}
