package cluster

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/internal/proctest"
)

// A link whose peer stopped reading is freed once its send buffer passes
// cluster-link-sendbuf-limit, counted in CLUSTER INFO, and dialed again.
func TestLinkSendBufLimit(t *testing.T) {
	n, _ := testNode(t)
	// The peer: a bus port that accepts and never reads.
	peerPort := proctest.FreePort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(peerPort+proctest.BusOffset))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	doCmd(t, n, func(now int64, st *state.State) (state.Output, error) {
		return st.Meet(now, []string{"127.0.0.1", strconv.Itoa(peerPort)})
	})
	var first net.Conn
	select {
	case first = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the node never connected to the peer")
	}
	// Fill the link: more than the socket buffers take, with no limit set yet.
	var link *conn
	waitUntil(t, 5*time.Second, "the link bound to the peer", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, li := range n.st.Links() {
			if c := n.conns[li.ID]; c != nil && !li.Inbound {
				link = c
				return true
			}
		}
		return false
	})
	for range 16 {
		link.enqueue(make([]byte, 4<<20), 0)
	}
	time.Sleep(300 * time.Millisecond) // cron passes: nothing freed without a limit
	if got := exceeded(n); got != "0" {
		t.Fatalf("freed without a limit: %s", got)
	}
	if link.sendBuf() <= 1<<20 {
		t.Fatalf("send buffer %d: the peer is reading?", link.sendBuf())
	}
	n.SetLinkSendBufLimit(1 << 20)
	waitUntil(t, 5*time.Second, "the link freed", func() bool { return exceeded(n) == "1" })
	if link.sendBuf() != 0 {
		t.Fatalf("freed link still holds %d bytes", link.sendBuf())
	}
	first.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not reconnect after freeing the link")
	}
}

func exceeded(n *Node) string {
	var info string
	n.View(func(_ int64, st *state.State) { info = st.Info() })
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "total_cluster_links_buffer_limit_exceeded:"); ok {
			return v
		}
	}
	return "missing"
}
