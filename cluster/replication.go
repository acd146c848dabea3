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

// ReplicationSource is what the replication layer tells the state machine (elections,
// manual failover) and does for it. The functions run with the node's lock held: they
// must not block nor call back into the node.
type ReplicationSource struct {
	// Offset is master_repl_offset on a master, the processed offset on a replica.
	Offset func() int64
	// DataAge is the ms since the replica last heard from its master (link up) or since
	// the link went down (cluster-replica-validity-factor).
	DataAge func(now int64) int64
	// PauseWrites pauses client writes until the given time (Unix ms) for a manual
	// failover; until 0 lifts the pause.
	PauseWrites func(until int64)
	// WritesPaused reports whether the pause is in effect with no write in flight.
	WritesPaused func() bool
}

// SetReplicationSource installs the replication layer's side of the seam. Until it is
// called the offset is Options.ReplOffset (or 0), the data age 0 and a pause a no-op.
func (n *Node) SetReplicationSource(src ReplicationSource) {
	n.replSrc.Store(&src)
}

func (n *Node) replOffset() int64 {
	if src := n.replSrc.Load(); src != nil && src.Offset != nil {
		return src.Offset()
	}
	if n.opts.ReplOffset != nil {
		return n.opts.ReplOffset()
	}
	return 0
}

func (n *Node) dataAge(now int64) int64 {
	if src := n.replSrc.Load(); src != nil && src.DataAge != nil {
		return src.DataAge(now)
	}
	return 0
}

func (n *Node) pauseWrites(until int64) {
	if src := n.replSrc.Load(); src != nil && src.PauseWrites != nil {
		src.PauseWrites(until)
	}
}

func (n *Node) writesPaused() bool {
	if src := n.replSrc.Load(); src != nil && src.WritesPaused != nil {
		return src.WritesPaused()
	}
	return true
}

// runReplicationHook passes an Output's replication changes on: the role first, then the
// write pause, so that writes released by the end of a pause are routed by the new
// roles.
func (n *Node) runReplicationHook(out *state.Output) {
	if n.replHook != nil && (out.SetMaster != nil || out.UnsetMaster) {
		n.replHook(out.SetMaster, out.UnsetMaster)
	}
	src := n.replSrc.Load()
	if src == nil || src.PauseWrites == nil {
		return
	}
	switch {
	case out.PauseWritesUntil > 0:
		src.PauseWrites(out.PauseWritesUntil)
	case out.UnpauseWrites:
		src.PauseWrites(0)
	}
}
