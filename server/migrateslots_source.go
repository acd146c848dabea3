package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
)

// The source side of a native slot migration (cmd_migrateslots.go has the overview).

// export runs a job on the source.
func (m *migrations) export(j *migJob) {
	s := m.s
	err := m.exportRun(j)
	if err != nil && j.cancelled() {
		// The cancel closed the link: whichever step noticed first, the job was cancelled
		// (exportRun fails only while the source keeps the slots).
		err = errMigCancelled
	}
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
	// Nodes of one cluster authenticate to each other as replicas do: masteruser/masterauth.
	var req []byte
	auth := 0
	if pass := m.s.configValue("masterauth", ""); pass != "" {
		av := [][]byte{[]byte("AUTH"), []byte(pass)}
		if user := m.s.configValue("masteruser", ""); user != "" {
			av = [][]byte{[]byte("AUTH"), []byte(user), []byte(pass)}
		}
		req = cluster.AppendCommand(req, av)
		auth = 1
	}
	if _, err := conn.Write(cluster.AppendCommand(req, argv)); err != nil {
		conn.Close()
		return nil, nil, "", err
	}
	br := bufio.NewReaderSize(conn, 256<<10)
	var line string
	for i := 0; i <= auth; i++ {
		line, err = br.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, nil, "", err
		}
		if i < auth && !strings.HasPrefix(line, "+OK") {
			conn.Close()
			return nil, nil, "", fmt.Errorf("AUTH with masterauth: %s", strings.TrimSpace(line))
		}
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
	t0 := time.Now()
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
	tSnap := time.Now()
	sent, err := cluster.SendSlots(lockedWriter{conn}, snap, j.ranges, cluster.SendOptions{
		Progress:       func(recs, bytes int64) { j.records.Store(recs); j.bytes.Store(bytes) },
		MaxBytesPerSec: migRateLimit(),
	})
	wmu.Unlock()
	snap.Close()
	tSent := time.Now()
	if err != nil {
		if j.cancelled() {
			return errMigCancelled
		}
		if why := failedFrame(frames); why != "" {
			return fmt.Errorf("the target failed: %s", why)
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
	tStaged := time.Now()
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
	stall := migStall("catchup")
	for (r.stream.Offset()-consumed.Load() > migLagToPause || time.Since(catchUp) < stall) && time.Since(catchUp) < migCatchUpLimit {
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
	// Pause the slots, drain what runs, forward the rest: from End on the job runs to its end.
	// The state changes under j.mu with the cancel checked: CANCEL no longer applies then.
	j.mu.Lock()
	if j.cancelled() {
		j.mu.Unlock()
		return errMigCancelled
	}
	j.state, j.message, j.updated = migStatePaused, "", time.Now()
	j.mu.Unlock()
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
	tOwned := time.Now()
	m.redirectBlocked() // clients blocked on the moved keys get MOVED now
	m.tellReplicasDropped(j.ranges)
	if e := s.eng.DropSlots(j.ranges); e != nil {
		s.log.Warn("Slot migration: dropping the handed-over slots: " + e.Error())
	}
	ms := func(a, b time.Time) int64 { return b.Sub(a).Milliseconds() }
	s.log.Info(fmt.Sprintf("Slot migration %s: snapshot %d ms, records %d ms (%d records, %d bytes, %d on the wire), "+
		"target staging %d ms, catch-up %d ms (%d writes forwarded), pause %d ms, drop %d ms",
		j.name, ms(t0, tSnap), ms(tSnap, tSent), sent.Records, sent.Bytes, sent.WireBytes, ms(tSent, tStaged),
		ms(tStaged, pauseStart), j.forwarded.Load(), j.pauseMs.Load(), ms(tOwned, time.Now())))
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

// failedFrame returns the reason of a Failed frame that arrives soon (the target that broke
// the stream off says why first), or "".
func failedFrame(frames chan [2]any) string {
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case f := <-frames:
			if typ, ok := f[0].(byte); ok && typ == cluster.FrameFailed {
				return string(f[1].([]byte))
			}
			if _, isErr := f[1].(error); isErr {
				return ""
			}
		case <-t.C:
			return ""
		}
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
