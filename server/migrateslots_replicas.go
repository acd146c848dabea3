package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
)

// Replicas of a native slot migration's target. The moved records enter the target's store
// as SSTs (Promote), outside the propagation stream, so a replica following the stream would
// never see them, and the forwarded writes applied after them would reach it on keys it
// does not have. Replaying the move as commands (RESTORE ... per key) would put the whole
// move in the stream during the hand-over, when the source's clients wait, and beyond the
// replica output limit for big moves. Instead the target starts a new replication history
// right after Promote and disconnects its replicas: each reconnects, cannot continue
// partially, and syncs in full from a snapshot that has the moved keys. That is the path a
// real redis-server replica already takes (+FULLRESYNC), nothing new on the wire.
//
// The same happens when promoted records are dropped again (a hand-over that failed after
// Promote, or a start that cleans an interrupted import): that drop is not in the stream
// either.

// forgetReplHistory gives the stream a new replication id and a new secondary one, so no
// replica can continue (PSYNC) from the history so far; offsets and the backlog stay, so
// readers of the stream (replicas being dropped, a migration's forwarder) are unaffected.
func forgetReplHistory(st *replication.Stream) {
	for range 2 { // Shift keeps the old id as the secondary one: shifting twice drops it
		var b [20]byte
		rand.Read(b[:])
		st.Shift(hex.EncodeToString(b[:]))
	}
}

// resyncReplicas starts a new history and disconnects the replicas attached before it; it
// returns when that happened, for dropReplicasBefore's later sweep.
func (m *migrations) resyncReplicas(why string) time.Time {
	r := m.s.repl
	// applyMu orders this against PSYNC: a replica's sync is wholly before (it is dropped
	// here or by the sweep) or wholly after (it syncs from the new history).
	r.applyMu.Lock()
	forgetReplHistory(r.stream)
	at := time.Now()
	r.applyMu.Unlock()
	if n := m.dropReplicasBefore(at); n > 0 {
		m.s.log.Info(fmt.Sprintf("Slot migration: %s; %d replica(s) disconnected to resynchronize", why, n))
	}
	return at
}

// dropReplicasBefore disconnects the replicas whose sync began before at (one that was
// between its PSYNC and its attach when resyncReplicas ran is caught by a later call).
func (m *migrations) dropReplicasBefore(at time.Time) int {
	r := m.s.repl
	r.mu.Lock()
	reps := r.replicaList()
	r.mu.Unlock()
	n := 0
	for _, rc := range reps {
		if rc.since.Before(at) {
			rc.c.close()
			n++
		}
	}
	return n
}

// Replicas of the source: DropSlots is not in the stream either. With replicas attached the
// source sends them DEL for each key of the slots it gave (1000 keys a command, what MIGRATE
// would have propagated key by key), before dropping them; with none attached it starts a
// new history instead, so a replica that comes back syncs in full.
func (m *migrations) tellReplicasDropped(ranges []engine.SlotRange) {
	s := m.s
	r := s.repl
	r.mu.Lock()
	attached := len(r.replicas)
	r.mu.Unlock()
	if attached == 0 {
		r.applyMu.Lock()
		forgetReplHistory(r.stream)
		r.applyMu.Unlock()
		return
	}
	for _, sl := range rangeSlots(ranges) {
		keys, err := s.eng.GetKeysInSlot(uint16(sl), math.MaxInt)
		if err != nil {
			s.log.Warn("Slot migration: listing the keys of slot " + strconv.Itoa(sl) + " for the replicas: " + err.Error())
			m.resyncReplicas("keys of handed-over slots unlisted")
			return
		}
		for len(keys) > 0 {
			n := min(len(keys), 1000)
			s.propagateArgv(0, append([][]byte{[]byte("DEL")}, keys[:n]...))
			keys = keys[n:]
		}
	}
}
