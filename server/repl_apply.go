package server

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/replication"
)

// Applying the master's stream in runs: the replica reads every command already buffered on
// the link and applies the run with one engine commit (engine.ApplyRun) instead of one per
// command, then passes the run's bytes on to its own replicas and advances its offset. A run
// ends when no whole command is buffered (it never waits for more input), at maxRunCommands
// or maxRunBytes, or before a command that cannot join one (it runs on its own, after the
// run is committed, with the offset exact up to it: REPLCONF GETACK reports what was applied).
//
// Only commands whose handlers write through c.update alone join a run: their reads happen
// inside the transaction, which sees committed data, and a command on a key an earlier one
// of the run wrote commits the run first (engine.ApplyRun). The run leaves its keys unlocked
// between commands, which is safe because the stream is the replica's only writer: a
// replica is read-only (runs are off with replica-read-only no) and holds its own expiry,
// as Redis's replicas leave expiry to their master's DELs.

// A run's limits. The offset the replica reports (INFO, REPLCONF ACK) advances once per run,
// so a run's size is also the lag it shows: 64 commands kept the p99 lag under a
// redis-benchmark SET load lowest (bench/RESULTS.md), 512 doubled it for no throughput.
const (
	maxRunCommands = 64
	maxRunBytes    = 16 << 10
)

// runCommands are the commands that may join a run (handlers checked to write only through
// c.update, with no lookup outside the transaction).
var runCommands = map[string]bool{
	"set": true, "setnx": true, "setex": true, "psetex": true, "getdel": true, "mset": true,
	"append": true, "setrange": true, "incr": true, "decr": true, "incrby": true, "decrby": true,
	"incrbyfloat": true, "del": true, "unlink": true, "expire": true, "pexpire": true,
	"expireat": true, "pexpireat": true, "persist": true, "hset": true, "hmset": true,
	"hdel": true, "sadd": true, "srem": true, "lpush": true, "rpush": true,
}

// joinsRun reports whether argv may be applied inside a run.
func joinsRun(mc *Client, argv [][]byte) bool {
	if len(argv) == 0 || mc.tx.active {
		return false // MULTI queues its commands; EXEC runs them on its own
	}
	return runCommand(argv[0])
}

// runCommand reports whether the command named name may join a run.
func runCommand(name []byte) bool {
	if len(name) > 16 {
		return false
	}
	var lower [16]byte
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		lower[i] = ch
	}
	return runCommands[string(lower[:len(name)])]
}

// applyBatch is the state of the run being applied.
type applyBatch struct {
	l    *masterLink
	mc   *Client
	run  *engine.ApplyRun // nil when runs are off
	raw  []byte           // the run's stream bytes, passed on once it is committed
	end  int64            // stream offset after raw
	cmds int

	// The commands read for the run: argv, and their bytes as in[i].from:in[i].to of read;
	// the first key of those that may join a run as key[i].from:key[i].to of keys (a copy
	// for the prefetching goroutine, which never touches what the handlers see).
	in   []streamCmd
	read []byte
	key  []span
	keys []byte
}

type streamCmd struct {
	argv     [][]byte
	from, to int
	end      int64 // stream offset after the command
}

type span struct{ from, to int }

// collect reads the run: first (already read), then every whole command buffered behind it,
// up to the run's limits. An error ends the run early; the commands read before it are kept.
func (b *applyBatch) collect(cr *replication.CommandReader, first [][]byte, base int64) error {
	b.in, b.read, b.key, b.keys = b.in[:0], b.read[:0], b.key[:0], b.keys[:0]
	argv := first
	for {
		from := len(b.read)
		b.read = append(b.read, cr.Raw()...)
		b.in = append(b.in, streamCmd{argv, from, len(b.read), base + cr.Offset()})
		k := span{len(b.keys), len(b.keys)}
		if len(argv) > 1 && runCommand(argv[0]) {
			b.keys = append(b.keys, argv[1]...)
			k.to = len(b.keys)
		}
		b.key = append(b.key, k)
		if len(b.in) >= maxRunCommands || len(b.read) >= maxRunBytes || !cr.Buffered() {
			return nil
		}
		var err error
		if argv, err = cr.ReadCommand(); err != nil { // buffered: no wait
			return err
		}
	}
}

// applyAll applies the collected commands, in runs when runs are on, and passes them on.
// While it applies them in order, a second goroutine reads the keys of the run's commands
// from the last one backwards into the engine's cache (engine.Prefetch), until the two meet:
// the replica's apply is mostly these reads, and the master made them on many goroutines.
func (b *applyBatch) applyAll(runs bool) error {
	s := b.l.r.s
	b.run = nil
	if runs && s.eng != nil {
		b.run = s.eng.NewApplyRun()
	}
	var at atomic.Int64 // the command being applied
	var wg sync.WaitGroup
	if b.run != nil && len(b.in) >= prefetchMin {
		wg.Add(1)
		db := b.mc.db
		go func() {
			defer wg.Done()
			for i := len(b.key) - 1; int64(i) > at.Load()+1; i-- {
				if k := b.key[i]; k.to > k.from {
					s.eng.Prefetch(db, b.keys[k.from:k.to])
				}
			}
		}()
	}
	var err error
	for i, c := range b.in {
		at.Store(int64(i))
		if err = b.add(c.argv, b.read[c.from:c.to], c.end); err != nil || b.mc.closed.Load() {
			break
		}
	}
	at.Store(int64(len(b.in)))
	wg.Wait()
	if ferr := b.flush(); err == nil {
		err = ferr
	}
	return err
}

// prefetchMin is the smallest run worth a second goroutine.
const prefetchMin = 16

// add applies one command of the stream; raw is its bytes and end the offset after them.
func (b *applyBatch) add(argv [][]byte, raw []byte, end int64) error {
	s := b.l.r.s
	mc := b.mc
	if len(argv) > 0 {
		if b.run != nil && joinsRun(mc, argv) {
			mc.applyRun = b.run
			s.execute(mc, argv)
			mc.applyRun = nil
		} else {
			// On its own: what the run wrote is committed and passed on first.
			if err := b.flush(); err != nil {
				return err
			}
			s.execute(mc, argv)
		}
		mc.w.Buf = mc.w.Buf[:0]
	}
	b.raw = append(b.raw, raw...)
	b.end = end
	b.cmds++
	return nil
}

// full reports whether the run reached its size limits.
func (b *applyBatch) full() bool { return b.cmds >= maxRunCommands || len(b.raw) >= maxRunBytes }

// flush commits the run, passes its bytes on and advances the applied offset. A failed
// commit wrote nothing: the link is dropped and the next PSYNC continues from the offset
// before the run.
func (b *applyBatch) flush() error {
	l := b.l
	r := l.r
	if b.run != nil && b.run.Len() > 0 {
		if err := b.run.Commit(); err != nil {
			r.s.log.Warn("Applying the master's stream failed: " + err.Error())
			return fmt.Errorf("apply: %w", err)
		}
		r.s.serveBlocked() // clients blocked on keys the run wrote: blocking.go
	}
	if len(b.raw) > 0 {
		r.stream.FeedRaw(b.raw, b.mc.db)
		l.applied.Store(b.end)
	}
	b.cmds = 0
	if cap(b.raw) > 4*maxRunBytes {
		b.raw = nil
	} else {
		b.raw = b.raw[:0]
	}
	return nil
}

var errMasterClientClosed = errors.New("master client closed")
