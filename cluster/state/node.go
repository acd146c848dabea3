package state

import "github.com/slotdb/slotdb/cluster/bus"

// failReport is one master's claim that a node is failing (clusterNodeFailReport).
type failReport struct {
	from *node
	time int64
}

// node is one entry of the node table (clusterNode).
type node struct {
	id       string
	ctime    int64
	ip       string
	port     int
	cport    int
	pport    int
	hostname string

	flags       bus.NodeFlags
	configEpoch uint64
	slots       bus.SlotBitmap
	numSlots    int
	master      *node
	replicas    []*node

	pingSent, pongReceived, dataReceived int64
	failTime, votedTime, orphanedTime    int64
	replOffset, replOffsetTime           int64

	failReports []failReport
	link        *link // outbound
	inbound     *link

	lastInPingGossip uint64
}

func (n *node) isMaster() bool    { return n.flags&bus.FlagMaster != 0 }
func (n *node) isReplica() bool   { return n.flags&bus.FlagSlave != 0 }
func (n *node) inHandshake() bool { return n.flags&bus.FlagHandshake != 0 }
func (n *node) hasAddr() bool     { return n.flags&bus.FlagNoAddr == 0 }
func (n *node) timedOut() bool    { return n.flags&bus.FlagPFail != 0 }
func (n *node) failed() bool      { return n.flags&bus.FlagFail != 0 }
func (n *node) cantFailover() bool {
	return n.flags&bus.FlagNoFailover != 0
}

// addFailureReport records (or refreshes) sender's report; true if it is new.
func (n *node) addFailureReport(sender *node, now int64) bool {
	for i := range n.failReports {
		if n.failReports[i].from == sender {
			n.failReports[i].time = now
			return false
		}
	}
	n.failReports = append(n.failReports, failReport{sender, now})
	return true
}

func (n *node) cleanupFailureReports(now, nodeTimeout int64) {
	maxAge := nodeTimeout * failReportValidityMult
	kept := n.failReports[:0]
	for _, r := range n.failReports {
		if now-r.time <= maxAge {
			kept = append(kept, r)
		}
	}
	n.failReports = kept
}

func (n *node) delFailureReport(sender *node, now, nodeTimeout int64) bool {
	for i := range n.failReports {
		if n.failReports[i].from == sender {
			n.failReports = append(n.failReports[:i], n.failReports[i+1:]...)
			n.cleanupFailureReports(now, nodeTimeout)
			return true
		}
	}
	return false
}

func (n *node) failureReportCount(now, nodeTimeout int64) int {
	n.cleanupFailureReports(now, nodeTimeout)
	return len(n.failReports)
}

func (n *node) removeReplica(r *node) bool {
	for i, x := range n.replicas {
		if x == r {
			n.replicas = append(n.replicas[:i], n.replicas[i+1:]...)
			if len(n.replicas) == 0 {
				n.flags &^= bus.FlagMigrateTo
			}
			return true
		}
	}
	return false
}

func (n *node) addReplica(r *node) bool {
	for _, x := range n.replicas {
		if x == r {
			return false
		}
	}
	n.replicas = append(n.replicas, r)
	n.flags |= bus.FlagMigrateTo
	return true
}

func (n *node) countNonFailingReplicas() int {
	ok := 0
	for _, r := range n.replicas {
		if !r.failed() {
			ok++
		}
	}
	return ok
}

// masterOrSelf is clusterNodeGetMaster's one-step form used for headers and epochs.
func (n *node) masterOrSelf() *node {
	if n.isReplica() && n.master != nil {
		return n.master
	}
	return n
}
