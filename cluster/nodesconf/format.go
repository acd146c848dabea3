package nodesconf

import (
	"strconv"

	"github.com/slotdb/slotdb/cluster/bus"
)

// AppendNodeLine appends one node line without its newline, exactly as 7.0's
// clusterGenNodeDescription prints it for nodes.conf and CLUSTER NODES:
//
//	id ip:port@cport[,hostname] flags master|- ping-sent pong-recv epoch link-state [slots] [open slots]
func AppendNodeLine(dst []byte, n *Node) []byte {
	dst = append(dst, n.ID...)
	dst = append(dst, ' ')
	dst = append(dst, n.IP...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(n.Port), 10)
	dst = append(dst, '@')
	dst = strconv.AppendInt(dst, int64(n.CPort), 10)
	if n.Hostname != "" {
		dst = append(dst, ',')
		dst = append(dst, n.Hostname...)
	}
	dst = append(dst, ' ')
	dst = AppendFlags(dst, n.Flags)
	dst = append(dst, ' ')
	if n.MasterID != "" {
		dst = append(dst, n.MasterID...)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, n.PingSent, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, n.PongReceived, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, n.ConfigEpoch, 10)
	if n.Connected {
		dst = append(dst, " connected"...)
	} else {
		dst = append(dst, " disconnected"...)
	}
	for _, r := range n.Slots {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(r.Start), 10)
		if r.End != r.Start {
			dst = append(dst, '-')
			dst = strconv.AppendInt(dst, int64(r.End), 10)
		}
	}
	for _, o := range n.OpenSlots {
		dst = append(dst, " ["...)
		dst = strconv.AppendInt(dst, int64(o.Slot), 10)
		if o.State == Importing {
			dst = append(dst, "-<-"...)
		} else {
			dst = append(dst, "->-"...)
		}
		dst = append(dst, o.NodeID...)
		dst = append(dst, ']')
	}
	return dst
}

// Format returns the nodes.conf content 7.0 writes: every node except those in handshake,
// one line each, then "vars currentEpoch N lastVoteEpoch M". Lines keep the order of
// c.Nodes.
func Format(c *Config) []byte {
	var dst []byte
	for i := range c.Nodes {
		if c.Nodes[i].Flags&bus.FlagHandshake != 0 {
			continue
		}
		dst = AppendNodeLine(dst, &c.Nodes[i])
		dst = append(dst, '\n')
	}
	dst = append(dst, "vars currentEpoch "...)
	dst = strconv.AppendUint(dst, c.CurrentEpoch, 10)
	dst = append(dst, " lastVoteEpoch "...)
	dst = strconv.AppendUint(dst, c.LastVoteEpoch, 10)
	return append(dst, '\n')
}

// FormatClusterNodes returns the CLUSTER NODES reply text: the same lines as nodes.conf but
// including handshake nodes and without the vars line, each ending in "\n". The caller
// picks the values to show (e.g. the port a TLS client should see).
func FormatClusterNodes(nodes []Node) []byte {
	var dst []byte
	for i := range nodes {
		dst = AppendNodeLine(dst, &nodes[i])
		dst = append(dst, '\n')
	}
	return dst
}
