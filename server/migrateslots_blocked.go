package server

import (
	"strconv"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// Clients blocked (BLPOP & co, BZPOPMIN, XREAD BLOCK ...) on a key of a slot this node no
// longer serves would wait for a write that never comes here. Redis's clientsCron answers
// them (clusterRedirectBlockedClientIfNeeded) within about a second of the change: -MOVED
// to the slot's owner, CLUSTERDOWN when the slot has none or the cluster is down; a client
// stays blocked while the slot is only IMPORTING here or when, READONLY, it reads a slot of
// its master. Checked against redis-server 7.0.15: a blocked BLPOP and XREAD get
// "MOVED 12182 127.0.0.1:port" after SETSLOT 12182 NODE. The sweep below does the same every
// redirectBlockedEvery, whatever moved the slot (native migration, SETSLOT NODE, a master
// demoted by failover), and a native migration's hand-over runs it at once.

const redirectBlockedEvery = time.Second

func (m *migrations) redirectBlockedLoop() {
	t := time.NewTicker(redirectBlockedEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.redirectBlocked()
		case <-m.s.done:
			return
		}
	}
}

// redirectBlocked answers the blocked clients whose first key's slot is not served here.
func (m *migrations) redirectBlocked() {
	s := m.s
	b := &s.blk
	if b.nwaiters.Load() == 0 {
		return
	}
	// The client's fields are read under b.mu while it is queued: a client leaves
	// blockKeys only through b.mu, so it runs no other command meanwhile.
	type blocked struct {
		wt       *waiter
		slot     int
		readRead bool // READONLY and XREAD: may read its master's slots
	}
	b.mu.Lock()
	seen := map[*waiter]bool{}
	var list []blocked
	for _, q := range b.queues {
		for e := q.Front(); e != nil; e = e.Next() {
			wt := e.Value.(*waiter)
			if seen[wt] || len(wt.keys) == 0 {
				continue
			}
			seen[wt] = true
			c := wt.c
			list = append(list, blocked{wt, int(keyslot.Of([]byte(wt.keys[0]))),
				c.readonly && len(c.argv) > 0 && eqFold(c.argv[0], "xread")})
		}
	}
	b.mu.Unlock()
	for _, x := range list {
		msg := m.blockedRedirect(x.slot, x.readRead)
		if msg == "" {
			continue
		}
		wt := x.wt
		wt.mu.Lock()
		answer := !wt.done && !wt.c.closed.Load()
		if answer {
			wt.out.Buf = wt.out.Buf[:0]
			wt.out.Error(msg)
			wt.done = true
		}
		wt.mu.Unlock()
		if answer { // as a serving pass does: the client's goroutine sends wt.out
			b.unregister(wt)
			close(wt.served)
		}
	}
}

// blockedRedirect is the error for a client blocked on slot when this node does not serve
// it, or "".
func (m *migrations) blockedRedirect(slot int, readRead bool) string {
	route, ok := m.n.Route(slot)
	switch {
	case !ok:
		return errDownState
	case route.Mine || route.Importing:
		return ""
	case !route.Served:
		return errDownUnbound
	case route.OwnerIsMaster && readRead:
		return ""
	}
	return "MOVED " + strconv.Itoa(slot) + " " + m.n.Addr(route.Owner)
}
