package main

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/config"
)

// ownAllSlotsFlag makes a node that creates a fresh nodes.conf assign itself every slot
// (CLUSTER ADDSLOTSRANGE 0 16383): the single-node cluster of `make run`. It is slotdb's
// own flag, removed from the command line before the Redis-style directives are parsed.
const ownAllSlotsFlag = "--cluster-own-all-slots"

// takeFlag removes flag from argv and reports whether it was there.
func takeFlag(argv []string, flag string) ([]string, bool) {
	out := argv[:0:0]
	found := false
	for _, a := range argv {
		if a == flag {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

// clusterConfig builds the state machine's settings from the cluster-* directives.
func clusterConfig(cfg *config.Config, port int) (c state.Config, busPort int) {
	busPort = int(cfg.Int("cluster-port"))
	if busPort == 0 {
		busPort = port + 10000
	}
	c = state.DefaultConfig(port)
	c.CPort = busPort
	if p := int(cfg.Int("cluster-announce-port")); p != 0 {
		c.Port = p
	}
	if p := int(cfg.Int("cluster-announce-bus-port")); p != 0 {
		c.CPort = p
	}
	c.NodeTimeout = cfg.Int("cluster-node-timeout")
	c.AnnounceIP = cfg.String("cluster-announce-ip")
	c.Hostname = cfg.String("cluster-announce-hostname")
	c.RequireFullCoverage = cfg.Bool("cluster-require-full-coverage")
	c.ReplicaValidityFactor = cfg.Int("cluster-replica-validity-factor")
	c.ReplPingReplicaPeriod = cfg.Int("repl-ping-replica-period")
	c.MigrationBarrier = int(cfg.Int("cluster-migration-barrier"))
	c.AllowReplicaMigration = cfg.Bool("cluster-allow-replica-migration")
	c.ReplicaNoFailover = cfg.Bool("cluster-replica-no-failover")
	return c, busPort
}

// startCluster loads or creates nodes.conf, opens the bus and wires CONFIG SET of the
// cluster-* parameters Redis lets change at run time.
func startCluster(cfg *config.Config, ap config.Applied, eng *engine.Engine, log *slog.Logger, ownAll bool, onPublish func(state.Publish)) (*cluster.Node, error) {
	sc, busPort := clusterConfig(cfg, ap.Port)
	if ap.Port > 55535 && cfg.Int("cluster-port") == 0 {
		return nil, fmt.Errorf("Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.")
	}
	node, err := cluster.Open(cluster.Options{
		Config:           sc,
		ConfigFile:       ap.ClusterConfigFile,
		Bind:             ap.Bind,
		BusPort:          busPort,
		Engine:           eng,
		Logger:           log,
		ReadsWhenDown:    cfg.Bool("cluster-allow-reads-when-down"),
		LinkSendBufLimit: sendBufLimit(cfg.Memory("cluster-link-sendbuf-limit")),
		EndpointType:     cfg.String("cluster-preferred-endpoint-type"),
		OnPublish:        onPublish, // bus PUBLISH / SPUBLISH to local subscribers
	})
	if err != nil {
		return nil, err
	}
	if ownAll && node.Fresh() {
		var cerr error
		node.Do(func(now int64, st *state.State) state.Output {
			out, err := st.AddSlotsRange(now, []string{"0", "16383"})
			cerr = err
			return out
		})
		if cerr != nil {
			return nil, cerr
		}
		log.Info("Assigned all 16384 slots to myself (" + ownAllSlotsFlag + ")")
	}
	if err := node.Start(); err != nil {
		node.Close()
		return nil, err
	}
	wireCluster(cfg, node, ap.Port, busPort)
	return node, nil
}

// wireCluster connects CONFIG SET of the modifiable cluster-* parameters. Hooks run
// under the config lock: they use the value given and never read the config back.
func wireCluster(cfg *config.Config, node *cluster.Node, realPort, realCPort int) {
	num := func(set func(c *state.Config, v int64)) func(string) error {
		return func(s string) error {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return err
			}
			node.SetConfig(func(c *state.Config) { set(c, v) })
			return nil
		}
	}
	flag := func(set func(c *state.Config, v bool)) func(string) error {
		return func(s string) error {
			node.SetConfig(func(c *state.Config) { set(c, s == "yes") })
			return nil
		}
	}
	str := func(set func(c *state.Config, v string)) func(string) error {
		return func(s string) error {
			node.SetConfig(func(c *state.Config) { set(c, s) })
			return nil
		}
	}
	// Announced ports fall back to the real ones when set to 0.
	cfg.OnChange("cluster-node-timeout", num(func(c *state.Config, v int64) { c.NodeTimeout = v }))
	cfg.OnChange("cluster-announce-port", num(func(c *state.Config, v int64) {
		c.Port = realPort
		if v != 0 {
			c.Port = int(v)
		}
	}))
	cfg.OnChange("cluster-announce-bus-port", num(func(c *state.Config, v int64) {
		c.CPort = realCPort
		if v != 0 {
			c.CPort = int(v)
		}
	}))
	cfg.OnChange("cluster-announce-ip", str(func(c *state.Config, v string) { c.AnnounceIP = v }))
	cfg.OnChange("cluster-announce-hostname", str(func(c *state.Config, v string) { c.Hostname = v }))
	cfg.OnChange("cluster-require-full-coverage", flag(func(c *state.Config, v bool) { c.RequireFullCoverage = v }))
	cfg.OnChange("cluster-replica-validity-factor", num(func(c *state.Config, v int64) { c.ReplicaValidityFactor = v }))
	cfg.OnChange("repl-ping-replica-period", num(func(c *state.Config, v int64) { c.ReplPingReplicaPeriod = v }))
	cfg.OnChange("cluster-migration-barrier", num(func(c *state.Config, v int64) { c.MigrationBarrier = int(v) }))
	cfg.OnChange("cluster-allow-replica-migration", flag(func(c *state.Config, v bool) { c.AllowReplicaMigration = v }))
	cfg.OnChange("cluster-replica-no-failover", flag(func(c *state.Config, v bool) { c.ReplicaNoFailover = v }))
	cfg.OnChange("cluster-allow-reads-when-down", func(s string) error { node.SetReadsWhenDown(s == "yes"); return nil })
	cfg.OnChange("cluster-preferred-endpoint-type", func(s string) error { node.SetEndpointType(s); return nil })
	cfg.OnChange("cluster-link-sendbuf-limit", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		node.SetLinkSendBufLimit(sendBufLimit(v))
		return nil
	})
}

// sendBufLimit clamps cluster-link-sendbuf-limit (unsigned, as Redis stores it) to int64.
func sendBufLimit(v uint64) int64 { return int64(min(v, 1<<63-1)) }
