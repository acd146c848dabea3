package server

import (
	"strconv"
	"strings"
	"time"
)

// Replication commands. This file sorts after sync.go, whose minimal PSYNC/SYNC/REPLCONF
// (an RDB transfer without a stream) it replaces: init functions run in file name order.

func init() {
	register("psync", cmdPsync)
	register("sync", cmdPsync)
	register("replconf", cmdReplconf)
	register("replicaof", cmdReplicaof)
	register("slaveof", cmdReplicaof)
	register("role", cmdRole)
	register("wait", cmdWait)
}

// cmdReplicaof is REPLICAOF host port | NO ONE.
func cmdReplicaof(c *Client, args [][]byte) {
	s := c.s
	if s.cfg.ClusterEnabled() {
		c.w.Error("ERR REPLICAOF not allowed in cluster mode.")
		return
	}
	if s.repl.failoverActive() {
		c.w.Error("ERR REPLICAOF not allowed while failing over.")
		return
	}
	// Stopping a link waits for it, and a link may be waiting for the world (a load).
	held := c.releaseWorld()
	defer c.reacquireWorld(held)
	if eqFold(args[1], "no") && eqFold(args[2], "one") {
		if s.repl.unsetMaster() {
			s.log.Info("MASTER MODE enabled (user request from '" + c.describe() + "')")
		}
		c.w.OK()
		return
	}
	if c.replica != nil {
		c.w.Error("ERR Command is not valid when client is a replica.")
		return
	}
	port, ok := parseInt(args[2])
	if !ok || port < 0 || port > 65535 {
		c.w.Error("ERR Invalid master port")
		return
	}
	host := string(args[1])
	if l := s.repl.currentLink(); l != nil && strings.EqualFold(l.host, host) && l.port == int(port) {
		s.log.Info("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.w.Simple("OK Already connected to specified master")
		return
	}
	s.repl.setMaster(host, int(port))
	s.log.Info("REPLICAOF " + host + ":" + strconv.FormatInt(port, 10) + " enabled (user request from '" + c.describe() + "')")
	c.w.OK()
}

func (r *replState) currentLink() *masterLink {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.link
}

// cmdRole is ROLE.
func cmdRole(c *Client, args [][]byte) {
	r := c.s.repl
	if l := r.currentLink(); l != nil {
		c.w.Array(5)
		c.w.BulkString("slave")
		c.w.BulkString(l.host)
		c.w.Int(int64(l.port))
		st := l.state.Load()
		c.w.BulkString(linkStateNames[st])
		off := int64(-1)
		if st == linkConnected {
			off = l.applied.Load()
		}
		c.w.Int(off)
		return
	}
	r.mu.Lock()
	reps := sortReplicas(r.replicaList())
	r.mu.Unlock()
	var online []*replicaConn
	for _, rc := range reps {
		if rc.state.Load() == replicaOnline {
			online = append(online, rc)
		}
	}
	c.w.Array(3)
	c.w.BulkString("master")
	c.w.Int(r.stream.Offset())
	c.w.Array(len(online))
	for _, rc := range online {
		ip, port := rc.address()
		c.w.Array(3)
		c.w.BulkString(ip)
		c.w.BulkString(strconv.Itoa(port))
		c.w.BulkString(strconv.FormatInt(rc.ackOff.Load(), 10))
	}
}

// cmdWait is WAIT numreplicas timeout: block until that many replicas acknowledged the
// stream up to now, or the timeout (ms, 0 = forever).
func cmdWait(c *Client, args [][]byte) {
	s := c.s
	r := s.repl
	if r.isReplica() {
		c.w.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	want, ok := c.intArg(args[1])
	if !ok {
		return
	}
	tms, ok := parseInt(args[2])
	if !ok {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	}
	if tms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	target := r.stream.Offset()
	n := r.ackedReplicas(target)
	if n >= want || c.inAtomic() || c.tx.active {
		c.w.Int(n)
		return
	}
	// Ask for ACKs now rather than within a second (Redis sends GETACK before sleeping).
	r.stream.FeedCommands(-1, [][][]byte{{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")}})
	held := c.releaseWorld()
	c.flush()
	c.blocked.Store(true)
	var deadline <-chan time.Time
	if tms > 0 {
		t := time.NewTimer(time.Duration(tms) * time.Millisecond)
		defer t.Stop()
		deadline = t.C
	}
	for n < want {
		ch := r.ackChan()
		if n = r.ackedReplicas(target); n >= want {
			break
		}
		select {
		case <-ch:
			continue
		case <-deadline:
		case <-c.done:
		}
		break
	}
	c.blocked.Store(false)
	c.reacquireWorld(held)
	c.w.Int(r.ackedReplicas(target))
}

// ackedReplicas counts replicas that acknowledged offset.
func (r *replState) ackedReplicas(off int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := int64(0)
	for rc := range r.replicas {
		if rc.state.Load() == replicaOnline && rc.ackOff.Load() >= off {
			n++
		}
	}
	return n
}

func (r *replState) ackChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.acks == nil {
		r.acks = make(chan struct{})
	}
	return r.acks
}

// ackArrived wakes WAIT callers.
func (r *replState) ackArrived() {
	r.mu.Lock()
	if r.acks != nil {
		close(r.acks)
		r.acks = nil
	}
	r.mu.Unlock()
}
