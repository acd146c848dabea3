package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// Pub/sub (Redis's pubsub.c): the registry of channels, patterns and shard channels, message
// delivery, and the output path publishers share with the subscriber.
//
// Ordering: one mutex (pubsubState.mu) covers every subscription change and every delivery,
// so all subscribers see messages in one global publish order. A subscribed client's output
// goes through asyncOut: publishers append to it and a writer goroutine drains it, so a slow
// subscriber never holds up a publisher; the client's own replies join the same stream
// (flushShared). A subscription change holds back messages delivered after it until the
// client's next flush, so the confirmation (still in the client's reply buffer) goes first.
//
// Bounded output: client-output-buffer-limit pubsub (hard, soft, seconds; default 32mb 8mb
// 60) as checkClientOutputBufferLimits: over the hard limit, or over the soft limit for
// longer than the seconds, the client is closed.

// Subscription kinds.
const (
	subChannel = iota
	subPattern
	subShard
)

// subNames are the confirmation names of each kind: subscribe, unsubscribe.
var subNames = [3][2]string{
	{"subscribe", "unsubscribe"},
	{"psubscribe", "punsubscribe"},
	{"ssubscribe", "sunsubscribe"},
}

// pubsubState is the server's registry.
type pubsubState struct {
	mu   sync.Mutex
	subs [3]map[string]map[*Client]struct{} // by kind: name -> subscribers

	hard, soft, softSecs atomic.Int64 // client-output-buffer-limit pubsub
}

// subscriptions are one client's channels, patterns and shard channels, in subscription
// order (UNSUBSCRIBE without arguments answers in that order). Only the client's goroutine
// changes them, under pubsubState.mu.
type subscriptions struct {
	names [3][]string
	set   [3]map[string]bool
}

func (cs *subscriptions) counts() (sub, psub, ssub int) {
	if cs == nil {
		return 0, 0, 0
	}
	return len(cs.names[subChannel]), len(cs.names[subPattern]), len(cs.names[subShard])
}

// count is the number a confirmation reports: channels plus patterns, or shard channels.
func (cs *subscriptions) count(kind int) int {
	sub, psub, ssub := cs.counts()
	if kind == subShard {
		return ssub
	}
	return sub + psub
}

// SetPubsubOutputLimit sets client-output-buffer-limit for the pubsub class (bytes, bytes,
// seconds; 0 disables a limit).
func (s *Server) SetPubsubOutputLimit(hard, soft, softSeconds int64) {
	s.ps.hard.Store(hard)
	s.ps.soft.Store(soft)
	s.ps.softSecs.Store(softSeconds)
}

// ParsePubsubOutputLimit finds the pubsub class in a client-output-buffer-limit value as
// CONFIG formats it ("normal 0 0 0 slave ... pubsub 33554432 8388608 60").
func ParsePubsubOutputLimit(v string) (hard, soft, secs int64, ok bool) {
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		if strings.EqualFold(f[i], "pubsub") {
			var err [3]error
			hard, err[0] = strconv.ParseInt(f[i+1], 10, 64)
			soft, err[1] = strconv.ParseInt(f[i+2], 10, 64)
			secs, err[2] = strconv.ParseInt(f[i+3], 10, 64)
			return hard, soft, secs, err[0] == nil && err[1] == nil && err[2] == nil
		}
	}
	return 0, 0, 0, false
}

func (s *Server) initPubsubLimits() {
	s.SetPubsubOutputLimit(32<<20, 8<<20, 60)
}

// subscribe adds name of kind for c; it reports whether it was new.
func (s *Server) subscribe(c *Client, kind int, name []byte) bool {
	ps := &s.ps
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if c.subs == nil {
		c.subs = &subscriptions{}
	}
	cs := c.subs
	if cs.set[kind][string(name)] {
		return false
	}
	if !c.out.shared.Load() {
		c.out.shared.Store(true)
	}
	c.holdOutput()
	n := string(name)
	if cs.set[kind] == nil {
		cs.set[kind] = map[string]bool{}
	}
	cs.set[kind][n] = true
	cs.names[kind] = append(cs.names[kind], n)
	if ps.subs[kind] == nil {
		ps.subs[kind] = map[string]map[*Client]struct{}{}
	}
	m := ps.subs[kind][n]
	if m == nil {
		m = map[*Client]struct{}{}
		ps.subs[kind][n] = m
	}
	m[c] = struct{}{}
	return true
}

// unsubscribe removes name of kind for c; it reports whether c had it.
func (s *Server) unsubscribe(c *Client, kind int, name string) bool {
	ps := &s.ps
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cs := c.subs
	if cs == nil || !cs.set[kind][name] {
		return false
	}
	c.holdOutput()
	s.dropLocked(c, kind, name)
	list := cs.names[kind]
	for i, x := range list {
		if x == name {
			cs.names[kind] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	return true
}

// dropLocked removes c from the registry entry of name; the caller holds ps.mu.
func (s *Server) dropLocked(c *Client, kind int, name string) {
	delete(c.subs.set[kind], name)
	if m := s.ps.subs[kind][name]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(s.ps.subs[kind], name)
		}
	}
}

// unsubscribeAll drops every subscription of c without confirmations (a closed client,
// RESET).
func (s *Server) unsubscribeAll(c *Client) {
	if c.subs == nil {
		return
	}
	s.ps.mu.Lock()
	for kind := range c.subs.names {
		for _, n := range c.subs.names[kind] {
			s.dropLocked(c, kind, n)
		}
		c.subs.names[kind] = nil
	}
	s.ps.mu.Unlock()
}

// publish delivers msg to the subscribers of channel (shard: of the shard channel) and
// returns how many received it, as pubsubPublishMessage.
func (s *Server) publish(channel, msg []byte, shard bool) int {
	ps := &s.ps
	var enc msgEncoding
	ps.mu.Lock()
	defer ps.mu.Unlock()
	n := 0
	kind, name := subChannel, "message"
	if shard {
		kind, name = subShard, "smessage"
	}
	for c := range ps.subs[kind][string(channel)] {
		c.deliver(enc.get(c, name, nil, channel, msg))
		n++
	}
	if shard {
		return n
	}
	for pat, cs := range ps.subs[subPattern] {
		if !stringMatch([]byte(pat), channel, false) {
			continue
		}
		var penc msgEncoding // one per pattern: the pattern is part of the message
		for c := range cs {
			c.deliver(penc.get(c, "pmessage", []byte(pat), channel, msg))
			n++
		}
	}
	return n
}

// DeliverPublish delivers a PUBLISH (shard: SPUBLISH) received from the cluster bus to local
// subscribers.
func (s *Server) DeliverPublish(channel, msg []byte, shard bool) {
	s.publish(channel, msg, shard)
}

// pubsubCounts are INFO's pubsub_channels, pubsub_patterns and pubsubshard_channels.
func (s *Server) pubsubCounts() (channels, patterns, shard int) {
	s.ps.mu.Lock()
	defer s.ps.mu.Unlock()
	return len(s.ps.subs[subChannel]), len(s.ps.subs[subPattern]), len(s.ps.subs[subShard])
}

// msgEncoding caches a message's bytes per protocol: subscribers of one publish share them.
type msgEncoding struct{ resp [2][]byte }

func (e *msgEncoding) get(c *Client, kind string, pattern, channel, msg []byte) []byte {
	proto := c.snapshot().proto
	i := 0
	if proto == 3 {
		i = 1
	}
	if e.resp[i] == nil {
		n := 3
		if pattern != nil {
			n = 4
		}
		var b []byte
		if proto == 3 {
			b = append(b, '>')
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, '\r', '\n')
		} else {
			b = redcon.AppendArray(b, n)
		}
		b = redcon.AppendBulkString(b, kind)
		if pattern != nil {
			b = redcon.AppendBulk(b, pattern)
		}
		b = redcon.AppendBulk(b, channel)
		b = redcon.AppendBulk(b, msg)
		e.resp[i] = b
	}
	return e.resp[i]
}

// asyncOut is the output stream of a client that publishers write to.
type asyncOut struct {
	shared atomic.Bool // set by the first subscription: flush goes through flushShared

	mu        sync.Mutex
	buf       []byte // queued for the writer
	spare     []byte
	inflight  int  // bytes being written to the socket now
	writing   bool // a writer (the drain goroutine or the client's own flush) is active
	holding   bool // messages wait in held until the client's next flush
	held      []byte
	softSince int64 // unix ms the soft limit was first exceeded, 0 when under it
}

// holdOutput makes messages delivered from now on wait for the client's next flush: the
// confirmation of a subscription change, in the client's reply buffer, must come first.
// Called by the client's own goroutine under ps.mu.
func (c *Client) holdOutput() {
	c.out.mu.Lock()
	c.out.holding = true
	c.out.mu.Unlock()
}

// deliver queues a message for c from any goroutine (under ps.mu).
func (c *Client) deliver(b []byte) {
	if c.closed.Load() {
		return
	}
	o := &c.out
	o.mu.Lock()
	if o.holding {
		o.held = append(o.held, b...)
	} else {
		o.buf = append(o.buf, b...)
		c.startWriterLocked()
	}
	over := c.overLimitLocked()
	o.mu.Unlock()
	if over {
		c.closeForOutputLimit()
	}
}

// startWriterLocked starts the drain goroutine unless a writer is active.
func (c *Client) startWriterLocked() {
	if !c.out.writing && len(c.out.buf) > 0 {
		c.out.writing = true
		go c.drainOut()
	}
}

// overLimitLocked applies client-output-buffer-limit pubsub to the queued output.
func (c *Client) overLimitLocked() bool {
	o := &c.out
	ps := &c.s.ps
	used := int64(len(o.buf) + len(o.held) + o.inflight)
	if hard := ps.hard.Load(); hard > 0 && used >= hard {
		return true
	}
	soft := ps.soft.Load()
	if soft <= 0 || used < soft {
		o.softSince = 0
		return false
	}
	now := time.Now().UnixMilli()
	if o.softSince == 0 {
		o.softSince = now
		return false
	}
	return now-o.softSince > ps.softSecs.Load()*1000
}

func (c *Client) closeForOutputLimit() {
	if c.closed.Load() {
		return
	}
	info := c.s.clientInfo(nil, c, nil, time.Now())
	c.s.log.Warn("Client " + string(info) + " scheduled to be closed ASAP for overcoming of output buffer limits.")
	c.close()
	c.out.mu.Lock()
	c.out.buf, c.out.held, c.out.spare = nil, nil, nil
	c.out.mu.Unlock()
}

// drainOut writes the queue to the socket until it is empty.
func (c *Client) drainOut() {
	o := &c.out
	for {
		o.mu.Lock()
		if len(o.buf) == 0 || c.closed.Load() {
			o.writing = false
			if c.closed.Load() {
				o.buf = nil
			}
			o.mu.Unlock()
			return
		}
		b := o.buf
		o.buf, o.spare = o.spare[:0], nil
		o.inflight = len(b)
		o.mu.Unlock()
		err := c.writeConn(b)
		o.mu.Lock()
		o.inflight = 0
		if cap(b) <= 64<<10 {
			o.spare = b[:0]
		}
		o.mu.Unlock()
		if err != nil {
			c.close()
		}
	}
}

func (c *Client) writeConn(b []byte) error {
	c.wmu.Lock()
	n, err := c.conn.Write(b)
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
	c.s.intro.writes.Add(1)
	return err
}

// flushShared is flush for a client publishers write to: its replies join the queue when
// something is queued, held or being written, and are written directly otherwise.
func (c *Client) flushShared() error {
	o := &c.out
	o.mu.Lock()
	if o.holding || o.writing || len(o.buf) > 0 {
		o.buf = append(o.buf, c.w.Buf...)
		if o.holding {
			o.buf = append(o.buf, o.held...)
			o.held, o.holding = o.held[:0], false
		}
		c.startWriterLocked()
		over := c.overLimitLocked()
		o.mu.Unlock()
		c.resetReplyBuf()
		if over {
			c.closeForOutputLimit()
		}
		if c.closed.Load() {
			return errClientClosed
		}
		return nil
	}
	if len(c.w.Buf) == 0 {
		o.mu.Unlock()
		return nil
	}
	o.writing = true
	o.inflight = len(c.w.Buf)
	o.mu.Unlock()
	err := c.writeConn(c.w.Buf)
	o.mu.Lock()
	o.inflight, o.writing = 0, false
	if err == nil {
		c.startWriterLocked() // what publishers queued meanwhile
	}
	o.mu.Unlock()
	c.resetReplyBuf()
	return err
}

func (c *Client) resetReplyBuf() {
	if cap(c.w.Buf) > 64<<10 {
		c.w.Buf = nil
	} else {
		c.w.Buf = c.w.Buf[:0]
	}
}

type clientClosedError struct{}

func (clientClosedError) Error() string { return "client closed" }

var errClientClosed error = clientClosedError{}
