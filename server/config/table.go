package config

// The registry below is config.c's static_configs of Redis 7.0.15 (plus the
// parameters 7.0.x added after 7.0.0), in config.c order. Defaults are written
// as CONFIG GET shows them on a default instance; registry_test.go checks every
// name, alias, default and hidden flag against testdata/redis_defaults.txt,
// captured from the real redis-server by internal/gen.

const (
	intMax   = 1<<31 - 1
	intMin   = -1 << 31
	uintMax  = 1<<32 - 1
	longMax  = 1<<63 - 1
	ullMax   = -1 // ULLONG_MAX seen as long long; compared unsigned
	memMin1M = 1024 * 1024
)

func en(names ...string) []EnumValue {
	out := make([]EnumValue, len(names))
	for i, n := range names {
		out[i] = EnumValue{n, i}
	}
	return out
}

var (
	enumMaxmemoryPolicy = en("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")
	enumSyslogFacility = en("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
	enumLoglevel       = en("debug", "verbose", "notice", "warning")
	enumSupervised     = en("upstart", "systemd", "auto", "no")
	enumAppendfsync    = en("everysec", "always", "no")
	enumDisklessLoad   = en("disabled", "on-empty-db", "swapdb")
	enumTLSAuth        = en("no", "yes", "optional")
	// "yes" and "relative" share one value, so CONFIG GET shows "yes" for both.
	enumOOMScoreAdj       = []EnumValue{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}
	enumACLPubsub         = []EnumValue{{"allchannels", 1}, {"resetchannels", 0}}
	enumSanitize          = en("no", "yes", "clients")
	enumProtectedAction   = en("no", "yes", "local")
	enumEndpointType      = en("ip", "hostname", "unknown-endpoint")
	enumPropagationErrors = en("ignore", "panic", "panic-on-replicas")
	// Bit flags (MULTI_ARG enum): several names may be given together.
	enumShutdownOnSig = []EnumValue{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
)

func b(name, alias string, f Flag, def string) Param {
	return Param{Name: name, Alias: alias, Type: Bool, Flags: f, Default: def}
}

func s(name, alias string, f Flag, def string) Param {
	return Param{Name: name, Alias: alias, Type: String, Flags: f, Default: def}
}

func e(name, alias string, f Flag, vals []EnumValue, def string) Param {
	return Param{Name: name, Alias: alias, Type: Enum, Flags: f, Enum: vals, Default: def}
}

func n(name, alias string, t Type, f Flag, lo, hi int64, def string) Param {
	return Param{Name: name, Alias: alias, Type: t, Flags: f, Min: lo, Max: hi, Default: def}
}

func sp(name, alias string, f Flag, def string) Param {
	return Param{Name: name, Alias: alias, Type: Special, Flags: f, Default: def}
}

const (
	imm = Immutable
	mod = Flag(0)
	hid = Hidden
	us  = Unsigned
)

var registry = []Param{
	// Bool configs.
	b("rdbchecksum", "", imm, "yes"),
	b("daemonize", "", imm, "no"),
	b("io-threads-do-reads", "", imm, "no"),
	b("always-show-logo", "", imm, "no"),
	b("protected-mode", "", mod, "yes"),
	b("rdbcompression", "", mod, "yes"),
	b("rdb-del-sync-files", "", mod, "no"),
	b("activerehashing", "", mod, "yes"),
	b("stop-writes-on-bgsave-error", "", mod, "yes"),
	b("set-proc-title", "", imm, "yes"),
	b("dynamic-hz", "", mod, "yes"),
	b("lazyfree-lazy-eviction", "", mod, "no"),
	b("lazyfree-lazy-expire", "", mod, "no"),
	b("lazyfree-lazy-server-del", "", mod, "no"),
	b("lazyfree-lazy-user-del", "", mod, "no"),
	b("lazyfree-lazy-user-flush", "", mod, "no"),
	b("repl-disable-tcp-nodelay", "", mod, "no"),
	b("repl-diskless-sync", "", mod, "yes"),
	b("aof-rewrite-incremental-fsync", "", mod, "yes"),
	b("no-appendfsync-on-rewrite", "", mod, "no"),
	b("cluster-require-full-coverage", "", mod, "yes"),
	b("rdb-save-incremental-fsync", "", mod, "yes"),
	b("aof-load-truncated", "", mod, "yes"),
	b("aof-use-rdb-preamble", "", mod, "yes"),
	b("aof-timestamp-enabled", "", mod, "no"),
	b("cluster-replica-no-failover", "cluster-slave-no-failover", mod, "no"),
	b("replica-lazy-flush", "slave-lazy-flush", mod, "no"),
	b("replica-serve-stale-data", "slave-serve-stale-data", mod, "yes"),
	b("replica-read-only", "slave-read-only", mod, "yes"),
	b("replica-ignore-maxmemory", "slave-ignore-maxmemory", mod, "yes"),
	b("jemalloc-bg-thread", "", mod, "yes"),
	b("activedefrag", "", mod, "no"),
	b("syslog-enabled", "", imm, "no"),
	b("cluster-enabled", "", imm, "no"),
	b("appendonly", "", DenyLoading, "no"),
	b("cluster-allow-reads-when-down", "", mod, "no"),
	b("cluster-allow-pubsubshard-when-down", "", mod, "yes"),
	b("crash-log-enabled", "", mod, "yes"),
	b("crash-memcheck-enabled", "", mod, "yes"),
	b("use-exit-on-panic", "", hid, "no"),
	b("disable-thp", "", imm, "yes"),
	b("cluster-allow-replica-migration", "", mod, "yes"),
	b("replica-announced", "", mod, "yes"),
	b("latency-tracking", "", mod, "yes"),
	b("aof-disable-auto-gc", "", mod, "no"),
	b("replica-ignore-disk-write-errors", "", mod, "no"),

	// String configs.
	s("aclfile", "", imm, ""),
	s("unixsocket", "", imm|EmptyIsNull, ""),
	s("pidfile", "", imm|EmptyIsNull, ""),
	s("replica-announce-ip", "slave-announce-ip", EmptyIsNull, ""),
	s("masteruser", "", Sensitive|EmptyIsNull, ""),
	s("cluster-announce-ip", "", EmptyIsNull, ""),
	s("cluster-config-file", "", imm, "nodes.conf"),
	s("cluster-announce-hostname", "", EmptyIsNull, ""),
	s("syslog-ident", "", imm, "redis"),
	s("dbfilename", "", Protected, "dump.rdb"),
	s("appendfilename", "", imm, "appendonly.aof"),
	s("appenddirname", "", imm, "appendonlydir"),
	s("server_cpulist", "", imm|EmptyIsNull, ""),
	s("bio_cpulist", "", imm|EmptyIsNull, ""),
	s("aof_rewrite_cpulist", "", imm|EmptyIsNull, ""),
	s("bgsave_cpulist", "", imm|EmptyIsNull, ""),
	s("ignore-warnings", "", mod, ""),
	s("proc-title-template", "", mod, "{title} {listen-addr} {server-mode}"),
	s("bind-source-addr", "", EmptyIsNull, ""),
	s("logfile", "", imm, ""),
	// SDS configs.
	s("masterauth", "", Sensitive|EmptyIsNull, ""),
	s("requirepass", "", Sensitive|EmptyIsNull, ""),

	// Enum configs.
	e("supervised", "", imm, enumSupervised, "no"),
	e("syslog-facility", "", imm, enumSyslogFacility, "local0"),
	e("repl-diskless-load", "", DenyLoading, enumDisklessLoad, "disabled"),
	e("loglevel", "", mod, enumLoglevel, "notice"),
	e("maxmemory-policy", "", mod, enumMaxmemoryPolicy, "noeviction"),
	e("appendfsync", "", mod, enumAppendfsync, "everysec"),
	e("oom-score-adj", "", mod, enumOOMScoreAdj, "no"),
	e("acl-pubsub-default", "", mod, enumACLPubsub, "resetchannels"),
	e("sanitize-dump-payload", "", mod, enumSanitize, "no"),
	e("enable-protected-configs", "", imm, enumProtectedAction, "no"),
	e("enable-debug-command", "", imm, enumProtectedAction, "no"),
	e("enable-module-command", "", imm, enumProtectedAction, "no"),
	e("cluster-preferred-endpoint-type", "", mod, enumEndpointType, "ip"),
	e("propagation-error-behavior", "", mod, enumPropagationErrors, "ignore"),
	e("shutdown-on-sigint", "", MultiArg, enumShutdownOnSig, "default"),
	e("shutdown-on-sigterm", "", MultiArg, enumShutdownOnSig, "default"),

	// Integer configs.
	n("databases", "", Int, imm, 1, intMax, "16"),
	n("port", "", Int, mod, 0, 65535, "6379"),
	n("io-threads", "", Int, imm, 1, 128, "1"),
	n("auto-aof-rewrite-percentage", "", Int, mod, 0, intMax, "100"),
	n("cluster-replica-validity-factor", "cluster-slave-validity-factor", Int, mod, 0, intMax, "10"),
	n("list-max-listpack-size", "list-max-ziplist-size", Int, mod, intMin, intMax, "-2"),
	n("tcp-keepalive", "", Int, mod, 0, intMax, "300"),
	n("cluster-migration-barrier", "", Int, mod, 0, intMax, "1"),
	n("active-defrag-cycle-min", "", Int, mod, 1, 99, "1"),
	n("active-defrag-cycle-max", "", Int, mod, 1, 99, "25"),
	n("active-defrag-threshold-lower", "", Int, mod, 0, 1000, "10"),
	n("active-defrag-threshold-upper", "", Int, mod, 0, 1000, "100"),
	n("lfu-log-factor", "", Int, mod, 0, intMax, "10"),
	n("lfu-decay-time", "", Int, mod, 0, intMax, "1"),
	n("replica-priority", "slave-priority", Int, mod, 0, intMax, "100"),
	n("repl-diskless-sync-delay", "", Int, mod, 0, intMax, "5"),
	n("maxmemory-samples", "", Int, mod, 1, intMax, "5"),
	n("maxmemory-eviction-tenacity", "", Int, mod, 0, 100, "10"),
	n("timeout", "", Int, mod, 0, intMax, "0"),
	n("replica-announce-port", "slave-announce-port", Int, mod, 0, 65535, "0"),
	n("tcp-backlog", "", Int, imm, 0, intMax, "511"),
	n("cluster-port", "", Int, imm, 0, 65535, "0"),
	n("cluster-announce-bus-port", "", Int, mod, 0, 65535, "0"),
	n("cluster-announce-port", "", Int, mod, 0, 65535, "0"),
	n("cluster-announce-tls-port", "", Int, mod, 0, 65535, "0"),
	n("repl-timeout", "", Int, mod, 1, intMax, "60"),
	n("repl-ping-replica-period", "repl-ping-slave-period", Int, mod, 1, intMax, "10"),
	n("list-compress-depth", "", Int, mod, 0, intMax, "0"),
	n("rdb-key-save-delay", "", Int, hid, intMin, intMax, "0"),
	n("key-load-delay", "", Int, hid, intMin, intMax, "0"),
	n("active-expire-effort", "", Int, mod, 1, 10, "1"),
	n("hz", "", Int, mod, 0, intMax, "10"),
	n("min-replicas-to-write", "min-slaves-to-write", Int, mod, 0, intMax, "0"),
	n("min-replicas-max-lag", "min-slaves-max-lag", Int, mod, 0, intMax, "10"),
	n("watchdog-period", "", Int, hid, 0, intMax, "0"),
	n("shutdown-timeout", "", Int, mod, 0, intMax, "10"),
	n("repl-diskless-sync-max-replicas", "", Int, mod, 0, intMax, "0"),

	// Unsigned int configs.
	n("maxclients", "", Int, us, 1, uintMax, "10000"),
	n("unixsocketperm", "", Octal, imm|us, 0, 0o777, "0"),
	n("socket-mark-id", "", Int, imm|us, 0, uintMax, "0"),

	// Unsigned long configs.
	n("active-defrag-max-scan-fields", "", Int, mod, 1, longMax, "1000"),
	n("slowlog-max-len", "", Int, mod, 0, longMax, "128"),
	n("acllog-max-len", "", Int, mod, 0, longMax, "128"),

	// Long long configs.
	n("busy-reply-threshold", "lua-time-limit", Int, mod, 0, longMax, "5000"),
	n("cluster-node-timeout", "", Int, mod, 0, longMax, "15000"),
	n("slowlog-log-slower-than", "", Int, mod, -1, longMax, "10000"),
	n("latency-monitor-threshold", "", Int, mod, 0, longMax, "0"),
	n("proto-max-bulk-len", "", Memory, mod, memMin1M, longMax, "536870912"),
	n("stream-node-max-entries", "", Int, mod, 0, longMax, "100"),
	n("repl-backlog-size", "", Memory, mod, 1, longMax, "1048576"),

	// Unsigned long long configs.
	n("maxmemory", "", Memory, us, 0, ullMax, "0"),
	n("cluster-link-sendbuf-limit", "", Memory, us, 0, ullMax, "0"),

	// size_t configs.
	n("hash-max-listpack-entries", "hash-max-ziplist-entries", Int, us, 0, longMax, "512"),
	n("set-max-intset-entries", "", Int, us, 0, longMax, "512"),
	n("zset-max-listpack-entries", "zset-max-ziplist-entries", Int, us, 0, longMax, "128"),
	n("active-defrag-ignore-bytes", "", Memory, us, 1, longMax, "104857600"),
	n("hash-max-listpack-value", "hash-max-ziplist-value", Memory, us, 0, longMax, "64"),
	n("stream-node-max-bytes", "", Memory, us, 0, longMax, "4096"),
	n("zset-max-listpack-value", "zset-max-ziplist-value", Memory, us, 0, longMax, "64"),
	n("hll-sparse-max-bytes", "", Memory, us, 0, longMax, "3000"),
	n("tracking-table-max-keys", "", Int, us, 0, longMax, "1000000"),
	n("client-query-buffer-limit", "", Memory, us, memMin1M, longMax, "1073741824"),
	n("maxmemory-clients", "", Percent, mod, -100, longMax, "0"),

	// Other numeric configs.
	n("repl-backlog-ttl", "", Int, mod, 0, longMax, "3600"),
	n("auto-aof-rewrite-min-size", "", Memory, mod, 0, longMax, "67108864"),
	n("loading-process-events-interval-bytes", "", Int, hid, 1024, intMax, "2097152"),

	// TLS configs (redis-server on Debian is built with TLS).
	n("tls-port", "", Int, mod, 0, 65535, "0"),
	n("tls-session-cache-size", "", Int, mod, 0, intMax, "20480"),
	n("tls-session-cache-timeout", "", Int, mod, 0, intMax, "300"),
	b("tls-cluster", "", mod, "no"),
	b("tls-replication", "", mod, "no"),
	e("tls-auth-clients", "", mod, enumTLSAuth, "yes"),
	b("tls-prefer-server-ciphers", "", mod, "no"),
	b("tls-session-caching", "", mod, "yes"),
	s("tls-cert-file", "", EmptyIsNull, ""),
	s("tls-key-file", "", EmptyIsNull, ""),
	s("tls-key-file-pass", "", EmptyIsNull, ""),
	s("tls-client-cert-file", "", EmptyIsNull, ""),
	s("tls-client-key-file", "", EmptyIsNull, ""),
	s("tls-client-key-file-pass", "", EmptyIsNull, ""),
	s("tls-dh-params-file", "", EmptyIsNull, ""),
	s("tls-ca-cert-file", "", EmptyIsNull, ""),
	s("tls-ca-cert-dir", "", EmptyIsNull, ""),
	s("tls-protocols", "", EmptyIsNull, ""),
	s("tls-ciphers", "", EmptyIsNull, ""),
	s("tls-ciphersuites", "", EmptyIsNull, ""),

	// Special configs.
	sp("dir", "", Protected|DenyLoading, ""),
	sp("save", "", MultiArg, "3600 1 300 100 60 10000"),
	sp("client-output-buffer-limit", "", MultiArg, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
	sp("oom-score-adj-values", "", MultiArg, "0 200 800"),
	sp("notify-keyspace-events", "", mod, ""),
	sp("bind", "", MultiArg, "* -::*"),
	sp("replicaof", "slaveof", imm|MultiArg, ""),
	sp("latency-tracking-info-percentiles", "", MultiArg, "50 99 99.9"),
}

// applied lists what slotdb acts on besides the cluster-* and repl* parameters
// (cluster, replication and failover read those). The rest is accepted and logged
// once at startup as not applied.
var applied = map[string]bool{
	"port": true, "bind": true, "protected-mode": true, "requirepass": true, "dir": true,
	"databases": true, "maxclients": true, "timeout": true, "tcp-keepalive": true,
	"loglevel": true, "logfile": true, "pidfile": true, "daemonize": true, "appendonly": true,
	"appendfsync": true, "maxmemory": true, "proto-max-bulk-len": true,
	"client-query-buffer-limit": true, "save": true, "dbfilename": true,
	"appendfilename": true, "appenddirname": true, "aof-load-truncated": true,
	"masterauth": true, "masteruser": true, "min-replicas-to-write": true,
	"min-replicas-max-lag": true, "maxmemory-policy": true, "lfu-log-factor": true,
	"lfu-decay-time": true, "slowlog-log-slower-than": true, "slowlog-max-len": true,
	"busy-reply-threshold": true, "hll-sparse-max-bytes": true,
	// OBJECT ENCODING and DEBUG OBJECT answer from these, as Redis would encode.
	"hash-max-listpack-entries": true, "hash-max-listpack-value": true,
	"zset-max-listpack-entries": true, "zset-max-listpack-value": true,
	"set-max-intset-entries": true, "list-max-listpack-size": true, "list-compress-depth": true,
	"stream-node-max-bytes": true, "stream-node-max-entries": true,
}

func init() {
	for i := range registry {
		p := &registry[i]
		p.Applied = applied[p.Name] || hasPrefix(p.Name, "cluster-") || hasPrefix(p.Name, "repl")
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
