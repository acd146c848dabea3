package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/replication"
)

// Replication state of the node: the propagation stream every write goes to, the replicas
// attached to it (repl_master.go) and, on a replica, the link to its master
// (repl_replica.go).
type replState struct {
	s      *Server
	stream *replication.Stream

	// applyMu orders a replica's applying of its master's stream (and the passing on of it)
	// against snapshots taken for its own replicas: taken before the world lock.
	applyMu sync.Mutex

	mu        sync.Mutex
	link      *masterLink // nil on a master
	replicas  map[*replicaConn]struct{}
	lastPing  time.Time
	noneSince time.Time // when the last replica left (repl-backlog-ttl)

	replica   atomic.Bool   // link != nil, read on hot paths
	noHistory atomic.Bool   // a failed load left data that matches no history
	acks      chan struct{} // closed and replaced when a replica ACKs (WAIT)

	fo failoverState // FAILOVER: cmd_failover.go

	clusterOnce sync.Once    // repl_cluster.go
	clusterOps  chan func()  // SetMaster/UnsetMaster of the cluster state machine, in order
	good        atomic.Int64 // replicas with a lag within min-replicas-max-lag

	// INFO stats' sync_full, sync_partial_ok, sync_partial_err (master side).
	syncFull, syncPartialOK, syncPartialErr atomic.Int64

	// Settings read on hot paths, refreshed after CONFIG SET and by the cron.
	readOnly, serveStale atomic.Bool
	minReplicas, minLag  atomic.Int64
	pingPeriod, timeout  atomic.Int64 // seconds
	backlogTTL           atomic.Int64
}

func newReplState(s *Server) *replState {
	r := &replState{s: s, replicas: map[*replicaConn]struct{}{}}
	r.stream = replication.NewStream(s.intro.replID, 1<<20)
	return r
}

// initReplication wires the propagation hook, the INFO section and the settings, and restores
// the replication history kept by a clean shutdown.
func (s *Server) initReplication() {
	r := s.repl
	if s.eng != nil {
		s.eng.SetPropagateHook(s.propagated)
		s.eng.SetExpiryHold(s.expiryHeld) // a manual failover's pause keeps the data static: pause.go
	}
	s.SetInfoSection("replication", r.info)
	if set := s.cfg.Set; set != nil {
		s.cfg.Set = func(args []string) error {
			err := set(args)
			r.loadSettings()
			return err
		}
	}
	r.loadSettings()
	r.restoreHistory()
	// replicaof in redis.conf (CONFIG GET prints "host port").
	if f := strings.Fields(s.configValue("replicaof", "")); len(f) == 2 && !s.cfg.ClusterEnabled() {
		if port, err := strconv.Atoi(f[1]); err == nil {
			r.setMaster(f[0], port)
		}
	}
}

func (r *replState) loadSettings() {
	s := r.s
	num := func(name, def string) int64 {
		n, _ := strconv.ParseInt(s.configValue(name, def), 10, 64)
		return n
	}
	r.readOnly.Store(s.configValue("replica-read-only", "yes") == "yes")
	r.serveStale.Store(s.configValue("replica-serve-stale-data", "yes") == "yes")
	r.minReplicas.Store(num("min-replicas-to-write", "0"))
	r.minLag.Store(num("min-replicas-max-lag", "10"))
	r.pingPeriod.Store(max(num("repl-ping-replica-period", "10"), 1))
	r.timeout.Store(max(num("repl-timeout", "60"), 1))
	r.backlogTTL.Store(num("repl-backlog-ttl", "3600"))
	r.stream.SetSize(num("repl-backlog-size", "1048576"))
}

func (r *replState) isReplica() bool { return r.replica.Load() }

// replMarker is where a clean shutdown keeps the replication id and offset, so that a
// restarted node continues its history (a replica with PSYNC, a master's replicas with it).
const replMarker = "replication"

// saveHistory records the id and offset; only valid when the data matches them exactly,
// i.e. nothing is applied any more (shutdown).
func (r *replState) saveHistory() {
	id, _, _, off := r.stream.IDs()
	if err := r.s.eng.SetMarker(replMarker, []byte(id+" "+strconv.FormatInt(off, 10))); err != nil {
		r.s.log.Warn("Saving the replication id: " + err.Error())
	}
}

// restoreHistory takes the id and offset a clean shutdown saved, and forgets them at once: a
// crash after this start leaves no stale claim (the next start syncs in full).
func (r *replState) restoreHistory() {
	if r.s.eng == nil {
		return
	}
	v, ok, err := r.s.eng.Marker(replMarker)
	if err != nil || !ok {
		return
	}
	r.s.eng.SetMarker(replMarker, nil)
	id, offs, _ := strings.Cut(string(v), " ")
	off, err := strconv.ParseInt(offs, 10, 64)
	if err != nil || len(id) != 40 {
		return
	}
	r.stream.SetHistory(id, off)
	r.stream.Activate() // replicas of the previous run may continue here
	r.s.log.Info(fmt.Sprintf("Restored replication ID %s at offset %d", id, off))
}

// shutdown stops the link to the master and keeps the history for the next start.
func (r *replState) shutdown() {
	r.mu.Lock()
	l := r.link
	reps := r.replicaList()
	r.mu.Unlock()
	for _, rc := range reps {
		rc.c.close()
	}
	if l != nil {
		// SHUTDOWN's own handler may hold the world that a load in progress waits for: do
		// not wait long, and keep no history unless the link really stopped.
		l.signalStop()
		select {
		case <-l.done:
		case <-time.After(2 * time.Second):
			return
		}
	}
	r.applyMu.Lock()
	r.saveHistory()
	r.applyMu.Unlock()
}

func (r *replState) replicaList() []*replicaConn {
	out := make([]*replicaConn, 0, len(r.replicas))
	for rc := range r.replicas {
		out = append(out, rc)
	}
	return out
}

// cron pings replicas, drops timed-out ones, counts the good ones and frees an unused backlog
// (Redis's replicationCron); called every 100 ms.
func (r *replState) cron() {
	now := time.Now()
	r.mu.Lock()
	reps := r.replicaList()
	ping := len(reps) > 0 && now.Sub(r.lastPing) >= time.Duration(r.pingPeriod.Load())*time.Second
	if ping {
		r.lastPing = now
	}
	if len(reps) > 0 {
		r.noneSince = time.Time{}
	} else if r.noneSince.IsZero() {
		r.noneSince = now
	}
	idle := r.noneSince
	isReplica := r.link != nil
	r.mu.Unlock()
	if ping && !isReplica && !r.s.failoverPaused() {
		// A replica's replicas get its master's pings (the stream is passed on as is); a
		// master paused for a manual failover sends none, its offset must hold (pause.go).
		r.stream.FeedCommands(-1, [][][]byte{{[]byte("PING")}})
	}
	r.updateFailover()
	good := int64(0)
	timeout := time.Duration(r.timeout.Load()) * time.Second
	for _, rc := range reps {
		if rc.state.Load() != replicaOnline {
			continue
		}
		last := time.UnixMilli(rc.ackTime.Load())
		if now.Sub(last) > timeout {
			r.s.log.Warn("Disconnecting timedout replica (streaming sync): " + rc.name())
			rc.c.close()
			continue
		}
		if now.Sub(last) <= time.Duration(r.minLag.Load())*time.Second {
			good++
		}
	}
	r.good.Store(good)
	if ttl := r.backlogTTL.Load(); !isReplica && ttl > 0 && !idle.IsZero() && now.Sub(idle) > time.Duration(ttl)*time.Second && r.stream.Active() {
		r.s.log.Info(fmt.Sprintf("Replication backlog freed after %d seconds without connected replicas.", ttl))
		r.stream.Deactivate()
	}
}

// denied checks the replication rules of processCommand before cmd runs (or is queued):
// NOREPLICAS, READONLY, MASTERDOWN. It writes the error and reports whether cmd is refused.
func (s *Server) replicationDenies(c *Client, cmd *command) bool {
	r := s.repl
	if c.master {
		return false
	}
	write := cmd.meta.Write || cmd.meta.Name == "exec" && c.tx.active && queuedWrite(c)
	if !r.isReplica() {
		if write && r.minReplicas.Load() > 0 && r.minLag.Load() > 0 && r.good.Load() < r.minReplicas.Load() {
			c.w.Error("NOREPLICAS Not enough good replicas to write.")
			return true
		}
		return false
	}
	if write && r.readOnly.Load() {
		c.w.Error("READONLY You can't write against a read only replica.")
		return true
	}
	if !r.serveStale.Load() && !cmd.meta.Stale && !r.linkUp() {
		c.w.Error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
		return true
	}
	return false
}

// queuedWrite reports whether the client's MULTI queue holds a write command.
func queuedWrite(c *Client) bool {
	for _, q := range c.tx.queue {
		if q.cmd != nil && q.cmd.meta.Write {
			return true
		}
	}
	return false
}

func (r *replState) linkUp() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.link != nil && r.link.state.Load() == linkConnected
}

// info is INFO replication as 7.0.15 prints it.
func (r *replState) info() []InfoField {
	var f []InfoField
	r.mu.Lock()
	l := r.link
	reps := r.replicaList()
	r.mu.Unlock()
	id, id2, off2, off := r.stream.IDs()
	now := time.Now()
	if l == nil {
		f = append(f, kv("role", "master"))
	} else {
		f = append(f, kv("role", "slave"), kv("master_host", l.host), kv("master_port", l.port))
		st := l.state.Load()
		up := st == linkConnected
		f = append(f, kv("master_link_status", map[bool]string{true: "up", false: "down"}[up]))
		lastIO := int64(-1)
		if up {
			lastIO = int64(now.Sub(time.UnixMilli(l.lastIO.Load())).Seconds())
		}
		f = append(f, kv("master_last_io_seconds_ago", lastIO))
		f = append(f, kv("master_sync_in_progress", b2i(st == linkTransfer)))
		f = append(f, kv("slave_read_repl_offset", l.readOff.Load()), kv("slave_repl_offset", l.applied.Load()))
		if st == linkTransfer {
			total, read := l.syncTotal.Load(), l.syncRead.Load()
			perc := 0.0
			if total > 0 {
				perc = float64(read) * 100 / float64(total)
			}
			f = append(f, kv("master_sync_total_bytes", total), kv("master_sync_read_bytes", read),
				kv("master_sync_left_bytes", total-read), kv("master_sync_perc", fmt.Sprintf("%.2f", perc)),
				kv("master_sync_last_io_seconds_ago", int64(now.Sub(time.UnixMilli(l.lastIO.Load())).Seconds())))
		}
		if !up {
			down := int64(-1)
			if d := l.downSince.Load(); d != 0 {
				down = int64(now.Sub(time.UnixMilli(d)).Seconds())
			}
			f = append(f, kv("master_link_down_since_seconds", down))
		}
		f = append(f, kv("slave_priority", r.s.configValue("replica-priority", "100")),
			kv("slave_read_only", b2i(r.readOnly.Load())),
			kv("replica_announced", b2i(r.s.configValue("replica-announced", "yes") == "yes")))
	}
	f = append(f, kv("connected_slaves", len(reps)))
	if r.minReplicas.Load() > 0 && r.minLag.Load() > 0 {
		f = append(f, kv("min_slaves_good_slaves", r.good.Load()))
	}
	for i, rc := range sortReplicas(reps) {
		ip, port := rc.address()
		lag := int64(now.Sub(time.UnixMilli(rc.ackTime.Load())).Seconds())
		f = append(f, InfoField{"slave" + strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d",
			ip, port, replicaStateNames[rc.state.Load()], rc.ackOff.Load(), lag)})
	}
	active, size, first, hist := r.stream.Backlog()
	f = append(f,
		kv("master_failover_state", r.failoverStateName()),
		kv("master_replid", id),
		kv("master_replid2", id2),
		kv("master_repl_offset", off),
		kv("second_repl_offset", off2),
		kv("repl_backlog_active", b2i(active)),
		kv("repl_backlog_size", size),
		kv("repl_backlog_first_byte_offset", first),
		kv("repl_backlog_histlen", hist),
	)
	return f
}

// splitHostPort is net.SplitHostPort with the port as a number.
func splitHostPort(addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}
