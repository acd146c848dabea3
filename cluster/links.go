package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/state"
)

// conn is one bus connection: a send queue drained by a writer goroutine and a reader
// goroutine feeding Step. An outbound conn exists (and queues) before its dial completes.
type conn struct {
	id state.LinkID

	mu     sync.Mutex
	nc     net.Conn // nil while dialing
	queue  [][]byte
	bytes  int64  // queued plus being written: the link's send buffer
	gen    uint64 // nodes.conf save the queued messages wait for (persist.go)
	closed bool
	wake   chan struct{} // cap 1: the writer has work or must stop
}

func newConn(id state.LinkID, nc net.Conn) *conn {
	return &conn{id: id, nc: nc, wake: make(chan struct{}, 1)}
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue appends an encoded message to the send buffer; it goes out once nodes.conf
// save gen is done.
func (c *conn) enqueue(b []byte, gen uint64) {
	c.mu.Lock()
	if !c.closed {
		c.queue = append(c.queue, b)
		c.bytes += int64(len(b))
		c.gen = max(c.gen, gen)
	}
	c.mu.Unlock()
	c.signal()
}

// shutdown closes the socket and stops both goroutines; it never reports LinkClosed.
func (c *conn) shutdown() {
	c.mu.Lock()
	c.closed = true
	c.queue = nil
	c.bytes = 0
	nc := c.nc
	c.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	c.signal()
}

// attach sets the socket of a dialed conn; false if the conn was closed meanwhile.
func (c *conn) attach(nc net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.nc = nc
	return true
}

// writeLoop writes queued messages until the conn closes or a write fails.
func (n *Node) writeLoop(c *conn) {
	defer n.wg.Done()
	for {
		<-c.wake
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		batch := net.Buffers(c.queue)
		c.queue = nil
		nc, gen := c.nc, c.gen
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		// What these messages say must be in nodes.conf first (Redis writes them after
		// beforeSleep saved it).
		n.waitSaved(gen)
		var size int64
		for _, b := range batch {
			size += int64(len(b))
		}
		nc.SetWriteDeadline(time.Now().Add(n.writeTimeout()))
		if _, err := batch.WriteTo(nc); err != nil {
			n.linkFailed(c)
			return
		}
		c.mu.Lock()
		if !c.closed {
			c.bytes -= size
		}
		c.mu.Unlock()
	}
}

// sendBuf returns the bytes waiting to be written on c.
func (c *conn) sendBuf() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// SetLinkSendBufLimit sets cluster-link-sendbuf-limit in bytes (0: no limit).
func (n *Node) SetLinkSendBufLimit(v int64) { n.sendBufLimit.Store(v) }

// freeFullLinksLocked is clusterNodeCronFreeLinkOnBufferLimitReached for every link bound
// to a node: one whose send buffer went over cluster-link-sendbuf-limit (a peer that stopped
// reading) is freed and counted in total_cluster_links_buffer_limit_exceeded; the cron
// reconnects it. The caller holds n.mu.
func (n *Node) freeFullLinksLocked(now int64) {
	limit := n.sendBufLimit.Load()
	if limit <= 0 {
		return
	}
	for _, li := range n.st.Links() {
		c := n.conns[li.ID]
		if c == nil {
			continue
		}
		size := c.sendBuf()
		if size <= limit {
			continue
		}
		dir := "to"
		if li.Inbound {
			dir = "from"
		}
		n.log.Warn(fmt.Sprintf("Freeing cluster link(%s node %.40s, used memory: %d) due to exceeding send buffer memory limit.", dir, li.NodeID, size))
		delete(n.conns, li.ID)
		c.shutdown()
		n.st.LinkBufferLimitExceeded()
		n.execLocked(n.st.LinkClosed(now, li.ID))
	}
}

func (n *Node) writeTimeout() time.Duration {
	return time.Duration(max(n.nodeTimeout.Load(), 1000)) * time.Millisecond
}

// readLoop frames and decodes messages and steps the state machine with each, in
// arrival order. A framing error closes the link; a packet that does not decode is
// counted and dropped, as Redis drops it.
func (n *Node) readLoop(c *conn, nc net.Conn) {
	defer n.wg.Done()
	r := bufio.NewReaderSize(nc, 16<<10)
	for {
		buf, err := bus.ReadFrame(r, 0)
		if err != nil {
			if bus.IsFraming(err) && !errors.Is(err, bus.ErrTruncated) {
				n.log.Warn("Bad message length or signature received on the Cluster bus.")
			}
			n.linkFailed(c)
			return
		}
		msg, err := bus.Decode(buf)
		n.mu.Lock()
		if n.conns[c.id] != c {
			n.mu.Unlock()
			return
		}
		if err != nil {
			n.malformed.Add(1)
			if len(buf) >= 14 {
				n.st.CountReceived(bus.MsgType(uint16(buf[12])<<8 | uint16(buf[13])))
			}
			n.log.Debug("Dropped a cluster bus packet: " + err.Error())
		} else {
			n.execLocked(n.st.Step(n.now(), c.id, msg))
		}
		n.mu.Unlock()
	}
}

// linkFailed reports a connection that broke by itself (not closed on request).
func (n *Node) linkFailed(c *conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[c.id] != c {
		return // already closed on the state machine's request
	}
	delete(n.conns, c.id)
	c.shutdown()
	n.execLocked(n.st.LinkClosed(n.now(), c.id))
}

// dial opens the outbound connection a Connect asked for; the caller holds n.mu.
func (n *Node) dial(cn state.Connect) {
	c := newConn(cn.Link, nil)
	n.conns[cn.Link] = c
	addr := net.JoinHostPort(cn.IP, strconv.Itoa(cn.CPort))
	timeout := n.writeTimeout()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		// A dial must not hold up Close for a whole node timeout.
		ctx, cancel := context.WithTimeout(n.ctx, timeout)
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		cancel()
		if err != nil {
			n.linkFailed(c)
			return
		}
		setupTCP(nc, n.nodeTimeout.Load())
		n.mu.Lock()
		if n.conns[c.id] != c || !c.attach(nc) {
			n.mu.Unlock()
			nc.Close()
			return
		}
		local := ""
		if ta, ok := nc.LocalAddr().(*net.TCPAddr); ok {
			local = ta.IP.String()
		}
		n.wg.Add(2)
		go n.writeLoop(c)
		go n.readLoop(c, nc)
		n.execLocked(n.st.LinkConnected(n.now(), c.id, local))
		n.mu.Unlock()
	}()
}

// acceptLoop takes inbound bus connections.
func (n *Node) acceptLoop(ln net.Listener) {
	defer n.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-n.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Debug("Error accepting cluster node: " + err.Error())
			time.Sleep(10 * time.Millisecond)
			continue
		}
		n.accept(nc)
	}
}

func (n *Node) accept(nc net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-n.done:
		nc.Close()
		return
	default:
	}
	setupTCP(nc, n.nodeTimeout.Load())
	peer, local := "", ""
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		peer = ta.IP.String()
	}
	if ta, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		local = ta.IP.String()
	}
	n.log.Debug("Accepting cluster node connection from " + peer)
	id := n.st.Accept(n.now(), peer, local)
	c := newConn(id, nc)
	n.conns[id] = c
	n.wg.Add(2)
	go n.writeLoop(c)
	go n.readLoop(c, nc)
}

// setupTCP sets TCP_NODELAY and keepalive as Redis does for bus sockets.
func setupTCP(nc net.Conn, nodeTimeout int64) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	tc.SetNoDelay(true)
	tc.SetKeepAlive(true)
	if p := time.Duration(nodeTimeout/1000*2) * time.Second; p > 0 {
		tc.SetKeepAlivePeriod(p)
	}
}
