package server

import (
	"bytes"
	"strings"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/server/resp"
)

func init() {
	for name, fn := range map[string]func(*Client, *cluster.Node, [][]byte){
		"info":                  clusterInfo,
		"nodes":                 clusterNodes,
		"myid":                  clusterMyID,
		"slots":                 clusterSlots,
		"shards":                clusterShards,
		"meet":                  clusterMeet,
		"addslots":              clusterSlotsCmd((*state.State).AddSlots),
		"addslotsrange":         clusterSlotsCmd((*state.State).AddSlotsRange),
		"delslots":              clusterSlotsCmd((*state.State).DelSlots),
		"delslotsrange":         clusterSlotsCmd((*state.State).DelSlotsRange),
		"setslot":               clusterSlotsCmd((*state.State).SetSlot),
		"flushslots":            clusterFlushSlots,
		"keyslot":               clusterKeySlot,
		"countkeysinslot":       clusterCountKeys,
		"getkeysinslot":         clusterGetKeys,
		"forget":                clusterForget,
		"reset":                 clusterReset,
		"saveconfig":            clusterSaveConfig,
		"bumpepoch":             clusterBumpEpoch,
		"set-config-epoch":      clusterSetConfigEpoch,
		"count-failure-reports": clusterCountFailureReports,
		"replicate":             clusterReplicate,
		"replicas":              clusterReplicas,
		"slaves":                clusterReplicas,
		"links":                 clusterLinks,
		"failover":              clusterFailover,
		"help":                  func(c *Client, _ *cluster.Node, _ [][]byte) { writeHelp(c, clusterHelp) },
	} {
		register("cluster|"+name, clusterOnly(fn))
	}
	register("readonly", clusterOnly(func(c *Client, _ *cluster.Node, _ [][]byte) { c.readonly = true; c.w.OK() }))
	register("readwrite", clusterOnly(func(c *Client, _ *cluster.Node, _ [][]byte) { c.readonly = false; c.w.OK() }))
	register("asking", clusterOnly(func(c *Client, _ *cluster.Node, _ [][]byte) { c.asking = true; c.w.OK() }))
}

// clusterOnly refuses the command when cluster mode is off, as every CLUSTER subcommand,
// READONLY, READWRITE and ASKING do.
func clusterOnly(fn func(*Client, *cluster.Node, [][]byte)) handler {
	return func(c *Client, args [][]byte) {
		n := c.s.cluster
		if n == nil {
			c.w.Error(errNoCluster)
			return
		}
		fn(c, n, args)
	}
}

// clusterDo runs a state-machine command under the node's lock and writes its error, if
// any; it reports success.
func clusterDo(c *Client, n *cluster.Node, f func(now int64, st *state.State) (state.Output, error)) bool {
	var err error
	n.Do(func(now int64, st *state.State) state.Output {
		var out state.Output
		out, err = f(now, st)
		return out
	})
	if err != nil {
		c.w.Error(err.Error())
		return false
	}
	return true
}

func strArgs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// subSyntaxError is addReplySubcommandSyntaxError.
func subSyntaxError(c *Client, args [][]byte) {
	c.w.Error(sanitize("ERR unknown subcommand or wrong number of arguments for '" + string(cutNUL(args[1])) + "'. Try CLUSTER HELP."))
}

// cutNUL cuts b at its first NUL, as Redis's "%s" formatting of an argument does.
func cutNUL(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func clusterInfo(c *Client, n *cluster.Node, _ [][]byte) {
	var s string
	n.View(func(_ int64, st *state.State) { s = st.Info() })
	c.w.Verbatim(s)
}

func clusterNodes(c *Client, n *cluster.Node, _ [][]byte) {
	var b []byte
	n.View(func(_ int64, st *state.State) { b = st.ClusterNodes() })
	c.w.Verbatim(string(b))
}

func clusterMyID(c *Client, n *cluster.Node, _ [][]byte) {
	var id string
	n.View(func(_ int64, st *state.State) { id = st.MyID() })
	c.w.BulkString(id)
}

// writeSlotNode is addNodeToNodeReply: endpoint, port, id, then a map of the networking
// data that is not the endpoint.
func writeSlotNode(w *resp.Writer, typ int, sn state.SlotNode) {
	w.Array(4)
	switch typ {
	case cluster.EndpointIP:
		w.BulkString(sn.IP)
	case cluster.EndpointHostname:
		if sn.Hostname != "" {
			w.BulkString(sn.Hostname)
		} else {
			w.BulkString("?")
		}
	default:
		w.Null()
	}
	w.Int(int64(sn.Port))
	w.BulkString(sn.ID)
	extra := 0
	if typ != cluster.EndpointIP {
		extra++
	}
	if typ != cluster.EndpointHostname && sn.Hostname != "" {
		extra++
	}
	w.Map(extra)
	if typ != cluster.EndpointIP {
		w.BulkString("ip")
		w.BulkString(sn.IP)
	}
	if typ != cluster.EndpointHostname && sn.Hostname != "" {
		w.BulkString("hostname")
		w.BulkString(sn.Hostname)
	}
}

func clusterSlots(c *Client, n *cluster.Node, _ [][]byte) {
	var slots []state.SlotRangeInfo
	n.View(func(_ int64, st *state.State) { slots = st.Slots() })
	writeSlots(&c.w, n.EndpointType(), slots)
}

// writeSlots is the CLUSTER SLOTS reply.
func writeSlots(w *resp.Writer, typ int, slots []state.SlotRangeInfo) {
	w.Array(len(slots))
	for _, r := range slots {
		w.Array(3 + len(r.Replicas))
		w.Int(int64(r.Start))
		w.Int(int64(r.End))
		writeSlotNode(w, typ, r.Master)
		for _, rep := range r.Replicas {
			writeSlotNode(w, typ, rep)
		}
	}
}

// preferredEndpoint is getPreferredEndpoint: the text CLUSTER SHARDS shows as endpoint.
func preferredEndpoint(typ int, ip, hostname string) string {
	switch typ {
	case cluster.EndpointIP:
		return ip
	case cluster.EndpointHostname:
		if hostname != "" {
			return hostname
		}
	}
	return "?"
}

func clusterShards(c *Client, n *cluster.Node, _ [][]byte) {
	var shards []state.Shard
	n.View(func(_ int64, st *state.State) { shards = st.Shards() })
	writeShards(&c.w, n.EndpointType(), shards)
}

// writeShards is the CLUSTER SHARDS reply.
func writeShards(w *resp.Writer, typ int, shards []state.Shard) {
	w.Array(len(shards))
	for _, sh := range shards {
		w.Map(2)
		w.BulkString("slots")
		w.Array(2 * len(sh.Slots))
		for _, r := range sh.Slots {
			w.Int(int64(r.Start))
			w.Int(int64(r.End))
		}
		w.BulkString("nodes")
		w.Array(len(sh.Nodes))
		for _, sn := range sh.Nodes {
			fields := 6
			if sn.Port != 0 {
				fields++
			}
			if sn.Hostname != "" {
				fields++
			}
			w.Map(fields)
			w.BulkString("id")
			w.BulkString(sn.ID)
			if sn.Port != 0 {
				w.BulkString("port")
				w.Int(int64(sn.Port))
			}
			w.BulkString("ip")
			w.BulkString(sn.IP)
			w.BulkString("endpoint")
			w.BulkString(preferredEndpoint(typ, sn.IP, sn.Hostname))
			if sn.Hostname != "" {
				w.BulkString("hostname")
				w.BulkString(sn.Hostname)
			}
			w.BulkString("role")
			w.BulkString(sn.Role)
			w.BulkString("replication-offset")
			w.Int(sn.ReplicationOffset)
			w.BulkString("health")
			w.BulkString(sn.Health)
		}
	}
}

func clusterMeet(c *Client, n *cluster.Node, args [][]byte) {
	if len(args) != 4 && len(args) != 5 {
		subSyntaxError(c, args)
		return
	}
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) {
		return st.Meet(now, strArgs(args[2:]))
	}) {
		c.w.OK()
	}
}

// clusterSlotsCmd wraps the state commands taking the arguments after the subcommand
// name (ADDSLOTS, DELSLOTS and their RANGE forms, SETSLOT).
func clusterSlotsCmd(f func(*state.State, int64, []string) (state.Output, error)) func(*Client, *cluster.Node, [][]byte) {
	return func(c *Client, n *cluster.Node, args [][]byte) {
		if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) {
			return f(st, now, strArgs(args[2:]))
		}) {
			c.w.OK()
		}
	}
}

func clusterFlushSlots(c *Client, n *cluster.Node, _ [][]byte) {
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) { return st.FlushSlots(now) }) {
		c.w.OK()
	}
}

func clusterKeySlot(c *Client, _ *cluster.Node, args [][]byte) {
	c.w.Int(int64(keyslot.Of(args[2])))
}

// slotArg parses a slot as COUNTKEYSINSLOT does: an integer, then the range.
func slotArg(c *Client, b []byte) (int64, bool) {
	v, ok := parseInt(b)
	if !ok {
		c.w.Error(errNotInt)
	}
	return v, ok
}

func clusterCountKeys(c *Client, _ *cluster.Node, args [][]byte) {
	slot, ok := slotArg(c, args[2])
	if !ok {
		return
	}
	if slot < 0 || slot >= keyslot.Slots {
		c.w.Error("ERR Invalid slot")
		return
	}
	c.w.Int(c.s.eng.CountKeysInSlot(uint16(slot)))
}

func clusterGetKeys(c *Client, _ *cluster.Node, args [][]byte) {
	slot, ok := slotArg(c, args[2])
	if !ok {
		return
	}
	count, ok := slotArg(c, args[3])
	if !ok {
		return
	}
	if count < 0 || slot < 0 || slot >= keyslot.Slots {
		c.w.Error("ERR Invalid slot or number of keys")
		return
	}
	// Never more than the slot holds: a huge count must not size anything.
	if have := c.s.eng.CountKeysInSlot(uint16(slot)); count > have {
		count = have
	}
	keys, err := c.s.eng.GetKeysInSlot(uint16(slot), int(count))
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

func clusterForget(c *Client, n *cluster.Node, args [][]byte) {
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) {
		return st.Forget(now, string(args[2]))
	}) {
		c.w.OK()
	}
}

func clusterReset(c *Client, n *cluster.Node, args [][]byte) {
	if len(args) > 3 {
		subSyntaxError(c, args)
		return
	}
	opt := ""
	if len(args) == 3 {
		opt = string(args[2])
	}
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) { return st.Reset(now, opt) }) {
		c.w.OK()
	}
}

func clusterSaveConfig(c *Client, n *cluster.Node, _ [][]byte) {
	if err := n.Save(); err != nil {
		c.w.Error("ERR error saving the cluster node config: " + errnoText(err))
		return
	}
	c.w.OK()
}

// errnoText is strerror's text for a file error ("Permission denied").
func errnoText(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func clusterBumpEpoch(c *Client, n *cluster.Node, _ [][]byte) {
	var reply string
	n.Do(func(now int64, st *state.State) state.Output {
		var out state.Output
		reply, out = st.BumpEpoch(now)
		return out
	})
	c.w.Simple(reply)
}

func clusterSetConfigEpoch(c *Client, n *cluster.Node, args [][]byte) {
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) {
		return st.SetConfigEpoch(now, string(args[2]))
	}) {
		c.w.OK()
	}
}

func clusterCountFailureReports(c *Client, n *cluster.Node, args [][]byte) {
	var count int
	var err error
	n.View(func(now int64, st *state.State) { count, err = st.CountFailureReports(now, string(args[2])) })
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.Int(int64(count))
}

func clusterReplicate(c *Client, n *cluster.Node, args [][]byte) {
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) {
		return st.Replicate(now, string(args[2]))
	}) {
		c.w.OK()
	}
}

func clusterReplicas(c *Client, n *cluster.Node, args [][]byte) {
	var lines []string
	var err error
	n.View(func(_ int64, st *state.State) { lines, err = st.Replicas(string(args[2])) })
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.BulkString(l)
	}
}

func clusterLinks(c *Client, n *cluster.Node, _ [][]byte) {
	links := n.Links()
	c.w.Array(len(links))
	for _, l := range links {
		c.w.Map(6)
		c.w.BulkString("direction")
		if l.Inbound {
			c.w.BulkString("from")
		} else {
			c.w.BulkString("to")
		}
		c.w.BulkString("node")
		c.w.BulkString(l.NodeID)
		c.w.BulkString("create-time")
		c.w.Int(l.CreateTime)
		c.w.BulkString("events")
		c.w.BulkString(l.Events)
		c.w.BulkString("send-buffer-allocated")
		c.w.Int(l.SendBufAllocated)
		c.w.BulkString("send-buffer-used")
		c.w.Int(l.SendBufUsed)
	}
}

func clusterFailover(c *Client, n *cluster.Node, args [][]byte) {
	if len(args) > 3 {
		subSyntaxError(c, args)
		return
	}
	opt := ""
	if len(args) == 3 {
		opt = string(args[2])
	}
	if clusterDo(c, n, func(now int64, st *state.State) (state.Output, error) { return st.Failover(now, opt) }) {
		c.w.OK()
	}
}

var clusterHelp = []string{
	"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ADDSLOTS <slot> [<slot> ...]",
	"    Assign slots to current node.",
	"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Assign slots which are between <start-slot> and <end-slot> to current node.",
	"BUMPEPOCH",
	"    Advance the cluster config epoch.",
	"COUNT-FAILURE-REPORTS <node-id>",
	"    Return number of failure reports for <node-id>.",
	"COUNTKEYSINSLOT <slot>",
	"    Return the number of keys in <slot>.",
	"DELSLOTS <slot> [<slot> ...]",
	"    Delete slots information from current node.",
	"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
	"FAILOVER [FORCE|TAKEOVER]",
	"    Promote current replica node to being a master.",
	"FORGET <node-id>",
	"    Remove a node from the cluster.",
	"GETKEYSINSLOT <slot> <count>",
	"    Return key names stored by current node in a slot.",
	"FLUSHSLOTS",
	"    Delete current node own slots information.",
	"INFO",
	"    Return information about the cluster.",
	"KEYSLOT <key>",
	"    Return the hash slot for <key>.",
	"MEET <ip> <port> [<bus-port>]",
	"    Connect nodes into a working cluster.",
	"MYID",
	"    Return the node id.",
	"NODES",
	"    Return cluster configuration seen by node. Output format:",
	"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
	"REPLICATE <node-id>",
	"    Configure current node as replica to <node-id>.",
	"RESET [HARD|SOFT]",
	"    Reset current node (default: soft).",
	"SET-CONFIG-EPOCH <epoch>",
	"    Set config epoch of current node.",
	"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
	"    Set slot state.",
	"REPLICAS <node-id>",
	"    Return <node-id> replicas.",
	"SAVECONFIG",
	"    Force saving cluster configuration on disk.",
	"SLOTS",
	"    Return information about slots range mappings. Each range is made of:",
	"    start, end, master and replicas IP addresses, ports and ids",
	"SHARDS",
	"    Return information about slot range mappings and the nodes associated with them.",
	"LINKS",
	"    Return information about all network links between this node and its peers.",
	"    Output format is an array where each array element is a map containing attributes of a link",
	"HELP",
	"    Prints this help.",
}
