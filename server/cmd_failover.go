package server

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/slotdb/slotdb/replication"
)

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] (standalone mode, Redis 6.2+): the
// master pauses writes, waits until a replica (the given one, or any) acknowledged its whole
// stream, then becomes a replica of it with PSYNC <replid> <offset> FAILOVER, which makes
// the replica a master before it answers +CONTINUE. The states and errors are Redis 7.0's
// (replication.c failoverCommand, updateFailoverStatus, abortFailover).

func init() {
	register("failover", cmdFailover)
}

const (
	failoverNone = iota
	failoverWaitSync
	failoverInProgress
)

var failoverStateNames = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

type failoverState struct {
	// op orders the transitions that change the role (the cron's switch, ABORT); the link
	// never takes it (an ABORT waits for the link to stop while holding it).
	op sync.Mutex

	mu    sync.Mutex
	state int
	host  string // target; "" until one is chosen
	port  int
	end   int64 // unix ms, 0 = no timeout
	force bool
}

// failoverPauseEnd is Redis's LLONG_MAX pause, kept far from overflow in time arithmetic.
const failoverPauseEnd = math.MaxInt64 / 4

func cmdFailover(c *Client, args [][]byte) {
	s := c.s
	r := s.repl
	fo := &r.fo
	if s.cfg.ClusterEnabled() {
		c.w.Error("ERR FAILOVER not allowed in cluster mode.")
		return
	}
	if len(args) == 2 && eqFold(args[1], "abort") {
		// Aborting an in-progress failover stops the new link, which may wait for the world.
		held := c.releaseWorld()
		ok := r.abortFailover("Failover manually aborted")
		c.reacquireWorld(held)
		if !ok {
			c.w.Error("ERR No failover in progress.")
			return
		}
		c.w.OK()
		return
	}
	var timeout, port int64
	var host string
	hasHost, force := false, false
	for j := 1; j < len(args); j++ {
		switch {
		case eqFold(args[j], "timeout") && j+1 < len(args) && timeout == 0:
			n, ok := parseInt(args[j+1])
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			if n <= 0 {
				c.w.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = n
			j++
		case eqFold(args[j], "to") && j+2 < len(args) && !hasHost:
			n, ok := parseInt(args[j+2])
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			host, port, hasHost = string(args[j+1]), n, true
			j += 2
		case eqFold(args[j], "force") && !force:
			force = true
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	fo.op.Lock()
	defer fo.op.Unlock()
	fo.mu.Lock()
	defer fo.mu.Unlock()
	if fo.state != failoverNone {
		c.w.Error("ERR FAILOVER already in progress.")
		return
	}
	if r.isReplica() {
		c.w.Error("ERR FAILOVER is not valid when server is a replica.")
		return
	}
	r.mu.Lock()
	nreps := len(r.replicas)
	r.mu.Unlock()
	if nreps == 0 {
		c.w.Error("ERR FAILOVER requires connected replicas.")
		return
	}
	if force && (timeout == 0 || !hasHost) {
		c.w.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if hasHost {
		rc := r.findReplica(host, int(port))
		if rc == nil {
			c.w.Error("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if rc.state.Load() != replicaOnline {
			c.w.Error("ERR FAILOVER target replica is not online.")
			return
		}
		fo.host, fo.port = host, int(port)
		s.log.Info(fmt.Sprintf("FAILOVER requested to %s:%d.", host, port))
	} else {
		fo.host, fo.port = "", 0
		s.log.Info("FAILOVER requested to any replica.")
	}
	fo.end = 0
	if timeout > 0 {
		fo.end = time.Now().UnixMilli() + timeout
	}
	fo.force = force
	fo.state = failoverWaitSync
	s.PauseClients(PauseByFailover, failoverPauseEnd, true)
	c.w.OK()
}

// findReplica is the replica announced at host:port (findReplica).
func (r *replState) findReplica(host string, port int) *replicaConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	for rc := range r.replicas {
		ip, p := rc.address()
		if strings.EqualFold(ip, host) && p == port {
			return rc
		}
	}
	return nil
}

// failoverStateName is INFO's master_failover_state.
func (r *replState) failoverStateName() string {
	r.fo.mu.Lock()
	defer r.fo.mu.Unlock()
	return failoverStateNames[r.fo.state]
}

func (r *replState) failoverActive() bool {
	r.fo.mu.Lock()
	defer r.fo.mu.Unlock()
	return r.fo.state != failoverNone
}

// updateFailover is updateFailoverStatus, run by the cron: time out, or switch to a replica
// that acknowledged the whole stream once no write is in flight.
func (r *replState) updateFailover() {
	fo := &r.fo
	fo.mu.Lock()
	waiting := fo.state == failoverWaitSync
	fo.mu.Unlock()
	if !waiting {
		return
	}
	fo.op.Lock()
	defer fo.op.Unlock()
	fo.mu.Lock()
	if fo.state != failoverWaitSync {
		fo.mu.Unlock()
		return
	}
	if fo.end != 0 && fo.end <= time.Now().UnixMilli() {
		if fo.force {
			r.s.log.Info(fmt.Sprintf("FAILOVER to %s:%d time out exceeded, failing over.", fo.host, fo.port))
			fo.state = failoverInProgress
			host, port := fo.host, fo.port
			fo.mu.Unlock()
			r.setMaster(host, port)
			return
		}
		fo.mu.Unlock()
		r.abortFailoverLocked("Replica never caught up before timeout")
		return
	}
	// A write that passed the pause check just before it began may still be running: the
	// offset is final only once none is left.
	if !r.s.writesDrained() {
		fo.mu.Unlock()
		return
	}
	off := r.stream.Offset()
	var target *replicaConn
	if fo.host != "" {
		target = r.findReplica(fo.host, fo.port)
	} else {
		r.mu.Lock()
		for _, rc := range sortReplicas(r.replicaList()) {
			if rc.ackOff.Load() == off {
				target = rc
				fo.host, fo.port = rc.address()
				break
			}
		}
		r.mu.Unlock()
	}
	if target == nil || target.ackOff.Load() != off {
		fo.mu.Unlock()
		return
	}
	fo.state = failoverInProgress
	host, port := fo.host, fo.port
	fo.mu.Unlock()
	r.s.log.Info(fmt.Sprintf("Failover target %s:%d is synced, failing over.", host, port))
	r.setMaster(host, port)
}

// abortFailover is abortFailover: an in-progress failover turns this node back into a master.
// It reports whether a failover was in progress.
func (r *replState) abortFailover(reason string) bool {
	r.fo.op.Lock()
	defer r.fo.op.Unlock()
	return r.abortFailoverLocked(reason)
}

func (r *replState) abortFailoverLocked(reason string) bool {
	fo := &r.fo
	fo.mu.Lock()
	st := fo.state
	if st == failoverNone {
		fo.mu.Unlock()
		return false
	}
	if fo.host != "" {
		r.s.log.Info(fmt.Sprintf("FAILOVER to %s:%d aborted: %s", fo.host, fo.port, reason))
	} else {
		r.s.log.Info("FAILOVER to any replica aborted: " + reason)
	}
	fo.state, fo.host, fo.port, fo.end, fo.force = failoverNone, "", 0, 0, false
	fo.mu.Unlock()
	if st == failoverInProgress {
		r.unsetMaster()
	}
	r.s.UnpauseClients(PauseByFailover)
	return true
}

// failoverHandshake runs on the link after PSYNC ... FAILOVER: the target's +CONTINUE or
// +FULLRESYNC completes the failover, any other reply aborts it; a broken connection retries.
func (r *replState) failoverHandshake(err error) {
	fo := &r.fo
	switch {
	case err == nil:
		fo.mu.Lock()
		done := fo.state == failoverInProgress
		if done {
			fo.state, fo.host, fo.port, fo.end, fo.force = failoverNone, "", 0, 0, false
		}
		fo.mu.Unlock()
		if done {
			r.s.UnpauseClients(PauseByFailover)
		}
	case errors.Is(err, replication.ErrFailoverRejected):
		// Aborting stops this link, which is the caller: not from its own goroutine.
		go r.abortFailover("Failover target rejected psync request")
	}
}

// failoverPsync is the target's side of PSYNC <replid> <offset> FAILOVER: a replica whose
// history is replid becomes a master before answering. It writes an error and reports false
// when the request is refused.
func (c *Client) failoverPsync(args [][]byte) bool {
	s := c.s
	r := s.repl
	if !r.isReplica() {
		c.w.Error("ERR PSYNC FAILOVER can't be sent to a master.")
		return false
	}
	id, _, _, _ := r.stream.IDs()
	if !strings.EqualFold(string(args[1]), id) {
		c.w.Error("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	s.log.Warn("Failover request received for replid " + id + ".")
	held := c.releaseWorld()
	r.unsetMaster()
	c.reacquireWorld(held)
	s.log.Info("MASTER MODE enabled (failover request from '" + c.describe() + "')")
	return true
}
