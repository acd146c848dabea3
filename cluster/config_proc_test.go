package cluster_test

import (
	"testing"
)

// clusterDirectives are issue 5's cluster-* configuration directives.
var clusterDirectives = []string{
	"cluster-enabled", "cluster-config-file", "cluster-node-timeout", "cluster-port",
	"cluster-announce-ip", "cluster-announce-port", "cluster-announce-bus-port",
	"cluster-announce-hostname", "cluster-require-full-coverage", "cluster-allow-reads-when-down",
	"cluster-replica-validity-factor", "cluster-migration-barrier", "cluster-allow-replica-migration",
	"cluster-replica-no-failover", "cluster-preferred-endpoint-type",
	"cluster-slave-validity-factor", "cluster-slave-no-failover", "cluster-allow-pubsubshard-when-down",
	"cluster-link-sendbuf-limit",
}

// TestClusterConfigLikeRedis: CONFIG GET of every cluster directive and CONFIG SET of each
// (valid values, invalid ones, immutable ones, aliases) answer as a real redis-server 7.0
// started with the same arguments does, and leave the same values behind.
func TestClusterConfigLikeRedis(t *testing.T) {
	args := []string{"--cluster-announce-hostname", "node-a.example", "--cluster-migration-barrier", "2",
		"--cluster-preferred-endpoint-type", "hostname"}
	sd, rd := startSlotdb(t, args...), startRedis(t, args...)
	both := func(cmd ...string) {
		t.Helper()
		if got, want := do(t, sd, cmd...), do(t, rd, cmd...); got != want {
			t.Errorf("%q:\n slotdb %s\n redis  %s", cmd, got, want)
		}
	}
	check := func() {
		t.Helper()
		for _, d := range clusterDirectives {
			both("CONFIG", "GET", d)
		}
	}
	check()
	for _, set := range [][]string{
		{"cluster-node-timeout", "3000"}, {"cluster-node-timeout", "-1"}, {"cluster-node-timeout", "abc"},
		{"cluster-enabled", "no"}, {"cluster-config-file", "other.conf"}, {"cluster-port", "1234"},
		{"cluster-announce-ip", "10.1.2.3"}, {"cluster-announce-ip", ""},
		{"cluster-announce-port", "7001"}, {"cluster-announce-port", "70000"},
		{"cluster-announce-bus-port", "17001"}, {"cluster-announce-bus-port", "0"},
		{"cluster-announce-hostname", "other.example"}, {"cluster-announce-hostname", "bad host"},
		{"cluster-announce-hostname", ""},
		{"cluster-require-full-coverage", "no"}, {"cluster-require-full-coverage", "maybe"},
		{"cluster-allow-reads-when-down", "yes"}, {"cluster-allow-pubsubshard-when-down", "no"},
		{"cluster-replica-validity-factor", "0"}, {"cluster-slave-validity-factor", "5"},
		{"cluster-migration-barrier", "0"}, {"cluster-allow-replica-migration", "no"},
		{"cluster-replica-no-failover", "yes"}, {"cluster-slave-no-failover", "no"},
		{"cluster-preferred-endpoint-type", "unknown-endpoint"}, {"cluster-preferred-endpoint-type", "ip"},
		{"cluster-preferred-endpoint-type", "dns"}, {"cluster-link-sendbuf-limit", "1mb"},
	} {
		both("CONFIG", "SET", set[0], set[1])
		both("CONFIG", "GET", set[0])
	}
	check()
}
