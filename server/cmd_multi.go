package server

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// MULTI, EXEC, DISCARD, WATCH and UNWATCH as Redis 7.0's multi.c. Commands after MULTI are
// queued by execute (queueCommand); a command the dispatcher refuses meanwhile (unknown,
// arity, NOAUTH, routing, subscribed context) marks the transaction dirty (flagTransaction)
// and EXEC then answers EXECABORT. EXEC runs the queue with the world held exclusively
// (atomic.go), so no other client's command runs in between.
//
// WATCH: the engine's write hook (Server.keyWritten) marks every client watching a changed
// key (touch); FLUSHDB, FLUSHALL and SWAPDB call touchWatchedOnFlush / touchWatchedOnSwap
// first; EXEC also aborts when a watched key that was live at WATCH is logically expired
// (isWatchedKeyExpired).

func init() {
	register("multi", cmdMulti)
	register("exec", cmdExec)
	register("discard", cmdDiscard)
	register("watch", cmdWatch)
	register("unwatch", cmdUnwatch)
}

// multiState is a client's transaction. Only the client's goroutine touches it, except
// dirtyCAS, which the write hook sets from any goroutine.
type multiState struct {
	active    bool     // between MULTI and EXEC/DISCARD (CLIENT_MULTI)
	dirtyExec bool     // a command was refused while queueing (CLIENT_DIRTY_EXEC)
	queue     []queued // commands to run at EXEC
	watched   []*watchedKey
	dirtyCAS  atomic.Bool // a watched key changed (CLIENT_DIRTY_CAS)
}

type queued struct {
	cmd  *command
	args [][]byte
}

// runsInMulti reports whether cmd runs at once after MULTI instead of being queued.
func runsInMulti(cmd *command) bool {
	switch cmd.meta.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// flagTransaction marks the transaction aborted: a command was refused while queueing.
func (c *Client) flagTransaction() {
	if c.tx.active {
		c.tx.dirtyExec = true
	}
}

// queueCommand queues cmd for EXEC and answers +QUEUED. A transaction already doomed keeps
// nothing, as queueMultiCommand.
func (s *Server) queueCommand(c *Client, cmd *command, args [][]byte) {
	if !c.tx.dirtyExec && !c.tx.dirtyCAS.Load() {
		c.tx.queue = append(c.tx.queue, queued{cmd, args})
	}
	c.w.Simple("QUEUED")
}

// discardTransaction ends the transaction and unwatches every key.
func (c *Client) discardTransaction() {
	c.tx.active, c.tx.dirtyExec = false, false
	c.tx.queue = nil
	c.unwatchAll()
	c.tx.dirtyCAS.Store(false)
}

func cmdMulti(c *Client, args [][]byte) {
	if c.tx.active {
		c.w.Error("ERR MULTI calls can not be nested")
		return
	}
	c.tx.active = true
	c.w.OK()
}

func cmdDiscard(c *Client, args [][]byte) {
	if !c.tx.active {
		c.w.Error("ERR DISCARD without MULTI")
		return
	}
	c.discardTransaction()
	c.w.OK()
}

// cmdExec runs with the world held exclusively (atomic.go).
func cmdExec(c *Client, args [][]byte) {
	if !c.tx.active {
		c.w.Error("ERR EXEC without MULTI")
		return
	}
	if c.isWatchedKeyExpired() {
		c.tx.dirtyCAS.Store(true)
	}
	switch {
	case c.tx.dirtyExec:
		c.w.Error("EXECABORT Transaction discarded because of previous errors.")
		c.discardTransaction()
		return
	case c.tx.dirtyCAS.Load():
		c.w.NullArray()
		c.discardTransaction()
		return
	}
	c.unwatchAll()
	q := c.tx.queue
	c.w.Array(len(q))
	for _, e := range q {
		c.s.callLocked(c, e.cmd, e.args)
	}
	c.discardTransaction()
}

func cmdWatch(c *Client, args [][]byte) {
	if c.tx.active {
		c.w.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, k := range args[1:] {
		c.watchKey(k)
	}
	c.w.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.unwatchAll()
	c.tx.dirtyCAS.Store(false)
	c.w.OK()
}

// routeQueued routes a command in cluster mode. EXEC is routed over its queue, as
// getNodeByQuery does: every key of every queued command must hash to one slot served
// here; when not, the transaction is discarded and the redirection is the reply.
func (s *Server) routeQueued(c *Client, cmd *command, args [][]byte) bool {
	if cmd.meta.Name != "exec" || !c.tx.active {
		return s.routeCommand(c, cmd, args)
	}
	slot := -1
	for _, e := range c.tx.queue {
		if !e.cmd.meta.HasKeys() {
			continue
		}
		keys, _ := e.cmd.meta.Keys(e.args)
		for _, pos := range keys {
			sl := int(keyslot.Of(e.args[pos]))
			if slot < 0 {
				slot = sl
			} else if sl != slot {
				c.discardTransaction()
				c.w.Error(errCrossSlot)
				return false
			}
		}
	}
	for _, e := range c.tx.queue {
		if !s.routeCommand(c, e.cmd, e.args) {
			c.discardTransaction()
			return false
		}
	}
	return true
}

// watchedKey is one key one client watches.
type watchedKey struct {
	c   *Client
	key blockKey
	// expired: the key existed but was logically expired at WATCH (Redis's wk->expired);
	// touched: it was written since. Both under watchRegistry.mu.
	expired, touched bool
}

// watchRegistry maps keys to the clients watching them.
type watchRegistry struct {
	n    atomic.Int64 // watched keys in all: the write hook's quick exit
	mu   sync.Mutex
	keys map[blockKey][]*watchedKey
}

// touch is the write hook's part: key changed, so its watchers' EXEC fails. It runs with
// the key's engine lock held and only records.
func (r *watchRegistry) touch(db int, key []byte) {
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	for _, wk := range r.keys[blockKey{db, string(key)}] {
		if wk.expired {
			wk.touched = true // a deletion of the expired key changes nothing: see EXEC
		} else {
			wk.c.tx.dirtyCAS.Store(true)
		}
	}
	r.mu.Unlock()
}

func (c *Client) watchKey(key []byte) {
	k := blockKey{c.db, string(key)}
	for _, wk := range c.tx.watched {
		if wk.key == k {
			return
		}
	}
	wk := &watchedKey{c: c, key: k, expired: c.s.storedExpired(c.db, key)}
	r := &c.s.watch
	r.mu.Lock()
	if r.keys == nil {
		r.keys = map[blockKey][]*watchedKey{}
	}
	r.keys[k] = append(r.keys[k], wk)
	r.mu.Unlock()
	r.n.Add(1)
	c.tx.watched = append(c.tx.watched, wk)
}

func (c *Client) unwatchAll() {
	if len(c.tx.watched) == 0 {
		return
	}
	r := &c.s.watch
	r.mu.Lock()
	for _, wk := range c.tx.watched {
		list := r.keys[wk.key]
		for i, x := range list {
			if x == wk {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(r.keys, wk.key)
		} else {
			r.keys[wk.key] = list
		}
	}
	r.mu.Unlock()
	r.n.Add(-int64(len(c.tx.watched)))
	c.tx.watched = nil
}

// storedExpired reports whether key is stored but logically expired (keyIsExpired).
func (s *Server) storedExpired(db int, key []byte) bool {
	m, err := s.eng.Peek(db, key)
	return err == nil && m != nil && m.Expired(s.eng.Now())
}

// storedExists reports whether key is stored, expired or not (dictFind).
func (s *Server) storedExists(db int, key []byte) bool {
	m, err := s.eng.Peek(db, key)
	return err == nil && m != nil
}

// isWatchedKeyExpired reports whether a watched key that was live at WATCH is now logically
// expired, or a key expired at WATCH was written since and exists again.
func (c *Client) isWatchedKeyExpired() bool {
	r := &c.s.watch
	for _, wk := range c.tx.watched {
		r.mu.Lock()
		expired, touched := wk.expired, wk.touched
		r.mu.Unlock()
		key := []byte(wk.key.key)
		if !expired {
			if c.s.storedExpired(wk.key.db, key) {
				return true
			}
		} else if touched && c.s.storedExists(wk.key.db, key) && !c.s.storedExpired(wk.key.db, key) {
			return true
		}
	}
	return false
}

// touchWatchedOnFlush marks the watchers of keys that exist in db (-1: every db) before a
// FLUSHDB / FLUSHALL empties it (touchAllWatchedKeysInDb).
func (s *Server) touchWatchedOnFlush(db int) {
	s.touchWatchedIn(func(k blockKey) (int, bool) { return -1, db < 0 || k.db == db })
}

// touchWatchedOnSwap marks the watchers of keys that exist in either database before SWAPDB
// a b exchanges them.
func (s *Server) touchWatchedOnSwap(a, b int) {
	s.touchWatchedIn(func(k blockKey) (int, bool) {
		switch k.db {
		case a:
			return b, true
		case b:
			return a, true
		}
		return -1, false
	})
}

// touchWatchedIn applies touchAllWatchedKeysInDb to the watched keys pick selects; pick also
// names the database that replaces the key's (-1: none, a flush).
func (s *Server) touchWatchedIn(pick func(k blockKey) (with int, ok bool)) {
	r := &s.watch
	if r.n.Load() == 0 {
		return
	}
	type target struct {
		k    blockKey
		with int
	}
	var ts []target
	r.mu.Lock()
	for k := range r.keys {
		if with, ok := pick(k); ok {
			ts = append(ts, target{k, with})
		}
	}
	r.mu.Unlock()
	for _, t := range ts {
		key := []byte(t.k.key)
		inEmptied := s.storedExists(t.k.db, key)
		inReplacing, replacingExpired := false, false
		if t.with >= 0 {
			inReplacing = s.storedExists(t.with, key)
			replacingExpired = s.storedExpired(t.with, key)
		}
		if !inEmptied && !inReplacing {
			continue
		}
		r.mu.Lock()
		for _, wk := range r.keys[t.k] {
			switch {
			case wk.expired && !inReplacing:
				wk.expired, wk.touched = false, false // the expired key goes: no logical change
				continue
			case wk.expired && replacingExpired:
				continue // expired before, expired after
			case !wk.expired && !inEmptied && replacingExpired:
				wk.expired = true // a missing key replaced by an expired one
				continue
			}
			wk.c.tx.dirtyCAS.Store(true)
		}
		r.mu.Unlock()
	}
}

// forgetClient drops what a closing client registered: watched keys and subscriptions.
func (s *Server) forgetClient(c *Client) {
	c.unwatchAll()
	s.unsubscribeAll(c)
}

// resetTransaction is RESET's part: leave MULTI, unwatch, unsubscribe from everything.
func (c *Client) resetTransaction() {
	if c.tx.active {
		c.discardTransaction()
	}
	c.unwatchAll()
	c.tx.dirtyCAS.Store(false)
	c.s.unsubscribeAll(c)
}

// abortRejectedExec is rejectCommand's special case for EXEC (execCommandAbort): a refused
// EXEC discards the transaction and its error becomes "EXECABORT Transaction discarded
// because of: <error>". Cluster redirections stay as they are (routeQueued discarded).
func (c *Client) abortRejectedExec() {
	buf := c.w.Buf
	if len(buf) < 3 {
		return
	}
	start := bytes.LastIndexByte(buf[:len(buf)-2], '\n') + 1
	if buf[start] != '-' {
		return
	}
	msg := string(buf[start+1 : len(buf)-2])
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "MOVED", "ASK", "CROSSSLOT", "TRYAGAIN", "CLUSTERDOWN":
		return
	}
	c.discardTransaction()
	c.w.Buf = buf[:start]
	c.w.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
}
