package server

import "github.com/slotdb/slotdb/cluster/state"

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
			if l := r.currentLink(); l != nil && l.host == host && l.port == port {
				return
			}
			r.setMaster(host, port)
		}
	case unset:
		r.clusterOps <- func() { r.unsetMaster() }
	}
}
