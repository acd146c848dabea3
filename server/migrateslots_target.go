package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
)

// The target side of a native slot migration (cmd_migrateslots.go has the overview).

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
	// CLIENT LIST names the running command, as Redis does (cmd=cluster|syncslots).
	c.lastCmd = "cluster|syncslots"
	c.publish()
	err := m.importRun(c, j)
	if err != nil && j.cancelled() {
		err = errMigCancelled // the reason is the job's (FLUSHALL on this node)
	}
	j.finish(err)
	if err != nil {
		_, msg := j.status()
		s.log.Warn(fmt.Sprintf("Slot import %s of slots %s from %.40s: %s", name, cluster.FormatRanges(ranges), source, msg))
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		cluster.WriteFrame(c.conn, cluster.FrameFailed, []byte(msg))
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
			m.resyncReplicas("promoted records of slots " + cluster.FormatRanges(j.ranges) + " dropped")
		}
		s.eng.SetMarker(migImportMarker, nil)
	}()
	if err := s.eng.SetMarker(migImportMarker, []byte(cluster.FormatRanges(j.ranges))); err != nil {
		return err
	}
	// A cancel (FLUSHALL here) stops the reading; the Failed frame still goes out.
	go func() {
		select {
		case <-j.cancel:
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.CloseRead()
			} else {
				conn.Close()
			}
		case <-j.ended:
		}
	}()
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
	tEnd := time.Now()
	if err := im.Promote(); err != nil {
		return fmt.Errorf("promoting: %w", err)
	}
	promoted = true
	// The replicas sync again from a snapshot that has the records (migrateslots_replicas.go).
	resyncAt := m.resyncReplicas("records of slots " + cluster.FormatRanges(j.ranges) + " promoted")
	tPromoted := time.Now()
	mc := s.newMasterClient(conn, 0)
	cr := replication.NewCommandReader(bufio.NewReader(bytes.NewReader(pending)))
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
	tApplied := time.Now()
	time.Sleep(migStall("handover"))
	if err := s.eng.SyncWAL(); err != nil {
		return err
	}
	tSynced := time.Now()
	j.mu.Lock()
	if j.abandoned {
		j.mu.Unlock()
		return errors.New("the source gave the hand-over up")
	}
	if j.cancelled() {
		j.mu.Unlock()
		return errMigCancelled
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
	tOwned := time.Now()
	conn.SetWriteDeadline(time.Now().Add(migLinkTimeout))
	cluster.WriteFrame(conn, cluster.FrameOwned, nil)
	m.dropReplicasBefore(resyncAt)        // one that was attaching during resyncReplicas
	s.eng.SetMarker(migImportMarker, nil) // owned: a restart now keeps the slots anyway
	// Announce once the source gave the slots (it closes the link after dropping them), or
	// after a second: see cluster/state/handover.go.
	conn.SetReadDeadline(time.Now().Add(time.Second))
	cluster.ReadFrame(br)
	m.n.Do(func(now int64, st *state.State) state.Output { return st.Announce(now) })
	ms := func(a, b time.Time) int64 { return b.Sub(a).Milliseconds() }
	s.log.Info(fmt.Sprintf("Slot import %s hand-over: promote %d ms, %d forwarded writes applied in %d ms, WAL sync %d ms, take-over %d ms",
		j.name, ms(tEnd, tPromoted), j.forwarded.Load(), ms(tPromoted, tApplied), ms(tApplied, tSynced), ms(tSynced, tOwned)))
	return nil
}
