package nodesconf

import "github.com/slotdb/slotdb/cluster/bus"

// Node is one line of nodes.conf / CLUSTER NODES, field by field.
type Node struct {
	ID       string // 40 chars of a-z0-9
	IP       string // may be empty (a node that has not learned its own address)
	Port     int    // client port as printed (0..65535)
	CPort    int    // bus port (0..65535); a file without "@cport" loads as Port+10000
	Hostname string // printed as ",hostname" after the address when non-empty

	Flags    bus.NodeFlags // only the printed flags survive a round trip (not MEET, MIGRATE_TO)
	MasterID string        // "" is printed as "-"

	// PingSent and PongReceived are millisecond timestamps, printed as given. On load 7.0
	// only looks at "non-zero"; myself usually shows 0 and a pong time learned from gossip.
	PingSent     int64
	PongReceived int64

	// ConfigEpoch is the epoch to print: for a replica Redis prints its master's, and on
	// load ignores the value of a replica whose master is known.
	ConfigEpoch uint64

	Connected bool // link state: "connected" (also always for myself) or "disconnected"

	Slots     []bus.SlotRange // printed in order: "a-b", or "a" when a == b
	OpenSlots []OpenSlot      // printed in order after the slots; Redis writes them for myself only
}

// OpenSlotState tells a migrating slot from an importing one.
type OpenSlotState uint8

const (
	Migrating OpenSlotState = iota + 1 // "[slot->-id]": this node is migrating slot to id
	Importing                          // "[slot-<-id]": this node is importing slot from id
)

// OpenSlot is one bracketed open-slot token.
type OpenSlot struct {
	Slot   int
	State  OpenSlotState
	NodeID string
}

// Config is a whole nodes.conf.
type Config struct {
	Nodes         []Node // file order (Redis writes hash-table order)
	CurrentEpoch  uint64
	LastVoteEpoch uint64

	// Warnings lists what 7.0 would log and skip while loading (unknown vars). Not written
	// back by Format, as Redis drops them on its next rewrite.
	Warnings []string
}

// Myself returns the node flagged myself, or nil.
func (c *Config) Myself() *Node {
	for i := range c.Nodes {
		if c.Nodes[i].Flags&bus.FlagMyself != 0 {
			return &c.Nodes[i]
		}
	}
	return nil
}
