package server

import (
	"sync"
	"time"
)

// The script executor: EVAL & co. and FCALL run with the world held exclusively (atomic.go).
// Taken by each client's goroutine in turn, the lock is handed from one waiter to the next
// through the Go scheduler, and on a busy 2-core machine the handover (waking the next
// goroutine) took as long as the script itself: scripts ran at half the rate the lock
// allowed. Instead, one goroutine takes the world for a batch of queued scripts and runs
// them back to back on their clients (flat combining); each client's goroutine waits for its
// own to finish and then answers as before. Atomicity is unchanged: every script still runs
// alone with the world held exclusively, and other commands still run between batches.

// executorBatch bounds the scripts one hold of the world runs, so that other commands
// waiting for the world get their turn.
const executorBatch = 32

// execJob is one command handed to the executor.
type execJob struct {
	c        *Client
	cmd      *command
	args     [][]byte
	start    time.Time
	dur      time.Duration
	fallback bool          // not run: the client takes the ordinary path
	panicked any           // a panic escaped the command: re-raised on the client's goroutine
	done     chan struct{} // receives once the job ran (or fell back)
}

var execJobs = sync.Pool{New: func() any { return &execJob{done: make(chan struct{}, 1)} }}

// runsOnExecutor names the commands the executor runs: the scripts.
func runsOnExecutor(cmd *command) bool {
	switch cmd.meta.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// execOnExecutor runs cmd for c on the executor (enterWorld's exclusive hold, the call,
// serveBlocked, exitWorld) and reports the call's start and duration. ok is false when the
// executor did not run it (a slot being handed over: migrationGate must judge it on the
// ordinary path, where it may wait).
func (s *Server) execOnExecutor(c *Client, cmd *command, args [][]byte) (start time.Time, dur time.Duration, ok bool) {
	sc := &s.scr
	sc.execOnce.Do(func() {
		sc.execQueue = make(chan *execJob, 1024)
		go s.executor(sc.execQueue)
	})
	j := execJobs.Get().(*execJob)
	j.c, j.cmd, j.args = c, cmd, args
	sc.execQueue <- j
	<-j.done
	start, dur, ok, p := j.start, j.dur, !j.fallback, j.panicked
	*j = execJob{done: j.done}
	execJobs.Put(j)
	if p != nil {
		panic(p)
	}
	return start, dur, ok
}

// executor runs queued jobs: it takes the world exclusively for up to executorBatch jobs
// that are waiting, then lets go.
func (s *Server) executor(queue chan *execJob) {
	for j := range queue {
		s.world.Lock()
		s.runJob(j)
		for range executorBatch - 1 {
			select {
			case j = <-queue:
				s.runJob(j)
				continue
			default:
			}
			break
		}
		s.world.Unlock()
	}
}

// runJob is execute's locked part for one job, with the world held exclusively.
func (s *Server) runJob(j *execJob) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked = r
		}
		j.done <- struct{}{}
	}()
	c, cmd, args := j.c, j.cmd, j.args
	if s.cluster != nil && !c.master && s.slotWatched(c, cmd, args) {
		j.fallback = true
		return
	}
	s.repl.stream.BeginBatch() // its writes propagate together, as enterWorld does
	defer s.repl.stream.EndBatch()
	j.start = time.Now()
	s.call(c, cmd, args)
	j.dur = time.Since(j.start)
	s.serveBlocked() // clients blocked on keys the script wrote: blocking.go
}

// slotWatched reports whether cmd's slot is being (or was) migrated by CLUSTER
// MIGRATESLOTS, where migrationGate may have to wait for the hand-over.
func (s *Server) slotWatched(c *Client, cmd *command, args [][]byte) bool {
	m := s.migrations()
	if m == nil || !m.any.Load() {
		return false
	}
	slot := commandSlot(c, cmd, args)
	return slot >= 0 && m.watch[slot].Load()
}
