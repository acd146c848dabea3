package state

import "github.com/slotdb/slotdb/cluster/bus"

// LinkID names one bus connection. The state machine allocates them: outbound ones in
// Output.Connects, inbound ones in Accept.
type LinkID uint64

// Send asks the I/O layer to write Msg on Link (append it to the link's send buffer).
type Send struct {
	Link LinkID
	Msg  *bus.Message
}

// Connect asks the I/O layer to open an outbound connection to IP:CPort for node NodeID
// and to report LinkConnected or LinkClosed for Link.
type Connect struct {
	Link   LinkID
	NodeID string
	IP     string
	CPort  int
}

// Level is a log level as Redis uses it.
type Level uint8

const (
	Debug Level = iota
	Verbose
	Notice
	Warning
)

// LogLine is a line Redis would log, with its text.
type LogLine struct {
	Level Level
	Text  string
}

// Publish is a PUBLISH or SPUBLISH (Shard) received from the bus, to deliver to local
// subscribers.
type Publish struct {
	Shard   bool
	Channel []byte
	Message []byte
}

// ReplicaOf tells the replication layer to follow a new master (replicationSetMaster).
type ReplicaOf struct {
	NodeID string
	IP     string
	Port   int
}

// Output is what one input asks the I/O layer to do, in this order: close links, open
// links, write messages, persist, then act on the replication and data fields.
type Output struct {
	Sends    []Send
	Connects []Connect
	Closes   []LinkID // close these connections; they need no LinkClosed report

	// Save asks for nodes.conf to be rewritten from Export(); Fsync asks for it to be
	// fsynced too (always with Save). Both must be done before the Sends are written
	// when Fsync is set: a vote or an epoch must be durable before it is announced.
	Save, Fsync bool

	Logs      []LogLine
	Published []Publish

	// SetMaster: start replicating from this node. UnsetMaster: stop replicating (I was
	// promoted). FlushData: empty the data set (a replica reset). DeleteSlots: delete the
	// keys of these slots (ownership lost while keys remained).
	SetMaster   *ReplicaOf
	UnsetMaster bool
	FlushData   bool
	DeleteSlots []int

	// PauseWritesUntil > 0: pause client writes until that time (a master that accepted
	// a manual failover). UnpauseWrites: lift that pause.
	PauseWritesUntil int64
	UnpauseWrites    bool

	// StateChanged is set when cluster_state flipped; the new value is State().OK.
	StateChanged bool
}

// Empty reports whether o asks for nothing.
func (o *Output) Empty() bool {
	return len(o.Sends) == 0 && len(o.Connects) == 0 && len(o.Closes) == 0 && !o.Save && !o.Fsync &&
		len(o.Logs) == 0 && len(o.Published) == 0 && o.SetMaster == nil && !o.UnsetMaster &&
		!o.FlushData && len(o.DeleteSlots) == 0 && o.PauseWritesUntil == 0 && !o.UnpauseWrites &&
		!o.StateChanged
}
