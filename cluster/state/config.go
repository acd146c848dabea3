package state

// Config holds the cluster-* settings the state machine reads. Zero values are not
// Redis's defaults: start from DefaultConfig.
type Config struct {
	NodeTimeout int64 // cluster-node-timeout, ms

	// Announced addresses of myself (cluster-announce-*). Port is the client port, CPort
	// the bus port, PPort the plaintext port of a TLS cluster (0 otherwise).
	Port, CPort, PPort int
	AnnounceIP         string // cluster-announce-ip; "" means learn it from MEET
	Hostname           string // cluster-announce-hostname; "" sends no extension

	RequireFullCoverage   bool  // cluster-require-full-coverage
	ReplicaValidityFactor int64 // cluster-replica-validity-factor
	ReplPingReplicaPeriod int64 // repl-ping-replica-period, seconds
	MigrationBarrier      int   // cluster-migration-barrier
	AllowReplicaMigration bool  // cluster-allow-replica-migration
	ReplicaNoFailover     bool  // cluster-replica-no-failover
}

// DefaultConfig returns Redis 7.0's defaults for a node listening on port (bus port
// port+10000).
func DefaultConfig(port int) Config {
	return Config{
		NodeTimeout:           15000,
		Port:                  port,
		CPort:                 port + 10000,
		RequireFullCoverage:   true,
		ReplicaValidityFactor: 10,
		ReplPingReplicaPeriod: 10,
		MigrationBarrier:      1,
		AllowReplicaMigration: true,
	}
}

// Hooks are the facts the state machine needs from the rest of the server. Nil functions
// read as zero.
type Hooks struct {
	// ReplOffset is master_repl_offset on a master, the processed offset from its master
	// on a replica (replicationGetSlaveOffset).
	ReplOffset func() int64
	// DataAge is how long, in ms, a replica has been without news from its master: since
	// the last interaction if the link is up, else since it went down.
	DataAge func(now int64) int64
	// WritesPaused reports, on a master that paused writes for a manual failover
	// (Output.PauseWritesUntil), whether the pause is in effect and no write is still in
	// flight: only then is the offset it announces with the PAUSED flag final. Nil reads
	// as true (the pause takes effect at once, as in single-threaded Redis).
	WritesPaused func() bool
	// PauseWrites starts that pause at once (a master receiving MFSTART), so that the
	// PING answering MFSTART can already carry the final offset; the Output's
	// PauseWritesUntil repeats it. Nil does nothing.
	PauseWrites func(until int64)
	// KeysInSlot counts the local keys in a slot (countKeysInSlot).
	KeysInSlot func(slot int) int
	// DBSize is the number of keys in the database (for FLUSHSLOTS, REPLICATE, RESET).
	DBSize func() int
}

func (h *Hooks) replOffset() int64 {
	if h.ReplOffset == nil {
		return 0
	}
	return h.ReplOffset()
}

func (h *Hooks) dataAge(now int64) int64 {
	if h.DataAge == nil {
		return 0
	}
	return h.DataAge(now)
}

func (h *Hooks) pauseWrites(until int64) {
	if h.PauseWrites != nil {
		h.PauseWrites(until)
	}
}

func (h *Hooks) writesPaused() bool {
	if h.WritesPaused == nil {
		return true
	}
	return h.WritesPaused()
}

func (h *Hooks) keysInSlot(slot int) int {
	if h.KeysInSlot == nil {
		return 0
	}
	return h.KeysInSlot(slot)
}

func (h *Hooks) dbSize() int {
	if h.DBSize == nil {
		return 0
	}
	return h.DBSize()
}

// Fixed timings of cluster.c / cluster.h.
const (
	failReportValidityMult = 2     // CLUSTER_FAIL_REPORT_VALIDITY_MULT
	failUndoTimeMult       = 2     // CLUSTER_FAIL_UNDO_TIME_MULT
	mfTimeout              = 5000  // CLUSTER_MF_TIMEOUT
	mfPauseMult            = 2     // CLUSTER_MF_PAUSE_MULT
	replicaMigrationDelay  = 5000  // CLUSTER_SLAVE_MIGRATION_DELAY
	writableDelay          = 2000  // CLUSTER_WRITABLE_DELAY
	maxRejoinDelay         = 5000  // CLUSTER_MAX_REJOIN_DELAY
	minRejoinDelay         = 500   // CLUSTER_MIN_REJOIN_DELAY
	blacklistTTL           = 60000 // CLUSTER_BLACKLIST_TTL, in ms here
)
