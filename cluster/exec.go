package cluster

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/state"
)

// slog levels for Redis's debug / verbose / notice / warning (server.LogHandler prints
// them with Redis's level characters).
var logLevels = [...]slog.Level{
	state.Debug:   slog.LevelDebug,
	state.Verbose: slog.Level(-2),
	state.Notice:  slog.LevelInfo,
	state.Warning: slog.LevelWarn,
}

// execLocked carries out an Output; the caller holds n.mu. A change to nodes.conf is
// handed to the saver (persist.go), and every message queued from now on is written only
// once that save is done, so a vote or an epoch is durable before it is announced. It
// returns the save generation to wait for before replying (0: nothing to save).
func (n *Node) execLocked(out state.Output) uint64 {
	for _, id := range out.Closes {
		if c := n.conns[id]; c != nil {
			delete(n.conns, id)
			c.shutdown()
		}
	}
	var gen uint64
	if out.Save || out.Fsync {
		gen = n.markLocked(out.Fsync)
		if n.handoff != nil {
			n.handoff.wake() // the slot map may have changed: keys may have an owner now
		}
	}
	for _, cn := range out.Connects {
		n.dial(cn)
	}
	var last *bus.Message // a broadcast repeats one message: encode it once
	var enc []byte
	for _, s := range out.Sends {
		c := n.conns[s.Link]
		if c == nil {
			continue
		}
		if s.Msg != last {
			last, enc = s.Msg, bus.Encode(s.Msg)
		}
		c.enqueue(enc, n.sv.want)
	}
	for _, l := range out.Logs {
		if int(l.Level) < len(logLevels) {
			n.log.Log(context.Background(), logLevels[l.Level], l.Text)
		}
	}
	if n.opts.OnPublish != nil {
		for _, p := range out.Published {
			n.opts.OnPublish(p)
		}
	}
	n.runReplicationHook(&out) // replication.go
	for _, slot := range out.DeleteSlots {
		if e := n.opts.Engine.DeleteSlot(uint16(slot)); e != nil {
			n.log.Warn(fmt.Sprintf("Deleting the keys of slot %d: %v", slot, e))
		}
	}
	if out.FlushData {
		if e := n.opts.Engine.FlushAll(); e != nil {
			n.log.Warn("Flushing the data set: " + e.Error())
		}
	}
	// SetMaster / UnsetMaster and the write pause are the replication layer's seam; the
	// role, flags and slaveof already travel on the bus.
	return gen
}
