package cluster

import "github.com/slotdb/slotdb/cluster/state"

// SetReplicationHook installs fn, told when the state machine makes this node a replica
// (set: the master to follow) or a master again (unset). It runs with the node's lock held:
// fn must not block nor call back into the node.
func (n *Node) SetReplicationHook(fn func(set *state.ReplicaOf, unset bool)) {
	n.mu.Lock()
	n.replHook = fn
	n.mu.Unlock()
}

// runReplicationHook passes an Output's replication changes on.
func (n *Node) runReplicationHook(out *state.Output) {
	if n.replHook != nil && (out.SetMaster != nil || out.UnsetMaster) {
		n.replHook(out.SetMaster, out.UnsetMaster)
	}
}
