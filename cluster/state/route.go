package state

import "github.com/slotdb/slotdb/cluster/bus"

// Endpoint is the client-facing address of a node, for MOVED and ASK.
type Endpoint struct {
	IP       string
	Hostname string
	Port     int
	PPort    int
}

func endpoint(n *node) Endpoint { return Endpoint{n.ip, n.hostname, n.port, n.pport} }

// SlotRoute is what getNodeByQuery reads about one slot: its owner, and whether this
// node is migrating it away or importing it.
type SlotRoute struct {
	Served        bool // the slot has an owner
	Mine          bool // the owner is myself
	OwnerIsMaster bool // the owner is my master (I am its replica)
	Owner         Endpoint
	Migrating     bool // owner is myself and the slot is MIGRATING to MigratingTo
	MigratingTo   Endpoint
	Importing     bool // the slot is IMPORTING here
}

// Route returns the routing facts of slot without copying the node table; it is
// called for every keyed command.
func (s *State) Route(slot int) SlotRoute {
	var r SlotRoute
	if slot < 0 || slot >= bus.SlotCount {
		return r
	}
	n := s.slots[slot]
	if n == nil {
		return r
	}
	r.Served = true
	r.Owner = endpoint(n)
	r.Mine = n == s.myself
	r.OwnerIsMaster = s.myself.isReplica() && s.myself.master == n
	if m := s.migrating[slot]; r.Mine && m != nil {
		r.Migrating, r.MigratingTo = true, endpoint(m)
	} else if s.importing[slot] != nil {
		r.Importing = true
	}
	return r
}
