package server

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
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
	"github.com/slotdb/slotdb/replication"
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
	abandoned        bool // target: the source asked STATUS before Owned; never take over
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
		if j.op == "EXPORT" && j.active() {
			j.cancelOnce.Do(func() { close(j.cancel) })
		}
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

var errMigCancelled = errors.New("cancelled by CLUSTER CANCELSLOTMIGRATIONS")

// finish records the outcome of a job.
func (j *migJob) finish(err error) {
	switch {
	case err == nil:
		j.set(migStateSuccess, "")
	case errors.Is(err, errMigCancelled):
		j.set(migStateCancelled, err.Error())
	default:
		j.set(migStateFailed, err.Error())
	}
	close(j.ended)
}

// export runs a job on the source.
func (m *migrations) export(j *migJob) {
	s := m.s
	err := m.exportRun(j)
	j.finish(err)
	if err != nil {
		s.log.Warn(fmt.Sprintf("Slot migration %s of slots %s to %.40s: %v", j.name, cluster.FormatRanges(j.ranges), j.target, err))
	} else {
		s.log.Info(fmt.Sprintf("Slot migration %s: slots %s now served by %.40s", j.name, cluster.FormatRanges(j.ranges), j.target))
	}
}

// dialNode opens a client connection to node id and sends argv; it returns the connection
// and the first reply line.
func (m *migrations) dialNode(id string, argv [][]byte) (net.Conn, *bufio.Reader, string, error) {
	var addr string
	m.n.View(func(_ int64, st *state.State) {
		if ni, ok := st.Node(id); ok {
			addr = net.JoinHostPort(ni.IP, strconv.Itoa(ni.Port))
		}
	})
	if addr == "" {
		return nil, nil, "", fmt.Errorf("node %.40s unknown", id)
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, "", err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(cluster.AppendCommand(nil, argv)); err != nil {
		conn.Close()
		return nil, nil, "", err
	}
	br := bufio.NewReaderSize(conn, 256<<10)
	line, err := br.ReadString('\n')
	if err != nil {
		conn.Close()
		return nil, nil, "", err
	}
	conn.SetDeadline(time.Time{})
	return conn, br, strings.TrimRight(line, "\r\n"), nil
}

// cursorReader reads the propagation stream from a cursor, blocking until bytes arrive; it
// calls idle every migHeartbeat of silence, stops when stop is closed, and reports
// errCaughtUp when it has nothing more once caughtUp is closed (the forwarder then finds
// itself at the pause's offset).
type cursorReader struct {
	stream   *replication.Stream
	cur      *replication.Cursor
	stop     <-chan struct{}
	caughtUp <-chan struct{}
	idle     func() error
}

var errCaughtUp = errors.New("caught up")

func (r *cursorReader) Read(p []byte) (int, error) {
	for {
		ch := r.stream.Changed()
		if n, _ := r.cur.Read(p); n > 0 {
			return n, nil
		}
		select {
		case <-r.caughtUp:
			return 0, errCaughtUp
		default:
		}
		select {
		case <-ch:
		case <-r.caughtUp:
		case <-r.stop:
			return 0, errMigCancelled
		case <-time.After(migHeartbeat):
			if err := r.idle(); err != nil {
				return 0, err
			}
		}
	}
}

func (m *migrations) exportRun(j *migJob) error {
	s := m.s
	argv := [][]byte{[]byte("CLUSTER"), []byte("SYNCSLOTS"), []byte("ESTABLISH"), []byte(j.name), []byte(j.source)}
	for _, r := range j.ranges {
		argv = append(argv, []byte(strconv.Itoa(int(r.Start))), []byte(strconv.Itoa(int(r.End))))
	}
	conn, br, line, err := m.dialNode(j.target, argv)
	if err != nil {
		return fmt.Errorf("connecting to the target: %w", err)
	}
	defer conn.Close()
	if line != "+OK" {
		return fmt.Errorf("the target refused: %s", strings.TrimPrefix(line, "-"))
	}
	go func() { // a cancel before the hand-over cuts the link
		select {
		case <-j.cancel:
			conn.Close()
		case <-j.ended:
		}
	}()
	if j.cancelled() {
		return errMigCancelled
	}
	// Snapshot and stream offset, matched: no command runs meanwhile (world held exclusively),
	// and the engine's own expiry is caught by the unchanged offset.
	j.set(migStateSnapshot, "")
	r := s.repl
	s.world.Lock()
	r.stream.Activate()
	var snap *engine.Snapshot
	var base int64
	for {
		base = r.stream.Offset()
		snap, err = s.eng.Snapshot()
		if err != nil || r.stream.Offset() == base {
			break
		}
		snap.Close()
	}
	var cur *replication.Cursor
	if err == nil {
		cur, err = r.stream.NewCursor(base)
		if err != nil {
			snap.Close()
		}
	}
	s.world.Unlock()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	// Frames from the target, read by one goroutine.
	frames := make(chan [2]any, 4)
	go func() {
		for {
			typ, p, err := cluster.ReadFrame(br)
			if err != nil {
				select {
				case frames <- [2]any{byte(0), err}:
				case <-j.ended:
				}
				return
			}
			j.ack()
			select {
			case frames <- [2]any{typ, p}:
			case <-j.ended:
				return
			}
		}
	}()
	wmu := &sync.Mutex{} // the sender and the forwarder share the socket
	bw := bufio.NewWriterSize(conn, 256<<10)
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(migLinkTimeout))
		if err := cluster.WriteFrame(bw, typ, p); err != nil {
			return err
		}
		return bw.Flush()
	}
	wmu.Lock()
	_, err = cluster.SendSlots(lockedWriter{conn}, snap, j.ranges, cluster.SendOptions{
		Progress:       func(recs, bytes int64) { j.records.Store(recs); j.bytes.Store(bytes) },
		MaxBytesPerSec: migRateLimit(),
	})
	wmu.Unlock()
	snap.Close()
	if err != nil {
		if j.cancelled() {
			return errMigCancelled
		}
		return fmt.Errorf("streaming the records: %w", err)
	}
	waitFrame := func(timeout time.Duration) (byte, []byte, error) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case f := <-frames:
			if e, ok := f[1].(error); ok {
				return 0, nil, e
			}
			return f[0].(byte), f[1].([]byte), nil
		case <-t.C:
			return 0, nil, errors.New("the target did not answer")
		}
	}
	typ, p, err := waitFrame(migLinkTimeout + time.Duration(j.bytes.Load()/(20<<20))*time.Second)
	if err == nil && typ != cluster.FrameStaged {
		err = fmt.Errorf("the target failed: %s", p)
	}
	if err != nil {
		if j.cancelled() {
			return errMigCancelled
		}
		return fmt.Errorf("staging on the target: %w", err)
	}
	j.set(migStateStreaming, "")
	// The forwarder sends the writes to the moving slots from the stream, until stopAt.
	var consumed atomic.Int64
	consumed.Store(base)
	var stopAt atomic.Int64
	stopAt.Store(-1)
	caughtUp := make(chan struct{}) // closed once stopAt is set
	fwdDone := make(chan error, 1)
	go func() {
		filter := cluster.NewSlotFilter(j.ranges)
		crd := &cursorReader{stream: r.stream, cur: cur, stop: j.cancel, caughtUp: caughtUp,
			idle: func() error { return send(cluster.FrameHeartbeat, nil) }}
		bufr := bufio.NewReaderSize(crd, 64<<10)
		cr := replication.NewCommandReader(bufr)
		var out []byte
		flush := func() error {
			if len(out) == 0 {
				return nil
			}
			err := send(cluster.FrameCommands, out)
			out = out[:0]
			return err
		}
		for {
			if st := stopAt.Load(); st >= 0 && base+cr.Offset() >= st {
				if err := flush(); err != nil {
					fwdDone <- err
					return
				}
				fwdDone <- send(cluster.FrameEnd, nil)
				return
			}
			argv, err := cr.ReadCommand()
			if errors.Is(err, errCaughtUp) {
				continue // at a command boundary: the check above ends the loop
			}
			if err != nil {
				fwdDone <- err
				return
			}
			keep, err := filter.Keep(argv)
			if err != nil {
				fwdDone <- err
				return
			}
			if keep {
				out = cluster.AppendCommand(out, argv)
				j.forwarded.Add(1)
			}
			consumed.Store(base + cr.Offset())
			if len(out) >= migForwardFrameBytes || len(out) > 0 && bufr.Buffered() == 0 {
				if err := flush(); err != nil {
					fwdDone <- err
					return
				}
			}
		}
	}()
	// Catch up until the lag is small.
	catchUp := time.Now()
	for r.stream.Offset()-consumed.Load() > migLagToPause && time.Since(catchUp) < migCatchUpLimit {
		select {
		case err := <-fwdDone:
			if j.cancelled() {
				return errMigCancelled
			}
			return fmt.Errorf("forwarding writes: %w", err)
		case f := <-frames:
			return fmt.Errorf("the target stopped: %v", frameText(f))
		case <-time.After(5 * time.Millisecond):
		}
	}
	if j.cancelled() {
		return errMigCancelled
	}
	// Pause the slots, drain what runs, forward the rest: from End on the job runs to its end.
	j.set(migStatePaused, "")
	pauseStart := time.Now()
	m.pause(j.ranges)
	s.world.Lock()
	stopAt.Store(r.stream.Offset())
	s.world.Unlock()
	close(caughtUp)
	owned, err := m.handOver(j, fwdDone, frames)
	j.pauseMs.Store(time.Since(pauseStart).Milliseconds())
	if owned {
		err = nil
		m.n.Do(func(now int64, st *state.State) state.Output {
			out, e := st.GiveSlots(now, rangeSlots(j.ranges), j.target)
			if e != nil {
				err = e
			}
			return out
		})
	}
	m.resumeSlots(j.ranges)
	j.pauseMs.Store(time.Since(pauseStart).Milliseconds())
	if !owned {
		if errors.Is(err, errMigCancelled) {
			return err
		}
		return fmt.Errorf("hand-over: %w", err)
	}
	if err != nil {
		s.log.Warn("Slot migration: binding the slots to the target: " + err.Error())
	}
	if e := s.eng.DropSlots(j.ranges); e != nil {
		s.log.Warn("Slot migration: dropping the handed-over slots: " + e.Error())
	}
	return nil
}

// handOver waits for the forwarder's End and the target's answer. It reports whether the
// target owns the slots; when the link fails after End it finds out (resolve).
func (m *migrations) handOver(j *migJob, fwdDone chan error, frames chan [2]any) (bool, error) {
	if err := <-fwdDone; err != nil {
		if j.cancelled() {
			return false, errMigCancelled // End was not sent: the target cannot take over
		}
		return false, fmt.Errorf("forwarding writes: %w", err)
	}
	t := time.NewTimer(migOwnedWait)
	defer t.Stop()
	for {
		select {
		case f := <-frames:
			switch f[0].(byte) {
			case cluster.FrameOwned:
				return true, nil
			case cluster.FrameFailed:
				return false, fmt.Errorf("the target failed: %s", f[1].([]byte))
			case cluster.FrameStaged, cluster.FrameHeartbeat:
				continue
			}
		case <-t.C:
		}
		return m.resolve(j)
	}
}

// resolve learns the outcome of a hand-over whose answer was lost: the target's answer to
// SYNCSLOTS STATUS (which also forbids a later take-over), or the target's claim of the
// slots reaching this node by gossip. Until then the slots stay paused.
func (m *migrations) resolve(j *migJob) (bool, error) {
	argv := [][]byte{[]byte("CLUSTER"), []byte("SYNCSLOTS"), []byte("STATUS"), []byte(j.name)}
	for _, r := range j.ranges {
		argv = append(argv, []byte(strconv.Itoa(int(r.Start))), []byte(strconv.Itoa(int(r.End))))
	}
	for {
		lost := false
		m.n.View(func(_ int64, st *state.State) { lost = st.SlotOwner(int(j.ranges[0].Start)) == j.target })
		if lost {
			return true, nil
		}
		if conn, _, line, err := m.dialNode(j.target, argv); err == nil {
			conn.Close()
			switch line {
			case "+owned":
				return true, nil
			case "+abandoned":
				return false, errors.New("the target did not take the slots")
			}
		}
		time.Sleep(migResolvePoll)
	}
}

func frameText(f [2]any) string {
	if e, ok := f[1].(error); ok {
		return e.Error()
	}
	return fmt.Sprintf("frame %q %s", f[0].(byte), f[1].([]byte))
}

func rangeSlots(ranges []engine.SlotRange) []int {
	var out []int
	for _, r := range ranges {
		for j := int(r.Start); j <= int(r.End); j++ {
			out = append(out, j)
		}
	}
	return out
}

// lockedWriter sets a write deadline per write (the record stream goes straight to the socket).
type lockedWriter struct{ c net.Conn }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(migLinkTimeout))
	return w.c.Write(p)
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

// importSession is the target's side of a link: it takes over the client's connection.
func (m *migrations) importSession(c *Client, n *cluster.Node, name, source string, ranges []engine.SlotRange) {
	s := c.s
	if s.repl.isReplica() {
		c.w.Error("ERR Please use MIGRATESLOTS only with masters.")
		return
	}
	if rangeCount(m.notMine(ranges)) != rangeCount(ranges) {
		c.w.Error("ERR I already own some of these slots")
		return
	}
	if sl := m.busySlot(ranges); sl >= 0 {
		c.w.Error(fmt.Sprintf("ERR Slot %d is already being migrated", sl))
		return
	}
	var me string
	n.View(func(_ int64, st *state.State) { me = st.MyID() })
	j := newJob("IMPORT", ranges, source, me)
	j.name = name
	j.set(migStateReceiving, "")
	m.add(j)
	c.releaseWorld() // the session lasts: never hold the world meanwhile
	c.w.OK()
	if err := c.flush(); err != nil || c.rd.Buffered() != 0 {
		j.finish(errors.New("the link broke"))
		c.closeAfterReply = true
		return
	}
	c.closeAfterReply = true
	err := m.importRun(c, j)
	j.finish(err)
	if err != nil {
		s.log.Warn(fmt.Sprintf("Slot import %s of slots %s from %.40s: %v", name, cluster.FormatRanges(ranges), source, err))
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		cluster.WriteFrame(c.conn, cluster.FrameFailed, []byte(err.Error()))
	} else {
		s.log.Info(fmt.Sprintf("Slot import %s: slots %s taken from %.40s", name, cluster.FormatRanges(ranges), source))
	}
}

func rangeCount(ranges []engine.SlotRange) int {
	n := 0
	for _, r := range ranges {
		n += int(r.End) - int(r.Start) + 1
	}
	return n
}

type deadlineReader struct{ c net.Conn }

func (r deadlineReader) Read(p []byte) (int, error) {
	r.c.SetReadDeadline(time.Now().Add(migLinkTimeout))
	return r.c.Read(p)
}

func (m *migrations) importRun(c *Client, j *migJob) (err error) {
	s := c.s
	conn := c.conn
	br := bufio.NewReaderSize(deadlineReader{conn}, 256<<10)
	dir := s.eng.StoreDir(migImportDir, j.name)
	defer os.RemoveAll(dir)
	im, err := s.eng.NewSlotImport(dir, j.ranges)
	if err != nil {
		return err
	}
	promoted, owned := false, false
	defer func() {
		if owned {
			return
		}
		im.Abort()
		if promoted {
			if e := s.eng.DropSlots(j.ranges); e != nil {
				s.log.Warn("Slot import: dropping promoted records: " + e.Error())
			}
		}
		s.eng.SetMarker(migImportMarker, nil)
	}()
	if err := s.eng.SetMarker(migImportMarker, []byte(cluster.FormatRanges(j.ranges))); err != nil {
		return err
	}
	recvRanges, st, err := cluster.ReceiveSlots(br, func(k, v []byte) error {
		err := im.Add(k, v)
		if im.Records&1023 == 0 {
			j.records.Store(im.Records)
			j.bytes.Store(im.Bytes)
			c.lastInteraction.Store(time.Now().UnixMilli())
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("receiving the records: %w", err)
	}
	if cluster.FormatRanges(recvRanges) != cluster.FormatRanges(j.ranges) {
		return errors.New("the record stream names other slots")
	}
	if err := im.Flush(); err != nil {
		return err
	}
	j.records.Store(st.Records)
	j.bytes.Store(st.Bytes)
	conn.SetWriteDeadline(time.Now().Add(migLinkTimeout))
	if err := cluster.WriteFrame(conn, cluster.FrameStaged, nil); err != nil {
		return err
	}
	j.set(migStateStreaming, "")
	var pending []byte
	for {
		typ, p, err := cluster.ReadFrame(br)
		if err != nil {
			return fmt.Errorf("the link broke: %w", err)
		}
		j.ack()
		c.lastInteraction.Store(time.Now().UnixMilli())
		if typ == cluster.FrameEnd {
			break
		}
		if typ == cluster.FrameCommands {
			if len(pending)+len(p) > migMaxForwardBuffer {
				return errors.New("too many writes forwarded before the hand-over")
			}
			pending = append(pending, p...)
		}
	}
	j.set(migStateTakingOver, "")
	if err := im.Promote(); err != nil {
		return fmt.Errorf("promoting: %w", err)
	}
	promoted = true
	mc := s.newMasterClient(conn, 0)
	cr := replication.NewCommandReader(bufio.NewReader(strings.NewReader(string(pending))))
	for {
		argv, err := cr.ReadCommand()
		if err != nil {
			break
		}
		if len(argv) > 0 {
			s.execute(mc, argv)
			mc.w.Buf = mc.w.Buf[:0]
			j.forwarded.Add(1)
		}
	}
	if int64(cr.Offset()) != int64(len(pending)) {
		return errors.New("malformed forwarded commands")
	}
	if err := s.eng.SyncWAL(); err != nil {
		return err
	}
	j.mu.Lock()
	if j.abandoned {
		j.mu.Unlock()
		return errors.New("the source gave the hand-over up")
	}
	var takeErr error
	m.n.Do(func(now int64, st *state.State) state.Output {
		out, e := st.TakeSlots(now, rangeSlots(j.ranges))
		takeErr = e
		return out
	})
	if takeErr == nil {
		owned = true
		j.state, j.updated = migStateSuccess, time.Now() // STATUS answers owned from here
	}
	j.mu.Unlock()
	if takeErr != nil {
		return takeErr
	}
	s.eng.SetMarker(migImportMarker, nil)
	conn.SetWriteDeadline(time.Now().Add(migLinkTimeout))
	cluster.WriteFrame(conn, cluster.FrameOwned, nil)
	return nil
}
