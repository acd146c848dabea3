package server

import (
	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
)

// wireClusterReplication connects the cluster node and the replication layer both ways:
// the state machine's role changes drive setMaster / unsetMaster, and the elections read
// this node's offset and data age and pause its writes for a manual failover.
func (s *Server) wireClusterReplication(n *cluster.Node) {
	r := s.repl
	n.SetReplicationHook(s.clusterReplication)
	n.SetReplicationSource(cluster.ReplicationSource{
		Offset:       r.clusterOffset,
		DataAge:      r.dataAge,
		PauseWrites:  s.pauseForFailover, // pause.go
		WritesPaused: s.writesDrained,
	})
}

// clusterOffset is replicationGetSlaveOffset on a replica and master_repl_offset on a
// master: both are the offset of this node's stream, to which a replica passes on every
// byte it applied. A replica whose data matches no history reports 0.
func (r *replState) clusterOffset() int64 {
	if r.isReplica() && !r.hasHistory() {
		return 0
	}
	_, _, _, off := r.stream.IDs()
	return off
}

// dataAge is clusterHandleSlaveFailover's data_age: ms since the last interaction with
// the master while the link is up, else since it went down (a link never up counts from
// the epoch, as Redis's repl_down_since 0 does).
func (r *replState) dataAge(now int64) int64 {
	l := r.currentLink()
	if l == nil {
		return 0
	}
	if l.state.Load() == linkConnected {
		return max(now-l.lastIO.Load(), 0)
	}
	return max(now-l.downSince.Load(), 0)
}

// Cluster mode drives the same replication machinery as REPLICAOF: the state machine's
// SetMaster (CLUSTER REPLICATE, a replica learning its master, failover of another replica)
// and UnsetMaster (this replica promoted). The hook runs under the cluster node's lock, so
// the changes are applied in order by one goroutine.
func (s *Server) clusterReplication(set *state.ReplicaOf, unset bool) {
	r := s.repl
	r.clusterOnce.Do(func() {
		r.clusterOps = make(chan func(), 64)
		go func() {
			for op := range r.clusterOps {
				op()
			}
		}()
	})
	switch {
	case set != nil:
		host, port := set.IP, set.Port
		r.clusterOps <- func() {
			l := r.currentLink()
			if l != nil && l.host == host && l.port == port {
				return
			}
			r.setMaster(host, port) // logs replicationSetMaster's lines

		}
	case unset:
		r.clusterOps <- func() {
			l := r.currentLink()
			if l == nil {
				return
			}
			r.unsetMaster() // logs replicationUnsetMaster's lines
		}
	}
}

// logRole is the log line's role character: S while this node replicates a master.
func (s *Server) logRole() byte {
	if s.repl.isReplica() {
		return 'S'
	}
	return 'M'
}
