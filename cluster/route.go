package cluster

import (
	"strconv"

	"github.com/slotdb/slotdb/cluster/state"
)

// Route returns the routing facts of slot and whether cluster_state is ok.
func (n *Node) Route(slot int) (state.SlotRoute, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.st.Route(slot), n.st.OK()
}

// ReadsWhenDown reports cluster-allow-reads-when-down.
func (n *Node) ReadsWhenDown() bool { return n.readsWhenDown.Load() }

// Addr formats e as MOVED and ASK print it: the preferred endpoint, ':', the port
// (getPreferredEndpoint: the hostname or "?" when there is none; "?" for
// unknown-endpoint).
func (n *Node) Addr(e state.Endpoint) string {
	host := e.IP
	switch n.EndpointType() {
	case EndpointHostname:
		host = e.Hostname
		if host == "" {
			host = "?"
		}
	case EndpointUnknown:
		host = "?"
	}
	return host + ":" + strconv.Itoa(e.Port)
}

// LinkDetail is one CLUSTER LINKS entry.
type LinkDetail struct {
	state.LinkInfo
	Events           string // "r", or "rw" while messages wait to be written
	SendBufAllocated int64
	SendBufUsed      int64
}

// Links lists the links bound to known nodes (CLUSTER LINKS).
func (n *Node) Links() []LinkDetail {
	n.mu.Lock()
	defer n.mu.Unlock()
	infos := n.st.Links()
	out := make([]LinkDetail, 0, len(infos))
	for _, li := range infos {
		d := LinkDetail{LinkInfo: li, Events: "r"}
		if c := n.conns[li.ID]; c != nil {
			c.mu.Lock()
			for _, b := range c.queue {
				d.SendBufUsed += int64(len(b))
			}
			c.mu.Unlock()
			if d.SendBufUsed > 0 {
				d.Events = "rw"
			}
			d.SendBufAllocated = d.SendBufUsed
		}
		out = append(out, d)
	}
	return out
}
