package state

import "github.com/slotdb/slotdb/cluster/bus"

// link is one bus connection (clusterLink). Outbound links belong to the node they were
// opened to; inbound links get their node when a packet names a known sender.
type link struct {
	id        LinkID
	node      *node
	inbound   bool
	ctime     int64
	connected bool   // outbound: the connect completed
	peerIP    string // inbound: the remote address (getpeername)
	localIP   string // our address on this connection (getsockname)
}

func (s *State) newLink(n *node, inbound bool, now int64) *link {
	s.nextLink++
	l := &link{id: s.nextLink, node: n, inbound: inbound, ctime: now}
	s.links[l.id] = l
	if !inbound {
		n.link = l
	}
	return l
}

// freeLink forgets l and asks the I/O layer to close it.
func (s *State) freeLink(l *link) {
	s.dropLink(l)
	s.out.Closes = append(s.out.Closes, l.id)
}

// dropLink forgets l without asking for a close (the I/O layer reported it gone).
func (s *State) dropLink(l *link) {
	delete(s.links, l.id)
	if n := l.node; n != nil {
		if n.link == l {
			n.link = nil
		} else if n.inbound == l {
			n.inbound = nil
		}
	}
}

// Accept registers an inbound connection and returns its id. peerIP is the remote
// address, localIP the address the peer connected to (used to learn my own IP from MEET).
func (s *State) Accept(now int64, peerIP, localIP string) LinkID {
	s.nextLink++
	l := &link{id: s.nextLink, inbound: true, ctime: now, peerIP: peerIP, localIP: localIP}
	s.links[l.id] = l
	return l.id
}

// LinkConnected reports that the outbound connection asked for by a Connect is up; the
// output holds the first PING (or MEET) to write on it.
func (s *State) LinkConnected(now int64, id LinkID, localIP string) Output {
	s.begin()
	l := s.links[id]
	if l == nil || l.inbound || l.node == nil {
		return s.finish(now)
	}
	l.connected = true
	l.localIP = localIP
	n := l.node
	old := n.pingSent
	t := pingType(n)
	s.sendPing(l, t, now)
	if old != 0 {
		n.pingSent = old // keep the pending ping of the previous link for failure detection
	}
	n.flags &^= bus.FlagMeet
	return s.finish(now)
}

// LinkClosed reports that a connection was closed or could not be established.
func (s *State) LinkClosed(now int64, id LinkID) Output {
	s.begin()
	// A failed connect leaves ping_sent alone, as Redis's clusterLinkConnectHandler does:
	// connect() on a non-blocking socket reports a refusal asynchronously (EINPROGRESS
	// first), so Redis's synchronous-error path, which sets ping_sent, is not the one a
	// dead peer takes. The cron's PING on the next link sets it instead.
	if l := s.links[id]; l != nil {
		s.dropLink(l)
	}
	return s.finish(now)
}

// LinkBufferLimitExceeded counts a link freed for exceeding cluster-link-sendbuf-limit
// (total_cluster_links_buffer_limit_exceeded). The I/O layer closes the link itself and
// reports LinkClosed.
func (s *State) LinkBufferLimitExceeded() { s.linksBufferExceeded++ }

// LinkInfo describes one link for CLUSTER LINKS.
type LinkInfo struct {
	ID         LinkID
	Inbound    bool // direction "from"; else "to"
	NodeID     string
	CreateTime int64
}

// Links lists the links bound to a node, outbound then inbound per node, in table order.
func (s *State) Links() []LinkInfo {
	var out []LinkInfo
	for _, n := range s.order {
		if n.link != nil {
			out = append(out, LinkInfo{n.link.id, false, n.id, n.link.ctime})
		}
		if n.inbound != nil {
			out = append(out, LinkInfo{n.inbound.id, true, n.id, n.inbound.ctime})
		}
	}
	return out
}
