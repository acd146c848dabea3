package engine

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/rdb"
)

// Bulk loading (dump.rdb at start, an AOF's RDB base). Committing key by key would push every
// record through the WAL and the memtable; instead strings are encoded straight into a
// buffer, collections' records are built by the types' own code in a scratch batch
// (PutObject) and copied there, and the buffer is written, bucket by (db, slot) bucket, as
// SSTs that Pebble ingests whole (load_run.go). A run of up to LoadOptions.RunBytes is
// written and ingested in the background while the next one fills; the last one is split in
// two SSTs built in parallel. Runs may overlap each other (Pebble stacks them). Per-slot key
// counters are summed in memory and committed once at the end, after the data.
//
// The loader writes as if the store held none of the keys it loads: it is for an empty store.

// LoadOptions tune a bulk load.
type LoadOptions struct {
	// DropExpired drops keys whose expiry is already past (Redis does for an RDB it loads as a
	// master; an AOF's base keeps them until they expire).
	DropExpired bool
	// Limits are the encoding thresholds values are built with (default DefaultObjectLimits).
	Limits *ObjectLimits
	// Keep, when set, decides which keys this node stores; the others go to Other (cluster
	// mode: keys of slots another node serves). Nil keeps everything.
	Keep  func(db int, key []byte) bool
	Other func(db int, key []byte, o *rdb.Object, expireAt int64) error
	// RunBytes is the buffered size that becomes one ingestion (default 256 MiB).
	RunBytes int
}

// LoadStats count what a load did.
type LoadStats struct {
	Keys    int64 // stored
	Expired int64 // dropped because already expired
	Empty   int64 // empty aggregates skipped
	Other   int64 // handed to LoadOptions.Other
	Bytes   int64 // record bytes written
	SSTs    int
}

// BulkLoader loads keys into an empty store through SST ingestion. Add keys, then Finish;
// nothing is visible before Finish (or before each run's ingestion, for partial loads).
type BulkLoader struct {
	e        *Engine
	o        LoadOptions
	lim      ObjectLimits
	batch    *pebble.Batch // scratch for PutObject
	sbatch   *pebble.Batch // indexed scratch, for streams
	cur      *run
	spare    *run             // a flushed run, for reuse
	inflight chan flushResult // the run being ingested in the background, if any
	runs     int              // runs started, for SST names
	grp      []batchRec       // scratch for copyBatch
	counts   [256]*[keyslot.Slots]slotCount
	tmp      string
	stats    LoadStats
	now      int64
	done     bool
}

// slotCount sums a slot's key counters and notes its earliest expiry.
type slotCount struct{ keys, expires, due int64 }

// NewBulkLoader starts a bulk load.
func (e *Engine) NewBulkLoader(o LoadOptions) (*BulkLoader, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if o.RunBytes <= 0 {
		o.RunBytes = 256 << 20
	}
	o.RunBytes = min(o.RunBytes, 1<<31) // record offsets are 32-bit
	l := &BulkLoader{
		e: e, o: o, lim: DefaultObjectLimits, batch: e.db.NewBatch(),
		now: e.opts.Now(), tmp: filepath.Join(e.opts.Dir, "load-tmp"),
	}
	if o.Limits != nil {
		l.lim = *o.Limits
	}
	if err := os.MkdirAll(l.tmp, 0o755); err != nil {
		return nil, err
	}
	l.cur = newRun(o.RunBytes)
	return l, nil
}

// Stats reports what has been loaded so far.
func (l *BulkLoader) Stats() LoadStats { return l.stats }

// Add loads one key of logical db (expireAt unix ms, 0 or negative = none).
func (l *BulkLoader) Add(db int, key []byte, o *rdb.Object, expireAt int64) error {
	if l.done {
		return errors.New("engine: bulk loader finished")
	}
	if db < 0 || db >= l.e.opts.Databases {
		return fmt.Errorf("engine: key in database %d, but only %d databases are configured", db, l.e.opts.Databases)
	}
	if expireAt < 0 {
		expireAt = 0
	}
	if l.o.DropExpired && expireAt != 0 && expireAt <= l.now {
		l.stats.Expired++
		return nil
	}
	if o.IsEmpty() {
		l.stats.Empty++
		return nil
	}
	if l.o.Keep != nil && !l.o.Keep(db, key) {
		l.stats.Other++
		if l.o.Other != nil {
			return l.o.Other(db, key, o, expireAt)
		}
		return nil
	}
	pdb := l.e.phys(db)
	seq := uint32(l.stats.Keys)
	if o.Kind == rdb.KindString {
		// The common case, without a batch: the metadata record (metaKey, Meta.encode) and the
		// expiry index entry (expireKey), encoded in place.
		slot := Slot(key)
		r := l.cur
		off := len(r.arena)
		r.arena = append(append(r.arena, pdb, byte(slot>>8), byte(slot), tagMeta), key...)
		r.arena = append(r.arena, byte(TypeString), 0)
		r.arena = append(binary.BigEndian.AppendUint64(r.arena, uint64(expireAt)), o.Str...)
		r.add(off, 4+len(key), 10+len(o.Str), seq)
		var exp int64
		if expireAt != 0 {
			off = len(r.arena)
			r.arena = append(r.arena, pdb, byte(slot>>8), byte(slot), tagExpire)
			r.arena = append(binary.BigEndian.AppendUint64(r.arena, uint64(expireAt)), key...)
			r.add(off, 12+len(key), 0, seq)
			exp = 1
		}
		l.count(pdb, slot, 1, exp, expireAt)
		return l.added()
	}
	// A plain batch, cheaper than an indexed one, for the types that write without reading
	// their own writes back; the stream node model reads its node record.
	b := l.batch
	if o.Kind == rdb.KindStream {
		if l.sbatch == nil {
			l.sbatch = l.e.db.NewIndexedBatch()
		}
		b = l.sbatch
	}
	b.Reset()
	tx := &Tx{e: l.e, db: pdb, ldb: db, now: l.now, batch: b}
	tx.setPending(key, absent) // the store is empty: no read of the old value
	if err := tx.PutObject(key, o, expireAt, l.lim); err != nil {
		return fmt.Errorf("key %q: %w", key, err)
	}
	if err := l.copyBatch(b, key, seq); err != nil {
		return err
	}
	for i, d := range tx.deltas {
		at := int64(0)
		if i == 0 {
			at = expireAt
		}
		l.count(d.db, d.slot, d.keys, d.expires, at)
	}
	return l.added()
}

// batchRec is a collection record read back from the scratch batch: pid numbers its shared
// prefix (db|slot|tag|len|key|version), head is the first 8 bytes after it, idx the write
// order.
type batchRec struct {
	k, v     []byte
	head     uint64
	pid, idx int
}

// copyBatch moves the records PutObject wrote for key into the run: the metadata and expiry
// records one by one, the element records sorted into one unit per shared prefix (one per
// tag), so that SST writing never compares a collection's elements again.
func (l *BulkLoader) copyBatch(b *pebble.Batch, key []byte, seq uint32) error {
	plen := 16 + len(key)
	var pfxs [][]byte
	grp := l.grp[:0]
	br := b.Reader()
	for idx := 0; ; idx++ {
		kind, k, v, ok, err := br.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if kind != pebble.InternalKeyKindSet || len(k) < 4 || k[0] == localPrefix {
			return fmt.Errorf("engine: bulk load of key %q produced a record of kind %s", key, kind)
		}
		if k[3] == tagMeta || k[3] == tagExpire || len(k) < plen ||
			binary.BigEndian.Uint32(k[4:]) != uint32(len(key)) || !bytes.Equal(k[8:8+len(key)], key) {
			l.cur.put(k, v, seq)
			continue
		}
		pid := -1
		for i, p := range pfxs {
			if bytes.Equal(p, k[:plen]) {
				pid = i
				break
			}
		}
		if pid < 0 {
			pid = len(pfxs)
			pfxs = append(pfxs, k[:plen])
		}
		var h [8]byte
		copy(h[:], k[plen:])
		grp = append(grp, batchRec{k: k, v: v, head: binary.BigEndian.Uint64(h[:]), pid: pid, idx: idx})
	}
	l.grp = grp[:0]
	// Same prefix, then sub-key (as in run.compare), then write order.
	slices.SortFunc(grp, func(a, b batchRec) int {
		if a.pid != b.pid {
			return cmp.Compare(a.pid, b.pid)
		}
		if a.head != b.head {
			return cmp.Compare(a.head, b.head)
		}
		if c := bytes.Compare(a.k[min(len(a.k), plen+8):], b.k[min(len(b.k), plen+8):]); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.k), len(b.k)); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	r := l.cur
	for i := 0; i < len(grp); {
		j := i
		for j < len(grp) && grp[j].pid == grp[i].pid {
			j++
		}
		off, n, klen, vlen := len(r.arena), 0, 0, 0
		for x := i; x < j; x++ {
			b := grp[x]
			if x+1 < j && bytes.Equal(b.k, grp[x+1].k) {
				continue // a later write of the same record replaces this one
			}
			if n == 0 {
				r.arena = append(append(r.arena, b.k...), b.v...)
				klen, vlen = len(b.k), len(b.v)
			} else {
				r.arena = binary.AppendUvarint(r.arena, uint64(len(b.k)-plen))
				r.arena = binary.AppendUvarint(r.arena, uint64(len(b.v)))
				r.arena = append(append(r.arena, b.k[plen:]...), b.v...)
			}
			n++
		}
		r.addUnit(off, klen, vlen, seq, n, plen)
		i = j
	}
	return nil
}

// count adds to the key counters of (pdb, slot) and notes the earliest expiry.
func (l *BulkLoader) count(pdb byte, slot uint16, keys, expires, expireAt int64) {
	c := l.counts[pdb]
	if c == nil {
		c = new([keyslot.Slots]slotCount)
		l.counts[pdb] = c
	}
	sc := &c[slot]
	sc.keys += keys
	sc.expires += expires
	if expireAt != 0 && (sc.due == 0 || expireAt < sc.due) {
		sc.due = expireAt
	}
}

// added finishes an Add: a full run goes to the background.
func (l *BulkLoader) added() error {
	l.stats.Keys++
	if len(l.cur.arena) < l.o.RunBytes {
		return nil
	}
	if len(l.cur.arena) >= 1<<32-1 {
		return errors.New("engine: bulk load run over 4 GiB (one key too large)")
	}
	if err := l.wait(); err != nil {
		return err
	}
	r := l.cur
	if l.spare != nil {
		l.cur, l.spare = l.spare, nil
	} else {
		l.cur = newRun(l.o.RunBytes)
	}
	l.inflight = make(chan flushResult, 1)
	name := strconv.Itoa(l.runs)
	l.runs++
	go func(ch chan<- flushResult) {
		n, err := r.ingest(l.e, l.tmp, name, 1, nil)
		ch <- flushResult{r: r, ssts: n, bytes: int64(len(r.arena)), err: err}
	}(l.inflight)
	return nil
}

// wait waits for the background ingestion, if any, and takes its run back for reuse.
func (l *BulkLoader) wait() error {
	if l.inflight == nil {
		return nil
	}
	res := <-l.inflight
	l.inflight = nil
	l.stats.SSTs += res.ssts
	if res.err != nil {
		return res.err
	}
	l.stats.Bytes += res.bytes
	res.r.reset()
	l.spare = res.r
	return nil
}

// Finish ingests what is buffered, then commits the key counters and makes them live.
func (l *BulkLoader) Finish() (LoadStats, error) {
	if l.done {
		return l.stats, nil
	}
	l.done = true
	defer l.closeBatches()
	defer os.RemoveAll(l.tmp)
	name := strconv.Itoa(l.runs)
	l.runs++
	n, err := l.cur.ingest(l.e, l.tmp, name, 2, l.wait)
	l.wait() // after a failure before it was waited for
	if err != nil {
		return l.stats, err
	}
	l.stats.SSTs += n
	l.stats.Bytes += int64(len(l.cur.arena))
	l.cur = nil
	b := l.e.db.NewBatch()
	defer b.Close()
	for pdb, c := range l.counts {
		if c == nil {
			continue
		}
		for slot, sc := range c {
			if sc.keys == 0 && sc.expires == 0 {
				continue
			}
			if err := b.Merge(counterKey(byte(pdb), uint16(slot)), encodeCounter(sc.keys, sc.expires), nil); err != nil {
				return l.stats, err
			}
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return l.stats, err
	}
	if err := l.e.fsyncWAL(); err != nil { // Sync commits only reach the OS: walsync.go
		return l.stats, err
	}
	for pdb, c := range l.counts {
		if c == nil {
			continue
		}
		for slot, sc := range c {
			if sc.keys != 0 || sc.expires != 0 {
				l.e.counts[pdb].add(uint16(slot), sc.keys, sc.expires)
			}
			if sc.due != 0 {
				l.e.counts[pdb].lowerDue(uint16(slot), sc.due)
			}
		}
	}
	l.e.cache.clear()
	return l.stats, nil
}

func (l *BulkLoader) closeBatches() {
	l.batch.Close()
	if l.sbatch != nil {
		l.sbatch.Close()
	}
}

// Abort drops what is buffered (runs already ingested stay).
func (l *BulkLoader) Abort() {
	if !l.done {
		l.done = true
		l.wait()
		l.closeBatches()
		os.RemoveAll(l.tmp)
	}
}

// RDBResult describes an RDB load.
type RDBResult struct {
	LoadStats
	Version   int
	Aux       []rdb.AuxField
	Functions [][]byte
	Elapsed   time.Duration
}

// LoadRDB bulk-loads a whole RDB stream (after its last key, r is positioned right after the
// checksum when it is a *bufio.Reader). Decoding runs in its own goroutine, ahead of the
// record building.
func (e *Engine) LoadRDB(r io.Reader, o LoadOptions) (*RDBResult, error) {
	start := time.Now()
	l, err := e.NewBulkLoader(o)
	if err != nil {
		return nil, err
	}
	rd := rdb.NewReader(r)
	res := &RDBResult{}
	acc := e.newLoadedAccess(l.now) // IDLE/FREQ opcodes: access.go
	// Entries travel in batches: a channel operation per key costs more than building a
	// small string's records.
	type batch struct {
		ens []*rdb.Entry
		err error
	}
	ch := make(chan batch, 16)
	stop := make(chan struct{})
	go func() {
		defer close(ch)
		var ens []*rdb.Entry
		for {
			en, err := rd.Next()
			if err == nil {
				ens = append(ens, en)
				if len(ens) < 256 {
					continue
				}
			}
			if err == io.EOF {
				err = nil
			}
			if len(ens) > 0 || err != nil {
				select {
				case ch <- batch{ens, err}:
				case <-stop:
					return
				}
				ens = nil
			}
			if err != nil || en == nil {
				return
			}
		}
	}()
	fail := func(err error) (*RDBResult, error) {
		close(stop)
		for range ch {
		}
		l.Abort()
		res.LoadStats = l.Stats()
		return res, err
	}
	for bt := range ch {
		for _, en := range bt.ens {
			if err := l.Add(en.DB, en.Key, &en.Object, en.ExpireAt); err != nil {
				return fail(err)
			}
			acc.add(en)
		}
		if bt.err != nil {
			return fail(bt.err)
		}
	}
	close(stop)
	// The reader is done: reading its version, aux fields and functions is race-free now.
	res.Version, _ = rd.Version()
	res.Aux, res.Functions = rd.Aux(), rd.Functions()
	st, err := l.Finish()
	res.LoadStats, res.Elapsed = st, time.Since(start)
	return res, err
}

// Markers are small node-local records (never user data, never counted): what the node has
// imported, replication state.

func markerKey(name string) []byte {
	return append([]byte{localPrefix, localMarker}, name...)
}

// Marker returns the value of marker name, if set.
func (e *Engine) Marker(name string) ([]byte, bool, error) {
	v, closer, err := e.db.Get(markerKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, true, nil
}

// SetMarker durably sets marker name to value (nil value: deletes it).
func (e *Engine) SetMarker(name string, value []byte) error {
	var err error
	if value == nil {
		err = e.db.Delete(markerKey(name), pebble.Sync)
	} else {
		err = e.db.Set(markerKey(name), value, pebble.Sync)
	}
	if err != nil {
		return err
	}
	return e.fsyncWAL() // a Sync write only reaches the OS: walsync.go
}

// Empty reports whether no database holds a key.
func (e *Engine) Empty() bool {
	for db := range e.opts.Databases {
		if e.DBSize(db) != 0 {
			return false
		}
	}
	return true
}
