package state

import "github.com/slotdb/slotdb/cluster/bus"

// updateState is clusterUpdateState: cluster_state is ok when every slot is served by a
// non-FAIL node (if full coverage is required) and a majority of the slot-serving masters
// is reachable; a master waits the writable delay after start and the rejoin delay after
// being in a minority before it turns ok.
func (s *State) updateState(now int64) {
	s.todoUpdateState = false
	if s.firstStateCall == 0 {
		s.firstStateCall = now
	}
	if s.myself.isMaster() && !s.ok && now-s.firstStateCall < writableDelay {
		return
	}
	ok := true
	if s.cfg.RequireFullCoverage {
		for j := 0; j < bus.SlotCount; j++ {
			if s.slots[j] == nil || s.slots[j].failed() {
				ok = false
				break
			}
		}
	}
	reachable := 0
	s.size = 0
	for _, n := range s.order {
		if n.isMaster() && n.numSlots > 0 {
			s.size++
			if n.flags&(bus.FlagFail|bus.FlagPFail) == 0 {
				reachable++
			}
		}
	}
	if reachable < s.size/2+1 {
		ok = false
		s.amongMinorityTime = now
	}
	if ok == s.ok {
		return
	}
	rejoin := min(max(s.cfg.NodeTimeout, minRejoinDelay), maxRejoinDelay)
	if ok && s.myself.isMaster() && now-s.amongMinorityTime < rejoin {
		return
	}
	if ok {
		s.logf(Warning, "Cluster state changed: ok")
	} else {
		s.logf(Warning, "Cluster state changed: fail")
	}
	s.ok = ok
	s.out.StateChanged = true
}
