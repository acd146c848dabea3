package server

import (
	"bytes"
	"strconv"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// Cluster redirection errors, as clusterRedirectClient words them.
const (
	errCrossSlot   = "CROSSSLOT Keys in request don't hash to the same slot"
	errTryAgain    = "TRYAGAIN Multiple keys request during rehashing of slot"
	errDownState   = "CLUSTERDOWN The cluster is down"
	errDownRO      = "CLUSTERDOWN The cluster is down and only accepts read commands"
	errDownUnbound = "CLUSTERDOWN Hash slot not served"
	errNoCluster   = "ERR This instance has cluster support disabled"
)

// SetCluster attaches the cluster node: keyed commands are routed by its slot map and
// the CLUSTER commands act on it. Call before Serve.
func (s *Server) SetCluster(n *cluster.Node) {
	s.cluster = n
	s.wireClusterReplication(n) // CLUSTER REPLICATE, failover, election inputs: repl_cluster.go
	s.initSlotMigration(n)      // CLUSTER MIGRATESLOTS & co: cmd_migrateslots.go
}

// routeCommand is Redis 7.0's getNodeByQuery + clusterRedirectClient for one command: it
// returns true when this node serves the command, else writes the redirection or error.
func (s *Server) routeCommand(c *Client, cmd *command, args [][]byte) bool {
	n := s.cluster
	// Shard channels are NOT_KEY key specs, which Keys leaves out; getNodeByQuery routes
	// by them all the same.
	shard := isShardPubsub(cmd.meta.Name)
	if n == nil || !shard && !cmd.meta.HasKeys() {
		return true
	}
	var keys []int
	if shard {
		keys = shardChannelArgs(cmd.meta.Name, len(args))
	} else {
		keys, _ = cmd.meta.Keys(args)
	}
	if len(keys) == 0 {
		return true // no key at all: served here whatever the slot map says
	}
	first := args[keys[0]]
	slot := int(keyslot.Of(first))
	route, ok := n.Route(slot)
	if !route.Served {
		c.w.Error(errDownUnbound)
		return false
	}
	migrating := route.Migrating
	importing := !migrating && route.Importing
	// Sharded pub/sub names channels, not keys: their presence is not checked, and
	// cluster-allow-pubsubshard-when-down (default yes) applies instead of reads-when-down.
	multiple, missing, existing := false, 0, 0
	for i, pos := range keys {
		k := args[pos]
		if i > 0 && !bytes.Equal(k, first) {
			if int(keyslot.Of(k)) != slot {
				c.w.Error(errCrossSlot)
				return false
			}
			multiple = true
		}
		if (migrating || importing) && !shard {
			if m, err := s.eng.Lookup(0, k); err == nil && m == nil {
				missing++
			} else {
				existing++
			}
		}
	}
	write := cmd.meta.HasFlag("write")
	if !ok {
		switch {
		case shard:
		case !n.ReadsWhenDown():
			c.w.Error(errDownState)
			return false
		case write:
			c.w.Error(errDownRO)
			return false
		}
	}
	if (migrating || importing) && cmd.meta.Name == "migrate" {
		return true // MIGRATE moves keys of an open slot freely
	}
	if migrating && missing > 0 {
		if existing > 0 {
			c.w.Error(errTryAgain)
			return false
		}
		c.w.Error("ASK " + strconv.Itoa(slot) + " " + n.Addr(route.MigratingTo))
		return false
	}
	if importing && (c.askingNow || cmd.meta.HasFlag("asking")) {
		if multiple && missing > 0 {
			c.w.Error(errTryAgain)
			return false
		}
		return true
	}
	if (c.readonly || shard) && !write && route.OwnerIsMaster {
		return true
	}
	if !route.Mine {
		c.w.Error("MOVED " + strconv.Itoa(slot) + " " + n.Addr(route.Owner))
		return false
	}
	return true
}

// shardChannelArgs are the argv indexes of a shard pub/sub command's channels.
func shardChannelArgs(name string, argc int) []int {
	last := argc - 1
	if name == "spublish" {
		last = min(1, last)
	}
	var pos []int
	for i := 1; i <= last; i++ {
		pos = append(pos, i)
	}
	return pos
}

func isShardPubsub(name string) bool {
	return name == "spublish" || name == "ssubscribe" || name == "sunsubscribe"
}
