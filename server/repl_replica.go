package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
	"github.com/slotdb/slotdb/server/resp"
)

// Replica side of replication: a goroutine keeps a link to the master (reconnecting every
// second, as Redis's replicationCron does), runs the handshake, loads a full sync's RDB and
// applies the stream through the normal command handlers as the master client (no replies,
// exempt from READONLY and cluster redirections). The applied bytes are passed on unchanged
// to this node's own stream, so chained replicas see the master's offsets.
//
// A full sync's RDB is first written to a temp file (Redis's repl-diskless-load disabled):
// a transfer that fails leaves the dataset untouched. Once the file is complete, every
// client is held off (the world lock), the dataset is flushed and the file bulk-loaded
// through SST ingestion. A load that fails then (a corrupt file that passed the transfer)
// leaves a partial dataset and no replication id, so the next attempt syncs in full again.

// Link states; ROLE prints them.
const (
	linkConnect = iota
	linkConnecting
	linkHandshake
	linkTransfer
	linkConnected
)

var linkStateNames = [...]string{"connect", "connecting", "handshake", "sync", "connected"}

type masterLink struct {
	r    *replState
	host string
	port int

	state     atomic.Int32
	lastIO    atomic.Int64 // unix ms
	downSince atomic.Int64 // unix ms, 0 = never connected
	readOff   atomic.Int64 // slave_read_repl_offset
	applied   atomic.Int64 // slave_repl_offset
	syncTotal atomic.Int64
	syncRead  atomic.Int64

	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	conn   net.Conn
	mc     *Client // master client, while streaming
	lastDB int     // the master client's db when the link broke (a partial resync goes on)
	wmu    sync.Mutex
}

// setMaster makes this node a replica of host:port (replicationSetMaster).
func (r *replState) setMaster(host string, port int) {
	r.mu.Lock()
	old := r.link
	r.link = nil
	r.mu.Unlock()
	if old != nil {
		// replicationSetMaster frees the current master client (cached for a PSYNC).
		if old.state.Load() == linkConnected {
			r.s.log.Warn("Connection with master lost.")
			r.s.log.Info("Caching the disconnected master state.")
		}
		old.stopAndWait()
	}
	// Clients blocked on keys would wait for writes that now come from the master only;
	// this node's own replicas must resync with the new history.
	r.disconnectReplicas()
	if set := r.s.cfg.SetReplicaOf; set != nil {
		set(host, port)
	}
	l := &masterLink{r: r, host: host, port: port, stop: make(chan struct{}), done: make(chan struct{})}
	r.mu.Lock()
	r.link = l
	r.replica.Store(true)
	r.mu.Unlock()
	if old == nil {
		// replicationCacheMasterUsingMyself: a master becoming a replica offers its own
		// history to the new master.
		r.s.log.Info("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.")
	}
	r.s.log.Info(fmt.Sprintf("Connecting to MASTER %s:%d", host, port))
	go l.run()
}

// unsetMaster turns a replica into a master keeping its data (REPLICAOF NO ONE): its history
// moves to the secondary id, so its own replicas (and the old master's other replicas)
// continue partially (PSYNC2).
func (r *replState) unsetMaster() bool {
	r.mu.Lock()
	l := r.link
	r.link = nil
	r.mu.Unlock()
	if l == nil {
		return false
	}
	if set := r.s.cfg.SetReplicaOf; set != nil {
		set("", 0)
	}
	connected, cached := l.state.Load() == linkConnected, r.hasHistory()
	l.stopAndWait()
	r.applyMu.Lock()
	oldID, _, _, off := r.stream.IDs()
	newID := randomHex(40)
	r.stream.Shift(newID)
	r.stream.Activate()
	r.stream.ForceSelect()
	r.replica.Store(false)
	r.applyMu.Unlock()
	// replicationUnsetMaster (this node is a master by now): the master client is freed
	// (and cached), the cache discarded, then the history shifted.
	if connected {
		r.s.log.Warn("Connection with master lost.")
		r.s.log.Info("Caching the disconnected master state.")
	}
	if cached {
		r.s.log.Info("Discarding previously cached master state.")
	}
	r.s.log.Warn(fmt.Sprintf("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", oldID, off+1, newID))
	r.disconnectReplicas() // they learn the new id by reconnecting (+CONTINUE <newid>)
	r.mu.Lock()
	r.noneSince = time.Now() // the backlog's TTL counts from the promotion
	r.mu.Unlock()
	return true
}

func (r *replState) disconnectReplicas() {
	r.mu.Lock()
	reps := r.replicaList()
	r.mu.Unlock()
	for _, rc := range reps {
		rc.c.close()
	}
}

// masterDB is the master client's selected db (0 when not streaming).
func (r *replState) masterDB() int {
	r.mu.Lock()
	l := r.link
	r.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mc == nil {
		return 0
	}
	return l.mc.db
}

func (l *masterLink) stopAndWait() {
	l.signalStop()
	<-l.done
}

// signalStop asks the link to end and breaks its connection.
func (l *masterLink) signalStop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.mu.Lock()
	if l.conn != nil {
		l.conn.Close()
	}
	l.mu.Unlock()
}

func (l *masterLink) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

func (l *masterLink) run() {
	defer close(l.done)
	for !l.stopped() {
		err := l.syncOnce()
		if l.stopped() {
			return
		}
		if l.state.Load() == linkConnected || l.downSince.Load() == 0 {
			l.downSince.Store(time.Now().UnixMilli())
		}
		l.state.Store(linkConnect)
		if err != nil {
			l.logLinkError(err) // repl_hooks.go
		}
		select {
		case <-l.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// syncOnce connects, synchronizes and applies the stream until the link breaks.
func (l *masterLink) syncOnce() error {
	r := l.r
	s := r.s
	timeout := time.Duration(r.timeout.Load()) * time.Second
	l.state.Store(linkConnecting)
	s.log.Info("MASTER <-> REPLICA sync started")
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(l.host, strconv.Itoa(l.port)), timeout)
	if err != nil {
		return fmt.Errorf("Error condition on socket for SYNC: %w", err)
	}
	s.log.Info("Non blocking connect for SYNC fired the event.")
	defer conn.Close()
	l.mu.Lock()
	l.conn = conn
	l.mu.Unlock()
	if l.stopped() {
		return nil
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(s.configValue("repl-disable-tcp-nodelay", "no") != "yes")
	}
	l.state.Store(linkHandshake)
	br := bufio.NewReaderSize(conn, 64<<10)
	id, _, _, off := r.stream.IDs()
	if !r.hasHistory() {
		id = ""
	}
	port := s.cfg.Port()
	if p, _ := strconv.Atoi(s.configValue("replica-announce-port", "0")); p != 0 {
		port = p
	}
	failover := r.failoverActive() // FAILOVER: this former master hands over to its target
	rep, err := replication.Handshake(conn, br, replication.HandshakeOptions{
		User: s.configValue("masteruser", ""), Pass: s.configValue("masterauth", ""),
		ListeningPort: port, AnnounceIP: s.configValue("replica-announce-ip", ""),
		ID: id, Offset: off, Timeout: timeout, Failover: failover,
		Log: func(line string) { s.log.Info(line) },
	})
	if failover {
		r.failoverHandshake(err)
	}
	if err != nil {
		return err
	}
	l.lastIO.Store(time.Now().UnixMilli())
	db := 0
	if rep.Full {
		s.log.Info(fmt.Sprintf("Full resync from master: %s:%d", rep.ID, rep.Offset))
		l.state.Store(linkTransfer)
		if db, err = l.fullSync(conn, br, rep, id != ""); err != nil {
			return err
		}
	} else {
		s.log.Info("Successful partial resynchronization with master.")
		// The stream goes on from this node's offset, also on a link to a new master.
		l.applied.Store(off)
		l.readOff.Store(off)
		if rep.ID != "" && rep.ID != id {
			s.log.Warn("Master replication ID changed to " + rep.ID)
			r.applyMu.Lock()
			r.stream.Shift(rep.ID)
			r.applyMu.Unlock()
			r.disconnectReplicas()
		}
		db = l.lastDB
		s.log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	}
	return l.stream(conn, br, db)
}

// hasHistory reports whether this node's data has a replication history a master may
// continue: a previous sync, a promotion, or being a master (a demoted master asks to
// continue its own history).
func (r *replState) hasHistory() bool { return !r.noHistory.Load() }

// fullSync receives the RDB into a temp file, then replaces the dataset with it.
// cached says whether this node asked to continue a history (Redis's cached master, which
// a full sync discards).
func (l *masterLink) fullSync(conn net.Conn, br *bufio.Reader, rep *replication.SyncReply, cached bool) (int, error) {
	r := l.r
	s := r.s
	dir := s.configValue("dir", ".")
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %w", err)
	}
	defer os.Remove(tmp)
	l.syncRead.Store(0)
	l.syncTotal.Store(-1)
	conn.SetReadDeadline(time.Time{})
	_, err = replication.ReadPayloadNotify(br, &progressWriter{f, l, conn, time.Duration(r.timeout.Load()) * time.Second}, func(size int64) {
		if size < 0 {
			s.log.Info("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
			return
		}
		l.syncTotal.Store(size)
		s.log.Info(fmt.Sprintf("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", size))
	})
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("I/O error trying to sync with MASTER: %w", err)
	}
	if l.stopped() {
		return 0, errors.New("stopped")
	}
	if cached {
		s.log.Info("Discarding previously cached master state.")
	}
	db, err := l.load(tmp, rep)
	if err != nil {
		return 0, err
	}
	// A disk-less master waits for this ACK before streaming.
	l.sendAck()
	return db, nil
}

// load replaces the dataset with the RDB file and takes the master's history.
func (l *masterLink) load(path string, rep *replication.SyncReply) (int, error) {
	r := l.r
	s := r.s
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	s.world.Lock()
	defer s.world.Unlock()
	r.disconnectReplicas()
	s.log.Info("MASTER <-> REPLICA sync: Flushing old data")
	r.noHistory.Store(true)
	if err := s.eng.FlushAll(); err != nil {
		return 0, err
	}
	s.touchWatchedOnFlush(-1)
	s.log.Info("MASTER <-> REPLICA sync: Loading DB in memory")
	res, err := s.eng.LoadRDB(bufio.NewReaderSize(f, 1<<20), engine.LoadOptions{})
	if err == nil {
		// The master's function libraries (a Redis master's RDB carries them), added over ours:
		// not a flush as Redis does, since a slotdb master's RDB does not carry them yet.
		err = s.LoadFunctionLibraries(res.Functions, false) // functions_load.go
	}
	if err != nil {
		return 0, fmt.Errorf("Failed trying to load the MASTER synchronization DB from disk: %w", err)
	}
	s.logRDBLoaded(res) // repl_hooks.go
	db := 0
	for _, a := range res.Aux {
		if string(a.Key) == "repl-stream-db" {
			if n, err := strconv.Atoi(string(a.Value)); err == nil && n >= 0 && n < s.eng.Databases() {
				db = n
			}
		}
	}
	r.stream.SetHistory(rep.ID, rep.Offset)
	r.stream.Activate()
	r.noHistory.Store(false)
	l.applied.Store(rep.Offset)
	l.readOff.Store(rep.Offset)
	s.log.Info("MASTER <-> REPLICA sync: Finished with success")
	return db, nil
}

// progressWriter counts the transfer for INFO and keeps the link's read deadline moving.
type progressWriter struct {
	w       *os.File
	l       *masterLink
	conn    net.Conn
	timeout time.Duration
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.l.syncRead.Add(int64(len(b)))
	p.l.lastIO.Store(time.Now().UnixMilli())
	p.conn.SetReadDeadline(time.Now().Add(p.timeout))
	return p.w.Write(b)
}

// stream applies the master's commands until the link breaks.
func (l *masterLink) stream(conn net.Conn, br *bufio.Reader, db int) error {
	r := l.r
	s := r.s
	mc := s.newMasterClient(conn, db)
	l.mu.Lock()
	l.mc = mc
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.lastDB = mc.db
		l.mc = nil
		l.mu.Unlock()
	}()
	l.state.Store(linkConnected)
	stopAcks := make(chan struct{})
	defer close(stopAcks)
	go l.ackLoop(stopAcks)
	cr := replication.NewCommandReader(br)
	cr.Keep = true
	timeout := time.Duration(r.timeout.Load()) * time.Second
	base := l.applied.Load()
	b := &applyBatch{l: l, mc: mc} // repl_apply.go
	for {
		conn.SetReadDeadline(time.Now().Add(timeout))
		argv, err := cr.ReadCommand()
		if err != nil {
			if l.stopped() {
				return nil
			}
			return masterLostError{err}
		}
		l.lastIO.Store(time.Now().UnixMilli())
		// The commands already buffered are applied as one run, with one commit.
		err = b.collect(cr, argv, base)
		l.readOff.Store(base + cr.Offset())
		r.applyMu.Lock()
		if aerr := b.applyAll(r.readOnly.Load()); err == nil {
			err = aerr
		}
		r.applyMu.Unlock()
		if err != nil {
			if l.stopped() {
				return nil
			}
			return masterLostError{err}
		}
		if mc.closed.Load() {
			return errMasterClientClosed
		}
	}
}

// newMasterClient is the client the master's commands run as.
func (s *Server) newMasterClient(conn net.Conn, db int) *Client {
	c := &Client{
		s: s, id: s.nextID.Add(1), conn: conn, w: resp.Writer{Proto: 2}, created: time.Now(),
		laddr: conn.LocalAddr().String(), raddr: conn.RemoteAddr().String(), lastCmd: "NULL",
		fd: -1, done: make(chan struct{}), authed: true, master: true, db: db,
		replyMode: replyOff,
	}
	c.lastInteraction.Store(time.Now().UnixMilli())
	return c
}

// ackLoop sends REPLCONF ACK every second (replicationCron).
func (l *masterLink) ackLoop(stop chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			l.sendAck()
		}
	}
}

// sendAck reports the applied offset to the master.
func (l *masterLink) sendAck() {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn == nil {
		return
	}
	b := replication.AppendCommand(nil, []byte("REPLCONF"), []byte("ACK"), strconv.AppendInt(nil, l.applied.Load(), 10))
	l.wmu.Lock()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	conn.Write(b)
	conn.SetWriteDeadline(time.Time{})
	l.wmu.Unlock()
}

// sendAck answers the master's REPLCONF GETACK.
func (r *replState) sendAck() {
	r.mu.Lock()
	l := r.link
	r.mu.Unlock()
	if l != nil {
		l.sendAck()
	}
}
