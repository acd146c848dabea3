package server

import (
	"sort"

	"github.com/slotdb/slotdb/cluster/state"
)

// The pub/sub commands of Redis 7.0 (pubsub.c); the registry and delivery are in pubsub.go.

func init() {
	register("subscribe", func(c *Client, a [][]byte) { cmdSubscribe(c, a, subChannel) })
	register("psubscribe", func(c *Client, a [][]byte) { cmdSubscribe(c, a, subPattern) })
	register("ssubscribe", func(c *Client, a [][]byte) { cmdSubscribe(c, a, subShard) })
	register("unsubscribe", func(c *Client, a [][]byte) { cmdUnsubscribe(c, a, subChannel) })
	register("punsubscribe", func(c *Client, a [][]byte) { cmdUnsubscribe(c, a, subPattern) })
	register("sunsubscribe", func(c *Client, a [][]byte) { cmdUnsubscribe(c, a, subShard) })
	register("publish", func(c *Client, a [][]byte) { cmdPublish(c, a, false) })
	register("spublish", func(c *Client, a [][]byte) { cmdPublish(c, a, true) })
	register("pubsub|channels", func(c *Client, a [][]byte) { cmdPubsubChannels(c, a, subChannel) })
	register("pubsub|shardchannels", func(c *Client, a [][]byte) { cmdPubsubChannels(c, a, subShard) })
	register("pubsub|numsub", func(c *Client, a [][]byte) { cmdPubsubNumsub(c, a, subChannel) })
	register("pubsub|shardnumsub", func(c *Client, a [][]byte) { cmdPubsubNumsub(c, a, subShard) })
	register("pubsub|numpat", cmdPubsubNumpat)
	register("pubsub|help", func(c *Client, a [][]byte) { writeHelp(c, pubsubHelp) })
}

var pubsubHelp = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

// allowedInPubsub is processCommand's subscribed-context check: a RESP2 client with
// subscriptions may only (un)subscribe, PING, QUIT and RESET. It writes the error.
func (c *Client) allowedInPubsub(cmd *command) bool {
	if c.w.Proto != 2 || c.subscriptions() == 0 {
		return true
	}
	switch cmd.meta.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe",
		"punsubscribe", "quit", "reset":
		return true
	}
	c.w.Error("ERR Can't execute '" + cmd.meta.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
	return false
}

// pubsubPing is PING's reply in the RESP2 subscribed context; false outside it.
func (c *Client) pubsubPing(args [][]byte) bool {
	if c.w.Proto != 2 || c.subscriptions() == 0 {
		return false
	}
	c.w.Array(2)
	c.w.BulkString("pong")
	if len(args) > 1 {
		c.w.Bulk(args[1])
	} else {
		c.w.BulkString("")
	}
	return true
}

func cmdSubscribe(c *Client, args [][]byte, kind int) {
	// A client that expects one reply per command (a script) cannot subscribe; MULTI may,
	// for compatibility, except to shard channels.
	if c.inAtomic() && (kind == subShard || !c.tx.active) {
		c.w.Error("ERR " + [3]string{"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"}[kind] + " isn't allowed for a DENY BLOCKING client")
		return
	}
	if kind == subShard {
		c.s.watchShardSlots() // unsubscribe when the slot moves away: pubsub_slots.go
	}
	for _, name := range args[1:] {
		c.s.subscribe(c, kind, name)
		c.subscribeReply(kind, 0, name)
	}
}

// subscribeReply writes one confirmation: op 0 subscribe, 1 unsubscribe; name nil is a null.
func (c *Client) subscribeReply(kind, op int, name []byte) {
	c.w.Push(3)
	c.w.BulkString(subNames[kind][op])
	if name == nil {
		c.w.Null()
	} else {
		c.w.Bulk(name)
	}
	c.w.Int(int64(c.subCount(kind)))
}

// subCount is subscriptions.count under ps.mu: the slot watcher may change them
// (pubsub_slots.go).
func (c *Client) subCount(kind int) int {
	if c.subs == nil {
		return 0
	}
	c.s.ps.mu.Lock()
	defer c.s.ps.mu.Unlock()
	return c.subs.count(kind)
}

func cmdUnsubscribe(c *Client, args [][]byte, kind int) {
	if len(args) > 1 {
		for _, name := range args[1:] {
			c.s.unsubscribe(c, kind, string(name))
			c.subscribeReply(kind, 1, name)
		}
		return
	}
	var names []string
	if c.subs != nil {
		c.s.ps.mu.Lock()
		names = append(names, c.subs.names[kind]...)
		c.s.ps.mu.Unlock()
	}
	if len(names) == 0 {
		c.subscribeReply(kind, 1, nil)
		return
	}
	for _, n := range names {
		c.s.unsubscribe(c, kind, n)
		c.subscribeReply(kind, 1, []byte(n))
	}
}

// cmdPublish delivers locally and, in cluster mode, sends the message over the bus: to every
// node (PUBLISH) or to the nodes of this shard (SPUBLISH). The reply counts local receivers.
func cmdPublish(c *Client, args [][]byte, shard bool) {
	n := c.s.publish(args[1], args[2], shard)
	if node := c.s.cluster; node != nil {
		ch, msg := args[1], args[2]
		node.Do(func(now int64, st *state.State) state.Output { return st.Publish(now, ch, msg, shard) })
	}
	c.w.Int(int64(n))
}

func cmdPubsubChannels(c *Client, args [][]byte, kind int) {
	if len(args) > 3 {
		subcommandSyntaxError(c, args)
		return
	}
	var pat []byte
	if len(args) == 3 {
		pat = args[2]
	}
	ps := &c.s.ps
	ps.mu.Lock()
	var out []string
	for name := range ps.subs[kind] {
		if pat == nil || stringMatch(pat, []byte(name), false) {
			out = append(out, name)
		}
	}
	ps.mu.Unlock()
	sort.Strings(out) // Redis answers in dict order; any order is as good
	c.w.Array(len(out))
	for _, n := range out {
		c.w.BulkString(n)
	}
}

func cmdPubsubNumsub(c *Client, args [][]byte, kind int) {
	ps := &c.s.ps
	ps.mu.Lock()
	counts := make([]int, len(args)-2)
	for i, name := range args[2:] {
		counts[i] = len(ps.subs[kind][string(name)])
	}
	ps.mu.Unlock()
	c.w.Array(2 * len(counts))
	for i, name := range args[2:] {
		c.w.Bulk(name)
		c.w.Int(int64(counts[i]))
	}
}

func cmdPubsubNumpat(c *Client, args [][]byte) {
	_, pats, _ := c.s.pubsubCounts()
	c.w.Int(int64(pats))
}
