package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
)

// Master side of replication: a replica connects as a client, announces itself with REPLCONF,
// then PSYNC (or SYNC) turns the connection into a replica. A full sync sends an RDB of a
// snapshot taken at exactly the offset announced in +FULLRESYNC, then the stream from that
// offset; a partial one (+CONTINUE) sends the stream from the backlog. One goroutine per
// replica writes; the client's own goroutine keeps reading its REPLCONF ACKs. Replies to a
// replica's commands are dropped, as Redis does.

// Replica states, as INFO prints them.
const (
	replicaWaitBgsave = iota
	replicaSendBulk
	replicaOnline
)

var replicaStateNames = [...]string{"wait_bgsave", "send_bulk", "online"}

// replicaHello is what a connection announced with REPLCONF before PSYNC.
type replicaHello struct {
	port    int
	ip      string
	capaEOF bool
	psync2  bool
	rdbOnly bool
}

// replicaConn is a connection that became a replica.
type replicaConn struct {
	c        *Client
	hello    replicaHello
	state    atomic.Int32
	ackOff   atomic.Int64
	ackTime  atomic.Int64 // unix ms
	firstAck chan struct{}
	acked    atomic.Bool
	since    time.Time
}

func (rc *replicaConn) address() (string, int) {
	ip := rc.hello.ip
	if ip == "" {
		ip, _ = splitHostPort(rc.c.raddr)
	}
	return ip, rc.hello.port
}

func (rc *replicaConn) name() string {
	ip, port := rc.address()
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// sortReplicas orders replicas by when they attached (INFO's slaveN order).
func sortReplicas(reps []*replicaConn) []*replicaConn {
	sort.Slice(reps, func(i, j int) bool { return reps[i].since.Before(reps[j].since) })
	return reps
}

// cmdReplconf is REPLCONF: options before PSYNC, ACK and GETACK after.
func cmdReplconf(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.Error(errSyntax)
		return
	}
	for i := 1; i < len(args); i += 2 {
		opt, val := args[i], args[i+1]
		switch {
		case eqFold(opt, "listening-port"):
			n, ok := parseInt(val)
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			c.replHello.port = int(n)
		case eqFold(opt, "ip-address"):
			if len(val) >= 46 { // NET_HOST_STR_LEN
				c.w.Error("ERR REPLCONF ip-address provided by replica instance is too long: " + strconv.Itoa(len(val)) + " bytes")
				return
			}
			c.replHello.ip = string(val)
		case eqFold(opt, "capa"):
			switch {
			case eqFold(val, "eof"):
				c.replHello.capaEOF = true
			case eqFold(val, "psync2"):
				c.replHello.psync2 = true
			}
		case eqFold(opt, "ack"):
			// A replica's ACK: no reply ever.
			if rc := c.replica; rc != nil {
				if n, ok := parseInt(val); ok && n > rc.ackOff.Load() {
					rc.ackOff.Store(n)
				}
				rc.ackTime.Store(time.Now().UnixMilli())
				if !rc.acked.Swap(true) {
					close(rc.firstAck)
				}
				c.s.repl.ackArrived()
			}
			return
		case eqFold(opt, "getack"):
			// The master asks its replica (this node) for its offset.
			if c.master {
				c.s.repl.sendAck()
			}
			return
		case eqFold(opt, "rdb-only"):
			n, ok := parseInt(val)
			if !ok || (n != 0 && n != 1) {
				c.w.Error(errNotInt)
				return
			}
			c.replHello.rdbOnly = n == 1
		default:
			c.w.Error("ERR Unrecognized REPLCONF option: " + string(opt))
			return
		}
	}
	c.w.OK()
}

// cmdPsync is PSYNC replid offset and SYNC.
func cmdPsync(c *Client, args [][]byte) {
	s := c.s
	r := s.repl
	if c.replica != nil || c.master {
		return // already a replica: ignored, as Redis does
	}
	if len(args) > 3 && eqFold(args[0], "psync") && eqFold(args[3], "failover") && !c.failoverPsync(args) {
		return
	}
	if r.failoverActive() {
		c.w.Error("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if r.isReplica() && !r.linkUp() {
		c.w.Error("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	if c.tx.active {
		c.w.Error("ERR Replica can't be in a transaction")
		return
	}
	psync := eqFold(args[0], "psync")
	// Snapshots need the world exclusively; this handler holds it shared. applyMu first:
	// a replica's apply loop takes it before the world.
	held := c.releaseWorld()
	defer c.reacquireWorld(held)
	r.applyMu.Lock()
	s.world.Lock()
	rc := &replicaConn{c: c, hello: c.replHello, firstAck: make(chan struct{}), since: time.Now()}
	rc.ackTime.Store(time.Now().UnixMilli())
	s.log.Info(fmt.Sprintf("Replica %s asks for synchronization", rc.name()))
	if psync && len(args) >= 3 && !c.replHello.rdbOnly {
		if off, ok := parseInt(args[2]); ok && r.stream.CanContinue(string(args[1]), off) {
			cur, err := r.stream.NewCursor(off - 1)
			if err == nil {
				s.world.Unlock()
				r.applyMu.Unlock()
				id, _, _, myOff := r.stream.IDs()
				r.syncPartialOK.Add(1)
				if c.replHello.psync2 {
					c.w.Simple("CONTINUE " + id)
				} else {
					c.w.Simple("CONTINUE")
				}
				if c.flush() != nil {
					return
				}
				rc.state.Store(replicaOnline)
				rc.ackOff.Store(off - 1)
				r.attach(rc)
				s.log.Info(fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", rc.name(), myOff-off+1, off))
				go s.serveReplica(rc, nil, cur, 0)
				return
			}
		}
	}
	// Sync statistics as syncCommand counts them: a PSYNC that could not continue is a
	// partial_err unless the replica asked with "?" (a full sync on purpose).
	if psync && len(args) >= 3 {
		if len(args[1]) == 0 || args[1][0] != '?' {
			r.syncPartialErr.Add(1)
		}
		r.logPartialRefused(rc, string(args[1]), args[2])
	}
	r.syncFull.Add(1)
	snap, off, streamDB, cur, err := s.syncPoint()
	s.world.Unlock()
	r.applyMu.Unlock()
	if err != nil {
		c.storeError(err)
		return
	}
	id, _, _, _ := r.stream.IDs()
	if psync {
		c.w.Simple("FULLRESYNC " + id + " " + strconv.FormatInt(off, 10))
		if c.flush() != nil {
			snap.Close()
			return
		}
	} else {
		rc.hello.capaEOF = false // SYNC: the old protocol knows only the $len form
	}
	rc.ackOff.Store(off)
	r.attach(rc)
	go s.serveReplica(rc, snap, cur, streamDB)
}

// syncPoint takes a snapshot and the stream offset it corresponds to exactly, and a cursor
// on the stream there. The caller holds applyMu and the world exclusively, so no command
// is mid-flight; only the engine's own expiry may commit meanwhile, and a commit's
// propagation completes before Snapshot returns (both hold the engine's global lock), so
// an unchanged offset around the snapshot proves the two match.
func (s *Server) syncPoint() (*engine.Snapshot, int64, int, *replication.Cursor, error) {
	r := s.repl
	if r.stream.Activate() {
		id, id2, _, _ := r.stream.IDs()
		s.log.Info(fmt.Sprintf("Replication backlog created, my new replication IDs are '%s' and '%s'", id, id2))
	}
	for {
		before := r.stream.Offset()
		snap, err := s.eng.Snapshot()
		if err != nil {
			return nil, 0, 0, nil, err
		}
		if r.stream.Offset() != before {
			snap.Close()
			continue
		}
		streamDB := 0
		if r.isReplica() {
			// Passed-on stream: the replica's replica learns the stream's db from the RDB.
			streamDB = max(r.stream.StreamDB(), r.masterDB())
		} else {
			r.stream.ForceSelect() // the next command selects its db
		}
		cur, err := r.stream.NewCursor(before)
		if err != nil {
			snap.Close()
			return nil, 0, 0, nil, err
		}
		return snap, before, streamDB, cur, nil
	}
}

func (r *replState) attach(rc *replicaConn) {
	rc.c.replica = rc
	r.mu.Lock()
	r.replicas[rc] = struct{}{}
	r.mu.Unlock()
}

func (r *replState) detach(rc *replicaConn) {
	r.mu.Lock()
	delete(r.replicas, rc)
	r.mu.Unlock()
}

// replicaWriter writes to a replica's connection with the write deadline of repl-timeout.
type replicaWriter struct {
	c       *Client
	timeout time.Duration
}

func (w replicaWriter) Write(p []byte) (int, error) {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	w.c.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	n, err := w.c.conn.Write(p)
	w.c.s.stats.netOutput.Add(int64(n))
	return n, err
}

// replicaHardLimit is how far a replica may fall behind the stream before it is dropped
// (client-output-buffer-limit replica's default hard limit).
const replicaHardLimit = 256 << 20

// serveReplica sends the RDB (when snap is set) then the stream from cur, until the
// connection ends.
func (s *Server) serveReplica(rc *replicaConn, snap *engine.Snapshot, cur *replication.Cursor, streamDB int) {
	r := s.repl
	c := rc.c
	defer func() {
		r.detach(rc)
		c.close()
		s.log.Warn("Connection with replica " + rc.name() + " lost.")
	}()
	w := replicaWriter{c, time.Duration(r.timeout.Load()) * time.Second}
	if snap != nil {
		rc.state.Store(replicaSendBulk)
		err := s.sendRDB(rc, w, snap, cur.Offset(), streamDB)
		snap.Close()
		if err != nil {
			s.log.Warn("Full synchronization with replica " + rc.name() + " failed: " + err.Error())
			return
		}
		if rc.hello.rdbOnly {
			return
		}
		if rc.hello.capaEOF {
			// A disk-less replica ACKs once it has loaded: stream only then (Redis's
			// repl_start_cmd_stream_on_ack), so the stream never follows the mark in one read.
			select {
			case <-rc.firstAck:
			case <-c.done:
				return
			}
		}
		s.log.Info("Synchronization with replica " + rc.name() + " succeeded")
		rc.ackTime.Store(time.Now().UnixMilli())
	}
	rc.state.Store(replicaOnline)
	buf := make([]byte, 64<<10)
	for {
		changed := r.stream.Changed()
		n, lag := cur.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			continue
		}
		if lag > replicaHardLimit {
			s.log.Warn("Client " + rc.name() + " scheduled to be closed ASAP for overcoming of output buffer limits.")
			return
		}
		select {
		case <-changed:
		case <-c.done:
			return
		case <-s.done:
			return
		}
	}
}

// sendRDB writes the snapshot as the full-sync payload: "$EOF:<mark>\r\n" RDB mark for a
// replica that can read it (capa eof, repl-diskless-sync yes), else a temp file then
// "$<len>\r\n" RDB.
func (s *Server) sendRDB(rc *replicaConn, w io.Writer, snap *engine.Snapshot, off int64, streamDB int) error {
	id, _, _, _ := s.repl.stream.IDs()
	aux := [][2]string{{"repl-stream-db", strconv.Itoa(streamDB)}, {"repl-id", id}, {"repl-offset", strconv.FormatInt(off, 10)}}
	if rc.hello.capaEOF && s.configValue("repl-diskless-sync", "yes") == "yes" {
		s.log.Info("Starting BGSAVE for SYNC with target: replicas sockets")
		mark := replication.NewEOFMark()
		bw := bufio.NewWriterSize(w, 64<<10)
		bw.WriteString("$EOF:")
		bw.Write(mark)
		bw.WriteString("\r\n")
		if err := s.writeRDB(bw, snap, false, aux...); err != nil {
			return err
		}
		bw.Write(mark)
		if err := bw.Flush(); err != nil {
			return err
		}
		s.log.Info("Streamed RDB transfer with replica " + rc.name() + " succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming")
		return nil
	}
	s.log.Info("Starting BGSAVE for SYNC with target: disk")
	dir := s.configValue("dir", ".")
	tmp := filepath.Join(dir, fmt.Sprintf("temp-repl-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	defer os.Remove(tmp)
	// Newlines keep the replica's link alive while the file is written, as Redis sends them
	// during a BGSAVE.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				w.Write([]byte("\n"))
			}
		}
	}()
	err := writeFileSync(tmp, tmp, func(fw io.Writer) error { return s.writeRDB(fw, snap, false, aux...) })
	close(stop)
	<-done
	if err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("$" + strconv.FormatInt(st.Size(), 10) + "\r\n")); err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// logPartialRefused logs why a PSYNC gets a full sync, as masterTryPartialResynchronization
// words it.
func (r *replState) logPartialRefused(rc *replicaConn, id string, offArg []byte) {
	log := r.s.log
	myID, id2, off2, myOff := r.stream.IDs()
	off, _ := parseInt(offArg)
	if id != myID && (id != id2 || off > off2) {
		switch {
		case strings.HasPrefix(id, "?"):
			log.Info("Full resync requested by replica " + rc.name())
		case id != myID && id != id2:
			log.Info(fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", id, myID, id2))
		default:
			log.Info(fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", off, off2))
		}
		return
	}
	log.Info(fmt.Sprintf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", rc.name(), off))
	if off > myOff {
		log.Warn(fmt.Sprintf("Warning: replica %s tried to PSYNC with an offset that is greater than the master replication offset.", rc.name()))
	}
}
