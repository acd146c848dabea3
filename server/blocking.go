package server

import (
	"container/list"
	"math"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/server/resp"
)

// Blocking commands (Redis's blocked.c), generic over the data type: lists (BLPOP & co.),
// sorted sets (BZPOPMIN/BZPOPMAX/BZMPOP) and streams (XREAD/XREADGROUP BLOCK).
//
// API for a blocking command's handler:
//
//	deadline, ok := c.timeoutArg(arg)      // Redis's getTimeoutFromObjectOrReply (seconds)
//	if !ok { return }                      // error reply written
//	c.block(keys, deadline, try, timedOut)
//
//   - try(w, ready) runs the command's non-blocking form atomically (one c.s.eng.Update) and
//     reports whether the client is served. It writes its reply to w only when it returns
//     true (an error reply counts as served: the client is unblocked with it). ready is nil
//     for the first attempt, made by the client itself over all its keys in order; later
//     attempts are made by whichever goroutine serves a key that was written, with ready
//     set to that key, and must then look at that key only and ignore a value of another
//     type (the client keeps waiting, as Redis 7.0's serveClientsBlockedOn*Key skip clients
//     blocked for another type). try must capture what it needs (db, protocol, arguments)
//     and must not touch the Client: it may run on another goroutine.
//   - timedOut(w) writes the reply for a timeout or CLIENT UNBLOCK ... TIMEOUT (nil: a null
//     array, as replyToBlockedClientTimedOut does for lists, sorted sets and streams).
//
// block makes the first attempt, and if it did not serve, parks the client on a FIFO queue
// per (db, key) until it is served, times out, is unblocked by CLIENT UNBLOCK or
// disconnects. The client holds no engine lock while it waits.
//
// Wake-ups: the engine's write hook (Server.keyWritten, called after each commit per
// changed key with the key's lock held) only marks a waited-on key ready. After every
// command, execute calls serveBlocked, which serves the ready keys' queues in FIFO order
// from that goroutine, before the command's reply is flushed, as handleClientsBlockedOnKeys
// runs after each command in Redis: the first client waiting gets the element, and keys a
// served client writes (the target of a BLMOVE) are served in the same pass. Code that
// writes outside a command (replication, migration) must call serveBlocked afterwards.
//
// Inside MULTI/EXEC and scripts the blocking commands behave as their non-blocking forms
// with an immediate timeout: see denyBlocking.

// blockKey names one key of one database.
type blockKey struct {
	db  int
	key string
}

// waiter is one blocked client.
type waiter struct {
	c     *Client
	db    int
	keys  []string
	elems []*list.Element // its place in each key's queue
	try   func(w *resp.Writer, ready []byte) bool

	mu     sync.Mutex // held while an attempt runs; done and out under it
	done   bool       // served or gave up: no more attempts
	out    resp.Writer
	served chan struct{} // closed when another goroutine served it
	wake   chan bool     // CLIENT UNBLOCK (true: with an error)
	timed  bool          // has a deadline (clients_in_timeout_table)
	gone   bool          // also attempted when its key no longer exists (XREADGROUP)
	queued atomic.Bool   // registered in the queues
}

// blocking is the server's registry of blocked clients and ready keys.
type blocking struct {
	mu       sync.Mutex
	queues   map[blockKey]*list.List // FIFO of *waiter per key
	ready    []blockKey              // keys written while clients wait on them, in order
	readySet map[blockKey]bool
	waited   map[*Client]time.Duration // time a command spent blocked, for the slowlog

	nwaiters atomic.Int64 // registered waiters: the write hook's quick exit
	nwaited  atomic.Int64 // entries in waited
	nblocked atomic.Int64 // clients blocked on keys (past their first attempt)
	ntimed   atomic.Int64 // of which with a deadline
	pending  atomic.Bool  // ready is not empty
	serveMu  sync.Mutex   // one serving pass at a time
}

// signal is the write hook's part: mark key ready if clients wait on it. It runs with the
// key's engine lock held, so it only records.
func (b *blocking) signal(db int, key []byte) {
	if b.nwaiters.Load() == 0 {
		return
	}
	k := blockKey{db, string(key)}
	b.mu.Lock()
	if b.queues[k] != nil && !b.readySet[k] {
		if b.readySet == nil {
			b.readySet = map[blockKey]bool{}
		}
		b.readySet[k] = true
		b.ready = append(b.ready, k)
		b.pending.Store(true)
	}
	b.mu.Unlock()
}

// signalDB marks every waited-on key of db ready: after SWAPDB, as scanDatabaseForReadyKeys,
// and after FLUSHDB/FLUSHALL, as scanDatabaseForDeletedStreams (blocked XREADGROUP clients
// are answered that their stream is gone).
func (s *Server) signalDB(db int) {
	b := &s.blk
	b.mu.Lock()
	var keys []blockKey
	for k := range b.queues {
		if k.db == db {
			keys = append(keys, k)
		}
	}
	b.mu.Unlock()
	for _, k := range keys {
		b.signal(k.db, []byte(k.key))
	}
}

func (b *blocking) register(wt *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queues == nil {
		b.queues = map[blockKey]*list.List{}
	}
	for _, k := range wt.keys {
		bk := blockKey{wt.db, k}
		q := b.queues[bk]
		if q == nil {
			q = list.New()
			b.queues[bk] = q
		}
		wt.elems = append(wt.elems, q.PushBack(wt))
	}
	wt.queued.Store(true)
	b.nwaiters.Add(1)
}

func (b *blocking) unregister(wt *waiter) {
	if !wt.queued.Swap(false) {
		return
	}
	b.mu.Lock()
	for i, k := range wt.keys {
		bk := blockKey{wt.db, k}
		if q := b.queues[bk]; q != nil {
			q.Remove(wt.elems[i])
			if q.Len() == 0 {
				delete(b.queues, bk)
			}
		}
	}
	b.mu.Unlock()
	b.nwaiters.Add(-1)
}

// waiters returns the clients queued on k, first blocked first.
func (b *blocking) waiters(k blockKey) []*waiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[k]
	if q == nil {
		return nil
	}
	out := make([]*waiter, 0, q.Len())
	for e := q.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*waiter))
	}
	return out
}

func (b *blocking) nextReady() (blockKey, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ready) == 0 {
		b.pending.Store(false)
		return blockKey{}, false
	}
	k := b.ready[0]
	b.ready = b.ready[1:]
	delete(b.readySet, k)
	if len(b.ready) == 0 {
		b.ready = nil
	}
	return k, true
}

// serveBlocked serves the clients blocked on keys that were written, until no key is ready.
func (s *Server) serveBlocked() {
	b := &s.blk
	if !b.pending.Load() {
		return
	}
	b.serveMu.Lock()
	defer b.serveMu.Unlock()
	for {
		k, ok := b.nextReady()
		if !ok {
			return
		}
		key := []byte(k.key)
		gone := false
		for _, wt := range b.waiters(k) {
			// Once the key is gone (a list emptied by the pops) only the clients that are
			// answered for a missing key are left to serve (unblockDeletedStreamReadgroupClients).
			if gone && !wt.gone {
				continue
			}
			if wt.attempt(key) {
				b.unregister(wt)
				close(wt.served)
			}
			if !gone {
				m, err := s.eng.Peek(k.db, key)
				gone = err != nil || m == nil
			}
		}
	}
}

// attempt runs wt's try for ready key on the serving goroutine.
func (wt *waiter) attempt(key []byte) bool {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	if wt.done || wt.c.closed.Load() { // a client gone meanwhile must not take an element
		return false
	}
	if !wt.try(&wt.out, key) {
		wt.out.Buf = wt.out.Buf[:0]
		return false
	}
	wt.done = true
	return true
}

// denyBlocking reports whether blocking commands must not block (Redis's CLIENT_DENY_BLOCKING):
// true inside MULTI/EXEC and scripts (callLocked, atomic.go), where they answer as if timed
// out at once.
func (c *Client) denyBlocking() bool { return c.inAtomic() }

// block runs a blocking command: see the API at the top of this file. deadline is unix ms,
// 0 to wait forever.
func (c *Client) block(keys [][]byte, deadline int64, try func(w *resp.Writer, ready []byte) bool, timedOut func(w *resp.Writer)) {
	c.blockKeys(keys, deadline, try, timedOut, false)
}

// blockKeys is block; with gone set the client is also attempted when a key it waits on is
// deleted (try then sees it absent), as Redis answers a blocked XREADGROUP.
func (c *Client) blockKeys(keys [][]byte, deadline int64, try func(w *resp.Writer, ready []byte) bool, timedOut func(w *resp.Writer), gone bool) {
	if timedOut == nil {
		timedOut = func(w *resp.Writer) { w.NullArray() }
	}
	if c.denyBlocking() {
		if !try(&c.w, nil) {
			timedOut(&c.w)
		}
		return
	}
	s := c.s
	wt := &waiter{c: c, db: c.db, try: try, served: make(chan struct{}), wake: make(chan bool, 1),
		timed: deadline != 0, gone: gone}
	wt.out.Proto = c.w.Proto
	seen := map[string]bool{}
	for _, k := range keys {
		if !seen[string(k)] { // a key named twice waits once, as blockForKeys
			seen[string(k)] = true
			wt.keys = append(wt.keys, string(k))
		}
	}
	// Queue before the first attempt, holding the waiter: a write between the attempt and
	// the queueing could not wake it otherwise. A serving pass that finds it waits for the
	// attempt to finish.
	s.blk.register(wt)
	wt.mu.Lock()
	if try(&c.w, nil) {
		wt.done = true
		wt.mu.Unlock()
		s.blk.unregister(wt)
		return
	}
	wt.mu.Unlock()

	start := time.Now()
	s.blk.nblocked.Add(1)
	if wt.timed {
		s.blk.ntimed.Add(1)
	}
	wake := func(withError bool) {
		select {
		case wt.wake <- withError:
		default:
		}
	}
	c.wake.Store(&wake) // before blocked: CLIENT UNBLOCK looks at blocked, then calls wake
	c.blocked.Store(true)
	c.publish()
	c.flush() // replies of earlier pipelined commands go out now
	stopWatch := c.watchPeer()
	held := c.releaseWorld() // a waiting client must not hold off EXEC: atomic.go

	var timer <-chan time.Time
	if wt.timed {
		t := time.NewTimer(time.Until(time.UnixMilli(deadline)))
		defer t.Stop()
		timer = t.C
	}
	reason := 0 // 0 served, 1 timeout, 2 unblock with error, 3 closed
	select {
	case <-wt.served:
	case <-timer:
		reason = 1
	case withErr := <-wt.wake:
		reason = 1
		if withErr {
			reason = 2
		}
	case <-c.done:
		reason = 3
	}
	stopWatch()
	c.reacquireWorld(held)
	wt.mu.Lock()
	if wt.done { // served, possibly racing with the other event
		c.w.Buf = append(c.w.Buf, wt.out.Buf...)
	} else {
		wt.done = true
		switch reason {
		case 1:
			timedOut(&c.w)
		case 2:
			c.w.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		}
	}
	wt.mu.Unlock()
	s.blk.unregister(wt)
	s.blk.nblocked.Add(-1)
	if wt.timed {
		s.blk.ntimed.Add(-1)
	}
	c.blocked.Store(false)
	c.wake.Store(nil)
	c.lastInteraction.Store(time.Now().UnixMilli())
	s.blk.mu.Lock()
	if s.blk.waited == nil {
		s.blk.waited = map[*Client]time.Duration{}
	}
	if _, ok := s.blk.waited[c]; !ok {
		s.blk.nwaited.Add(1)
	}
	s.blk.waited[c] += time.Since(start)
	s.blk.mu.Unlock()
}

// takeBlockedWait returns the time the current command spent blocked, and whether it
// blocked at all (then block flushed the replies before it): Redis's command duration
// (slowlog, commandstats) leaves that time out.
func (c *Client) takeBlockedWait() (time.Duration, bool) {
	b := &c.s.blk
	if b.nwaited.Load() == 0 {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.waited[c]
	if ok {
		delete(b.waited, c)
		b.nwaited.Add(-1)
	}
	return d, ok
}

// blockedCounts reports the clients blocked on keys and those of them with a deadline, for
// INFO clients (clients_in_timeout_table; blocked_clients also counts CLIENT PAUSE).
func (s *Server) blockedCounts() (blocked, withTimeout int) {
	return int(s.blk.nblocked.Load()), int(s.blk.ntimed.Load())
}

// timeoutArg parses a blocking command's timeout in seconds as getTimeoutFromObjectOrReply
// does (a long double, so "0x10", ".5", "1e3" and "inf" parse; "inf" and values whose
// milliseconds overflow a long long are negative) and returns the deadline in unix ms, 0 for
// none. It writes Redis's error when the argument is refused.
func (c *Client) timeoutArg(b []byte) (int64, bool) {
	ms, ok := parseTimeoutMs(b)
	if !ok {
		c.w.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return 0, false
	}
	if ms == 0 {
		return 0, true
	}
	now := time.Now().UnixMilli()
	if ms > math.MaxInt64-now {
		// Redis adds without a check: the deadline wraps negative and is never reached.
		return 0, true
	}
	return ms + now, true
}

// parseTimeoutMs is string2ld then (long long)ceill(value * 1000.0) in x87 extended precision.
func parseTimeoutMs(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 5*1024 || isCSpace(b[0]) {
		return 0, false
	}
	for i, ch := range b { // strtold stops at a NUL, which Redis then takes as the end
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	f, ok := strtold(b)
	if !ok {
		return 0, false
	}
	ms := new(big.Float).SetPrec(64).Mul(f, big.NewFloat(1000))
	if ms.IsInf() {
		return math.MinInt64, true
	}
	i, acc := ms.Int64() // truncates toward zero
	if acc != big.Exact && (i == math.MaxInt64 || i == math.MinInt64) {
		return math.MinInt64, true // the conversion overflows: x86 gives LLONG_MIN
	}
	if acc == big.Below {
		i++ // Redis rounds up (ceill): BLPOP k 0.0001 waits 1 ms, not forever
	}
	return i, true
}

// Limits of the x87 long double: a larger value is out of range (HUGE_VAL), a smaller
// non-zero one underflows to zero; string2ld refuses both.
var (
	ldblMax  = mustBigFloat("1.18973149535723176502e4932")
	ldblTiny = mustBigFloat("3.6451995318824746025e-4951")
)

func mustBigFloat(s string) *big.Float {
	f, _, err := big.ParseFloat(s, 10, 64, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return f
}

// parseLongDouble accepts what strtold consumes entirely: an optional sign, then a decimal
// or 0x-hexadecimal number with optional fraction and exponent, or inf/infinity; nan and
// anything out of the long double range are refused. An empty string is 0 (strtold
// converts nothing and stops at the end).
func strtold(b []byte) (*big.Float, bool) {
	s := string(b)
	if s == "" {
		return new(big.Float).SetPrec(64), true
	}
	neg := false
	body := s
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch lower := asciiLower(body); lower {
	case "inf", "infinity":
		return new(big.Float).SetPrec(64).SetInf(neg), true
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	digits := body
	isDigit := func(ch byte) bool { return ch >= '0' && ch <= '9' }
	expCh := byte('e')
	if hex {
		digits = body[2:]
		isDigit = func(ch byte) bool {
			return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
		}
		expCh = 'p'
	}
	i, nd := 0, 0
	for i < len(digits) && isDigit(digits[i]) {
		i, nd = i+1, nd+1
	}
	if i < len(digits) && digits[i] == '.' {
		i++
		for i < len(digits) && isDigit(digits[i]) {
			i, nd = i+1, nd+1
		}
	}
	if nd == 0 {
		return nil, false
	}
	mant := digits[:i]
	exp := ""
	if i < len(digits) && (digits[i]|0x20) == expCh {
		j := i + 1
		if j < len(digits) && (digits[j] == '+' || digits[j] == '-') {
			j++
		}
		k := j
		for k < len(digits) && digits[k] >= '0' && digits[k] <= '9' {
			k++
		}
		if k == j {
			return nil, false // "1e" / "1e+": strtold stops before the e
		}
		exp, i = digits[i+1:k], k
	}
	if i != len(digits) {
		return nil, false
	}
	var text string
	if hex {
		if exp == "" {
			exp = "0"
		}
		text = "0x" + mant + "p" + exp
	} else {
		text = mant
		if exp != "" {
			text += "e" + exp
		}
	}
	if e := strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0"); len(e) > 7 {
		// Far out of range either way, unless the mantissa is zero (an exact 0).
		if strings.Trim(mant, "0.") != "" {
			return nil, false
		}
		text = "0"
	}
	f, _, err := big.ParseFloat(text, 0, 64, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	abs := new(big.Float).Abs(f)
	if abs.Cmp(ldblMax) > 0 || abs.Sign() != 0 && abs.Cmp(ldblTiny) < 0 {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}
