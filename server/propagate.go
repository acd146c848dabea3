package server

import (
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Propagation: what replicas (and the native slot migration) receive. The engine calls
// propagated after each commit with the keys' locks held, so two writes of a key reach the
// stream in commit order. A write transaction made through c.update propagates the client's
// command as received unless its handler recorded a rewritten form with tx.Propagate (SET EX
// becomes SET PXAT, SPOP becomes SREM ...), as Redis's rewriteClientCommandVector does.
// EXEC and scripts run with the world held exclusively; what they write is batched and
// propagated at the end, wrapped in MULTI/EXEC (enterWorld/exitWorld in atomic.go).

// propagated is the engine's propagate hook.
func (s *Server) propagated(db int, cmds [][][]byte) {
	if s.repl.isReplica() {
		return // a replica passes its master's stream on as received (repl_replica.go)
	}
	s.repl.stream.FeedCommands(db, cmds)
}

// propagateArgv propagates a command that changed data outside an engine transaction
// (FLUSHALL, FLUSHDB, SWAPDB): it runs with the world held exclusively, so nothing else is
// ordered against it.
func (s *Server) propagateArgv(db int, argv [][]byte) {
	if s.repl.isReplica() {
		return
	}
	s.repl.stream.FeedCommands(db, [][][]byte{argv})
}

// propagateDefault records the client's command as the transaction's propagated form when
// the handler recorded nothing and the transaction wrote something.
func (c *Client) propagateDefault(tx *engine.Tx) {
	if c.argv != nil && !tx.Propagating() && tx.Changed() {
		tx.Propagate(c.argv...)
	}
}

// Helpers for the rewritten forms.

func msArg(ms int64) []byte { return strconv.AppendInt(nil, ms, 10) }

// propagateExpireAt records the absolute form of a TTL change: PEXPIREAT key ms.
func propagateExpireAt(tx *engine.Tx, key []byte, ms int64) {
	tx.Propagate([]byte("PEXPIREAT"), key, msArg(ms))
}

// propagateDel records DEL key (an expire in the past deletes).
func propagateDel(tx *engine.Tx, key []byte) { tx.Propagate([]byte("DEL"), key) }

// propagateSrem records SPOP's removals as SREM key member..., 1024 members a command as
// Redis 7.0 batches them.
func propagateSrem(tx *engine.Tx, key []byte, members [][]byte) {
	for len(members) > 0 {
		n := min(len(members), 1024)
		argv := append([][]byte{[]byte("SREM"), key}, members[:n]...)
		tx.Propagate(argv...)
		members = members[n:]
	}
}

func sideArg(left bool) []byte {
	if left {
		return []byte("LEFT")
	}
	return []byte("RIGHT")
}

// propagatePop records a list pop (BLPOP, BLMPOP, LMPOP ...) as LPOP/RPOP key [count]: what
// Redis propagates for the blocking and multi-key forms.
func propagatePop(tx *engine.Tx, key []byte, left bool, count int64, popped int) {
	name := []byte("RPOP")
	if left {
		name = []byte("LPOP")
	}
	if count < 0 {
		tx.Propagate(name, key)
		return
	}
	tx.Propagate(name, key, strconv.AppendInt(nil, int64(popped), 10))
}

// propagateZpop records ZPOPMIN/ZPOPMAX key count (the blocking and multi-key forms too).
func propagateZpop(tx *engine.Tx, key []byte, popMax bool, n int) {
	name := []byte("ZPOPMIN")
	if popMax {
		name = []byte("ZPOPMAX")
	}
	tx.Propagate(name, key, strconv.AppendInt(nil, int64(n), 10))
}

// propagateXreadgroup records a served XREADGROUP as itself without BLOCK: applied to the
// same data it delivers the same entries. (Redis propagates XCLAIM ... per entry and XGROUP
// SETID, which also carries the delivery times; slotdb's replicas take their own.)
func propagateXreadgroup(tx *engine.Tx, argv [][]byte, served int) {
	if served == 0 || !tx.Changed() || len(argv) == 0 {
		return
	}
	out := make([][]byte, 0, len(argv))
	for i := 0; i < len(argv); i++ {
		if i > 0 && eqFold(argv[i], "block") && i+1 < len(argv) {
			i++
			continue
		}
		if eqFold(argv[i], "streams") {
			out = append(out, argv[i:]...)
			break
		}
		out = append(out, argv[i])
	}
	tx.Propagate(out...)
}

// propagateXadd records XADD with the ID it took (never "*") and, when it trimmed, an exact
// XTRIM to the length it left: an approximate trim (~) depends on node layout, which a
// replica need not share (Redis rewrites the trim argument the same way).
func propagateXadd(tx *engine.Tx, key []byte, id engine.StreamID, fv [][]byte, trimmed, length int64) {
	argv := make([][]byte, 0, 3+len(fv))
	argv = append(argv, []byte("XADD"), key, id.Append(nil))
	tx.Propagate(append(argv, fv...)...)
	if trimmed > 0 {
		tx.Propagate([]byte("XTRIM"), key, []byte("MAXLEN"), []byte("="), strconv.AppendInt(nil, length, 10))
	}
}

func init() {
	// Whole-database changes are ordered against every other write by running alone.
	registerExclusive("flushall")
	registerExclusive("flushdb")
	registerExclusive("swapdb")
}
