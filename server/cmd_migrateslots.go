package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/server/cmdmeta"
)

// Native atomic slot migration, named as Valkey 9.0's: CLUSTER MIGRATESLOTS on the source
// starts a job per target; CLUSTER GETSLOTMIGRATIONS lists the jobs of both sides;
// CLUSTER CANCELSLOTMIGRATIONS cancels the source's active ones. CLUSTER SYNCSLOTS is the
// internal command the source opens the link with. The record stream and the frames are in
// cluster/migrate_stream.go and cluster/migrateslots.go; the hand-over of the slot map in
// cluster/state/handover.go.
//
// Redis 7.0 has none of these subcommands, so they are not in cmdmeta: SetCluster adds
// them to the CLUSTER container (COMMAND and COMMAND DOCS do not list them).
//
// Source:  snapshot the ranges (with the propagation stream's offset, the world held
//          exclusively so the two match) → stream the records → forward the writes to the
//          moving slots made since, from the propagation stream → when the lag is small,
//          pause those slots (their commands wait; others run), drain, forward the rest, send
//          End → on Owned: bind the slots to the target, resume (the waiting commands get
//          MOVED), drop the ranges.
// Target:  stage the records invisibly (engine.SlotImport) → keep the forwarded writes →
//          on End: promote, apply them, sync the WAL, take the slots with a new configEpoch
//          (broadcast), answer Owned.
//
// The slots have one owner at every moment: the source until the target's TakeSlots, which
// happens only after everything acknowledged on the source reached the target. If the link
// breaks after End, the source keeps the slots paused until it learns the outcome (the
// target's answer to SYNCSLOTS STATUS, which also forbids a late take-over, or the target's
// claim arriving by gossip).

const (
	migStateConnecting   = "connecting"
	migStateSnapshot     = "snapshotting"
	migStateStreaming    = "streaming"
	migStatePaused       = "paused"
	migStateReceiving    = "receiving-snapshot"
	migStateTakingOver   = "taking-ownership"
	migStateSuccess      = "success"
	migStateFailed       = "failed"
	migStateCancelled    = "cancelled"
	migLogMax            = 20                     // finished jobs kept for GETSLOTMIGRATIONS
	migPauseWait         = 2 * time.Second        // a command waits this long for a paused slot, then TRYAGAIN
	migLinkTimeout       = 30 * time.Second       // silence on the link that fails the migration
	migLagToPause        = 64 << 10               // stream bytes behind at which the source pauses
	migMaxForwardBuffer  = 512 << 20              // forwarded bytes the target keeps before End
	migCatchUpLimit      = 60 * time.Second       // time to reach migLagToPause before pausing anyway
	migImportMarker      = "slotimport"           // engine marker: ranges promoted but maybe not owned
	migImportDir         = "slotimport"           // under the store's directory
	migHeartbeat         = time.Second            // idle source sends a heartbeat frame this often
	migForwardFrameBytes = 256 << 10              // forwarded commands per frame
	migOwnedWait         = 30 * time.Second       // wait for Owned after End before asking
	migResolvePoll       = 200 * time.Millisecond // poll while the outcome is unknown
)

// migJob is one migration as one node sees it.
type migJob struct {
	name, op         string // op: EXPORT or IMPORT
	ranges           []engine.SlotRange
	source, target   string
	created          time.Time
	mu               sync.Mutex
	updated, lastAck time.Time
	state, message   string
	abandoned        bool   // target: the source asked STATUS before Owned; never take over
	cancelWhy        string // the message of a cancelled job
	records, bytes   atomic.Int64
	forwarded        atomic.Int64 // commands forwarded (source) or applied (target)
	pauseMs          atomic.Int64
	cancel           chan struct{}
	cancelOnce       sync.Once
	ended            chan struct{}
}

func (j *migJob) set(st, msg string) {
	j.mu.Lock()
	j.state, j.message, j.updated = st, msg, time.Now()
	j.mu.Unlock()
}

func (j *migJob) ack() {
	j.mu.Lock()
	j.lastAck = time.Now()
	j.mu.Unlock()
}

func (j *migJob) status() (string, string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.message
}

func (j *migJob) active() bool {
	st, _ := j.status()
	return st != migStateSuccess && st != migStateFailed && st != migStateCancelled
}

// cancelLocked cancels the job (the caller holds j.mu); the first reason given stays.
func (j *migJob) cancelLocked(why string) {
	if j.cancelWhy == "" {
		j.cancelWhy = why
	}
	j.cancelOnce.Do(func() { close(j.cancel) })
}

func (j *migJob) cancelled() bool {
	select {
	case <-j.cancel:
		return true
	default:
		return false
	}
}

// migrations is the per-server table of jobs and the slot gate.
type migrations struct {
	s    *Server
	n    *cluster.Node
	mu   sync.Mutex
	jobs []*migJob
	// watch marks slots that are or were migrating: keyed commands on them are routed again
	// inside the world lock (a command routed before the hand-over must not run after it).
	watch  [16384]atomic.Bool
	paused [16384]atomic.Bool
	any    atomic.Bool
	resume chan struct{} // closed when a pause ends (under mu)
	ran    atomic.Bool   // a migration ran since start: INFO shows the fields
}

// migTables maps a Server to its table (a Server has no field for it; read on every
// command in cluster mode, so lock-free).
var migTables sync.Map

func (s *Server) migrations() *migrations {
	if m, ok := migTables.Load(s); ok {
		return m.(*migrations)
	}
	return nil
}

// initSlotMigration adds the subcommands and cleans what an interrupted import left: staged
// records, and records promoted for slots this node did not take.
func (s *Server) initSlotMigration(n *cluster.Node) {
	m := &migrations{s: s, n: n, resume: make(chan struct{})}
	migTables.Store(s, m)
	if c := s.commands["cluster"]; c != nil && c.subs != nil {
		parent := c.meta
		add := func(sub string, arity int, fn func(*Client, *cluster.Node, [][]byte)) {
			meta := &cmdmeta.Command{Name: "cluster|" + sub, SubName: sub, Arity: arity,
				Flags: []string{"admin", "stale", "noscript"}, Admin: true, Stale: true, NoScript: true,
				ACLCategories: []string{"@admin", "@slow", "@dangerous"}, Parent: parent, Group: "cluster"}
			c.subs[sub] = &command{meta: meta, fn: clusterOnly(fn)}
		}
		add("migrateslots", -6, clusterMigrateSlots)
		add("getslotmigrations", 2, clusterGetSlotMigrations)
		add("cancelslotmigrations", 2, clusterCancelSlotMigrations)
		add("syncslots", -3, clusterSyncSlots)
	}
	s.SetInfoSection("cluster", m.info)
	go m.redirectBlockedLoop() // migrateslots_blocked.go
	if s.eng == nil {
		return
	}
	os.RemoveAll(s.eng.StoreDir(migImportDir))
	if err := s.eng.ClearStaging(); err != nil {
		s.log.Warn("Slot migration: clearing staged records: " + err.Error())
	}
	v, ok, err := s.eng.Marker(migImportMarker)
	if err != nil || !ok {
		return
	}
	ranges, err := cluster.ParseRanges(string(v))
	if err == nil {
		if drop := m.notMine(ranges); len(drop) > 0 {
			s.log.Warn("Slot migration: dropping the records of slots " + cluster.FormatRanges(drop) + " an interrupted import left")
			err = s.eng.DropSlots(drop)
			forgetReplHistory(s.repl.stream) // replicas of a previous run must not continue
		}
	}
	if err == nil {
		err = s.eng.SetMarker(migImportMarker, nil)
	}
	if err != nil {
		s.log.Warn("Slot migration: cleaning an interrupted import: " + err.Error())
	}
}

// notMine returns the parts of ranges this node does not own.
func (m *migrations) notMine(ranges []engine.SlotRange) []engine.SlotRange {
	var out []engine.SlotRange
	m.n.View(func(_ int64, st *state.State) {
		me := st.MyID()
		for _, r := range ranges {
			for j := int(r.Start); j <= int(r.End); j++ {
				if st.SlotOwner(j) == me {
					continue
				}
				if k := len(out) - 1; k >= 0 && int(out[k].End) == j-1 {
					out[k].End = uint16(j)
				} else {
					out = append(out, engine.SlotRange{Start: uint16(j), End: uint16(j)})
				}
			}
		}
	})
	return out
}

func (m *migrations) info() []InfoField {
	f := []InfoField{kv("cluster_enabled", b2i(m.s.cfg.ClusterEnabled()))}
	if !m.ran.Load() {
		return f // byte for byte 7.0's section until a migration ran
	}
	m.mu.Lock()
	jobs := append([]*migJob(nil), m.jobs...)
	m.mu.Unlock()
	active := 0
	var last *migJob
	for _, j := range jobs {
		if j.active() {
			active++
		}
		last = j
	}
	f = append(f, kv("slot_migrations_active", active))
	if last != nil {
		st, _ := last.status()
		f = append(f, kv("slot_migration_last_name", last.name), kv("slot_migration_last_operation", last.op),
			kv("slot_migration_last_state", st), kv("slot_migration_last_records", last.records.Load()),
			kv("slot_migration_last_bytes", last.bytes.Load()),
			kv("slot_migration_last_forwarded_commands", last.forwarded.Load()),
			kv("slot_migration_last_pause_ms", last.pauseMs.Load()))
	}
	return f
}

func (m *migrations) add(j *migJob) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ran.Store(true)
	m.jobs = append(m.jobs, j)
	// Keep every active job and the newest finished ones.
	finished := 0
	for _, x := range m.jobs {
		if !x.active() {
			finished++
		}
	}
	for i := 0; finished > migLogMax && i < len(m.jobs); {
		if !m.jobs[i].active() {
			m.jobs = append(m.jobs[:i], m.jobs[i+1:]...)
			finished--
			continue
		}
		i++
	}
}

func (m *migrations) find(name string) *migJob {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if j.name == name {
			return j
		}
	}
	return nil
}

// busySlot returns a slot of ranges an active job of this node already moves, or -1.
func (m *migrations) busySlot(ranges []engine.SlotRange) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if !j.active() {
			continue
		}
		for _, a := range j.ranges {
			for _, b := range ranges {
				if a.Start <= b.End && b.Start <= a.End {
					return int(max(a.Start, b.Start))
				}
			}
		}
	}
	return -1
}

// pause stops commands on ranges (they wait in the gate), resumeSlots lets them go.
func (m *migrations) pause(ranges []engine.SlotRange) {
	for _, r := range ranges {
		for j := int(r.Start); j <= int(r.End); j++ {
			m.watch[j].Store(true)
			m.paused[j].Store(true)
		}
	}
	m.any.Store(true)
}

func (m *migrations) resumeSlots(ranges []engine.SlotRange) {
	for _, r := range ranges {
		for j := int(r.Start); j <= int(r.End); j++ {
			m.paused[j].Store(false)
		}
	}
	m.mu.Lock()
	close(m.resume)
	m.resume = make(chan struct{})
	m.mu.Unlock()
}

func (m *migrations) resumed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resume
}

// commandSlot is the slot of cmd's first key (EXEC: of its queue), or -1.
func commandSlot(c *Client, cmd *command, args [][]byte) int {
	if cmd.meta.Name == "exec" && c.tx.active {
		for _, e := range c.tx.queue {
			if sl := commandSlot(c, e.cmd, e.args); sl >= 0 {
				return sl
			}
		}
		return -1
	}
	if !cmd.meta.HasKeys() {
		return -1
	}
	keys, _ := cmd.meta.Keys(args)
	if len(keys) == 0 {
		return -1
	}
	return int(keyslot.Of(args[keys[0]]))
}

// migrationGate runs with the world held, before the handler: a command on a slot being
// handed over waits for the hand-over (TRYAGAIN after migPauseWait), then is routed again,
// so it gets MOVED once the slot moved. It reports whether it answered the command.
func (s *Server) migrationGate(c *Client, cmd *command, args [][]byte) bool {
	m := s.migrations()
	if m == nil || !m.any.Load() {
		return false
	}
	slot := commandSlot(c, cmd, args)
	if slot < 0 || !m.watch[slot].Load() {
		return false
	}
	if m.paused[slot].Load() {
		exclusive, shared := c.worldExclusive, c.worldShared
		s.exitWorld(c)
		deadline := time.NewTimer(migPauseWait)
		for m.paused[slot].Load() {
			ch := m.resumed()
			if !m.paused[slot].Load() {
				break
			}
			select {
			case <-ch:
				continue
			case <-deadline.C:
			case <-c.done:
			}
			break
		}
		deadline.Stop()
		if exclusive || shared {
			s.enterWorld(c, cmd)
		}
		if m.paused[slot].Load() {
			if c.tx.active && cmd.meta.Name == "exec" {
				c.discardTransaction()
			}
			c.w.Error(errTryAgain)
			return true
		}
	}
	return !s.routeQueued(c, cmd, args)
}

// CLUSTER MIGRATESLOTS SLOTSRANGE start end [start end ...] NODE id [SLOTSRANGE ... NODE id ...]
func clusterMigrateSlots(c *Client, n *cluster.Node, args [][]byte) {
	s := c.s
	m := s.migrations()
	if s.repl.isReplica() {
		c.w.Error("ERR Please use MIGRATESLOTS only with masters.")
		return
	}
	type group struct {
		ranges []engine.SlotRange
		target string
	}
	var groups []group
	seen := make([]bool, 16384)
	for i := 2; i < len(args); {
		if !eqFold(args[i], "slotsrange") {
			c.w.Error("ERR syntax error")
			return
		}
		i++
		var g group
		for i+1 < len(args) && !eqFold(args[i], "node") {
			a, errA := strconv.Atoi(string(args[i]))
			b, errB := strconv.Atoi(string(args[i+1]))
			if errA != nil || errB != nil || a < 0 || b < 0 || a >= 16384 || b >= 16384 {
				c.w.Error("ERR Invalid or out of range slot")
				return
			}
			if a > b {
				c.w.Error(fmt.Sprintf("ERR start slot number %d is greater than end slot number %d", a, b))
				return
			}
			for j := a; j <= b; j++ {
				if seen[j] {
					c.w.Error(fmt.Sprintf("ERR Slot %d specified multiple times", j))
					return
				}
				seen[j] = true
			}
			g.ranges = append(g.ranges, engine.SlotRange{Start: uint16(a), End: uint16(b)})
			i += 2
		}
		if len(g.ranges) == 0 || i+1 >= len(args) || !eqFold(args[i], "node") {
			c.w.Error("ERR syntax error")
			return
		}
		g.target = string(args[i+1])
		i += 2
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		c.w.Error("ERR syntax error")
		return
	}
	var errText string
	n.View(func(_ int64, st *state.State) {
		me := st.MyID()
		for _, g := range groups {
			ni, ok := st.Node(g.target)
			switch {
			case !ok:
				errText = "ERR Unknown node " + g.target
			case g.target == me:
				errText = "ERR Target node is myself"
			case ni.MasterID != "":
				errText = "ERR Target node is not a master"
			}
			if errText != "" {
				return
			}
			for _, r := range g.ranges {
				for j := int(r.Start); j <= int(r.End); j++ {
					if st.SlotOwner(j) != me {
						errText = fmt.Sprintf("ERR I'm not the owner of hash slot %d", j)
						return
					}
				}
			}
		}
	})
	if errText != "" {
		c.w.Error(errText)
		return
	}
	for _, g := range groups {
		if sl := m.busySlot(g.ranges); sl >= 0 {
			c.w.Error(fmt.Sprintf("ERR Slot %d is already being migrated", sl))
			return
		}
	}
	var me string
	n.View(func(_ int64, st *state.State) { me = st.MyID() })
	for _, g := range groups {
		j := newJob("EXPORT", g.ranges, me, g.target)
		j.set(migStateConnecting, "")
		m.add(j)
		go m.export(j)
	}
	c.w.OK()
}

func newJob(op string, ranges []engine.SlotRange, source, target string) *migJob {
	var b [20]byte
	rand.Read(b[:])
	now := time.Now()
	return &migJob{name: hex.EncodeToString(b[:]), op: op, ranges: ranges, source: source, target: target,
		created: now, updated: now, lastAck: now, cancel: make(chan struct{}), ended: make(chan struct{})}
}

func clusterGetSlotMigrations(c *Client, _ *cluster.Node, _ [][]byte) {
	m := c.s.migrations()
	m.mu.Lock()
	jobs := append([]*migJob(nil), m.jobs...)
	m.mu.Unlock()
	c.w.Array(len(jobs))
	for _, j := range jobs {
		j.mu.Lock()
		st, msg, upd, ack := j.state, j.message, j.updated, j.lastAck
		j.mu.Unlock()
		c.w.Map(14)
		c.w.BulkString("name")
		c.w.BulkString(j.name)
		c.w.BulkString("operation")
		c.w.BulkString(j.op)
		c.w.BulkString("slot_ranges")
		c.w.BulkString(cluster.FormatRanges(j.ranges))
		c.w.BulkString("target_node")
		c.w.BulkString(j.target)
		c.w.BulkString("source_node")
		c.w.BulkString(j.source)
		c.w.BulkString("create_time")
		c.w.Int(j.created.Unix())
		c.w.BulkString("last_update_time")
		c.w.Int(upd.Unix())
		c.w.BulkString("last_ack_time")
		c.w.Int(ack.Unix())
		c.w.BulkString("state")
		c.w.BulkString(st)
		c.w.BulkString("message")
		c.w.BulkString(msg)
		c.w.BulkString("cow_size")
		c.w.Int(0) // a Pebble snapshot copies nothing
		// slotdb's progress fields.
		c.w.BulkString("records")
		c.w.Int(j.records.Load())
		c.w.BulkString("bytes")
		c.w.Int(j.bytes.Load())
		c.w.BulkString("forwarded_commands")
		c.w.Int(j.forwarded.Load())
	}
}

// CLUSTER CANCELSLOTMIGRATIONS cancels the active exports of this node. A job already
// handing over (its slots paused, End sent) finishes: cancelling it then could leave the
// slots with two owners or none.
func clusterCancelSlotMigrations(c *Client, _ *cluster.Node, _ [][]byte) {
	m := c.s.migrations()
	m.mu.Lock()
	jobs := append([]*migJob(nil), m.jobs...)
	m.mu.Unlock()
	for _, j := range jobs {
		if j.op != "EXPORT" {
			continue
		}
		j.mu.Lock() // exportRun enters the hand-over under j.mu
		switch j.state {
		case migStatePaused, migStateSuccess, migStateFailed, migStateCancelled:
		default:
			j.cancelLocked(errMigCancelled.Error())
		}
		j.mu.Unlock()
	}
	c.w.OK()
}

// MigRateLimitEnv names the environment variable that limits the record stream of a
// migration, in raw bytes per second (0 or unset: no limit). It is not a redis.conf
// directive: slotdb's configuration accepts exactly Redis 7.0's.
const MigRateLimitEnv = "SLOTDB_SLOT_MIGRATION_MAX_BYTES_PER_SEC"

func migRateLimit() int64 {
	n, _ := strconv.ParseInt(os.Getenv(MigRateLimitEnv), 10, 64)
	return max(n, 0)
}

// MigStallEnv names a fault-injection knob for the failure tests: "catchup=DUR" keeps the
// source forwarding writes for at least DUR before it pauses the slots; "handover=DUR" makes
// the target wait DUR between applying the forwarded writes and taking the slots (the
// records promoted, the source paused). Comma-separated, Go durations. Unset: no stall.
const MigStallEnv = "SLOTDB_SLOT_MIGRATION_TEST_STALL"

func migStall(phase string) time.Duration {
	for _, f := range strings.Split(os.Getenv(MigStallEnv), ",") {
		if p, v, ok := strings.Cut(f, "="); ok && p == phase {
			d, _ := time.ParseDuration(v)
			return max(d, 0)
		}
	}
	return 0
}

var errMigCancelled = errors.New("cancelled by CLUSTER CANCELSLOTMIGRATIONS")

// finish records the outcome of a job.
func (j *migJob) finish(err error) {
	switch {
	case err == nil:
		j.set(migStateSuccess, "")
	case errors.Is(err, errMigCancelled):
		j.mu.Lock()
		why := j.cancelWhy
		j.mu.Unlock()
		if why == "" {
			why = err.Error()
		}
		j.set(migStateCancelled, why)
	default:
		j.set(migStateFailed, err.Error())
	}
	close(j.ended)
}

// CLUSTER SYNCSLOTS ESTABLISH name source-id start end [start end ...] (the source opens the
// link) | STATUS name start end [...] (the source asks the outcome of a lost hand-over).
func clusterSyncSlots(c *Client, n *cluster.Node, args [][]byte) {
	m := c.s.migrations()
	establish, status := eqFold(args[2], "establish"), eqFold(args[2], "status")
	first := 5
	if status {
		first = 4
	}
	if !establish && !status || len(args) < first+2 || (len(args)-first)%2 != 0 {
		subSyntaxError(c, args)
		return
	}
	var ranges []engine.SlotRange
	for i := first; i+1 < len(args); i += 2 {
		a, errA := strconv.Atoi(string(args[i]))
		b, errB := strconv.Atoi(string(args[i+1]))
		if errA != nil || errB != nil || a < 0 || b < a || b >= 16384 {
			c.w.Error("ERR Invalid or out of range slot")
			return
		}
		ranges = append(ranges, engine.SlotRange{Start: uint16(a), End: uint16(b)})
	}
	name := string(args[3])
	switch {
	case eqFold(args[2], "status"):
		if j := m.find(name); j != nil {
			j.mu.Lock()
			st := j.state
			if st != migStateSuccess {
				j.abandoned = true
			}
			j.mu.Unlock()
			if st == migStateSuccess {
				c.w.Simple("owned")
				return
			}
			c.w.Simple("abandoned")
			return
		}
		// Unknown (this node restarted): its start dropped what it did not own.
		if len(m.notMine(ranges)) == 0 {
			c.w.Simple("owned")
		} else {
			c.w.Simple("abandoned")
		}
	case eqFold(args[2], "establish"):
		m.importSession(c, n, name, string(args[4]), ranges)
	default:
		subSyntaxError(c, args)
	}
}
