package engine

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/slotdb/slotdb/rdb"
)

// Bulk loading (dump.rdb at start, an AOF's RDB base). Committing key by key would push every
// record through the WAL and the memtable; instead each key's records are built by the types'
// own code in a scratch batch (PutObject), copied into a buffer, and the buffer is sorted and
// written as an SST that Pebble ingests whole. A run of up to BulkLoader.RunBytes becomes one
// SST; runs may overlap each other (Pebble stacks them). Per-slot key counters are summed in
// memory and committed once at the end, after the data.
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
	// RunBytes is the buffered size that becomes one SST (default 256 MiB).
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
	e      *Engine
	o      LoadOptions
	lim    ObjectLimits
	batch  *pebble.Batch
	arena  []byte
	recs   []rec
	deltas map[uint32]*counterDelta // (pdb<<16 | slot)
	due    map[uint32]int64
	tmp    string
	stats  LoadStats
	now    int64
	done   bool
}

// rec is one buffered record; seq numbers the Add it came from (a key's own records may
// repeat a sub-key - the stream node model rewrites its node record - and the last wins).
type rec struct{ pfx, off, klen, vlen, seq uint32 }

// NewBulkLoader starts a bulk load.
func (e *Engine) NewBulkLoader(o LoadOptions) (*BulkLoader, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if o.RunBytes <= 0 {
		o.RunBytes = 256 << 20
	}
	o.RunBytes = min(o.RunBytes, 1<<31) // rec offsets are 32-bit
	l := &BulkLoader{
		e: e, o: o, lim: DefaultObjectLimits, batch: e.db.NewIndexedBatch(),
		deltas: map[uint32]*counterDelta{}, due: map[uint32]int64{}, now: e.opts.Now(),
		tmp: filepath.Join(e.opts.Dir, "load-tmp"),
	}
	if o.Limits != nil {
		l.lim = *o.Limits
	}
	if err := os.MkdirAll(l.tmp, 0o755); err != nil {
		return nil, err
	}
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
	if o.Kind == rdb.KindString {
		// The common case, without a batch: the metadata record, and the expiry index entry.
		slot := Slot(key)
		l.put(metaKey(pdb, slot, key), (&Meta{Type: TypeString, Value: o.Str, ExpireAt: expireAt}).encode())
		var exp int64
		if expireAt != 0 {
			l.put(expireKey(pdb, slot, expireAt, key), nil)
			exp = 1
		}
		l.count(pdb, slot, 1, exp, expireAt)
		return l.added()
	}
	l.batch.Reset()
	tx := &Tx{e: l.e, db: pdb, ldb: db, now: l.now, batch: l.batch}
	tx.setPending(key, absent) // the store is empty: no read of the old value
	if err := tx.PutObject(key, o, expireAt, l.lim); err != nil {
		return fmt.Errorf("key %q: %w", key, err)
	}
	r := l.batch.Reader()
	for {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if kind != pebble.InternalKeyKindSet {
			return fmt.Errorf("engine: bulk load of key %q produced a record of kind %s", key, kind)
		}
		l.put(k, v)
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

// put buffers one record.
func (l *BulkLoader) put(k, v []byte) {
	var pfx uint32
	if len(k) >= 4 {
		pfx = uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])
	}
	l.recs = append(l.recs, rec{pfx, uint32(len(l.arena)), uint32(len(k)), uint32(len(v)), uint32(l.stats.Keys)})
	l.arena = append(append(l.arena, k...), v...)
}

// count adds to the key counters of (pdb, slot) and notes the earliest expiry.
func (l *BulkLoader) count(pdb byte, slot uint16, keys, expires, expireAt int64) {
	id := uint32(pdb)<<16 | uint32(slot)
	if cur := l.deltas[id]; cur != nil {
		cur.keys += keys
		cur.expires += expires
	} else {
		l.deltas[id] = &counterDelta{db: pdb, slot: slot, keys: keys, expires: expires}
	}
	if expireAt != 0 {
		if cur, ok := l.due[id]; !ok || expireAt < cur {
			l.due[id] = expireAt
		}
	}
}

// added finishes an Add: a full buffer becomes an SST.
func (l *BulkLoader) added() error {
	l.stats.Keys++
	if len(l.arena) >= l.o.RunBytes {
		return l.flush()
	}
	return nil
}

func (l *BulkLoader) key(r rec) []byte { return l.arena[r.off : r.off+r.klen] }

// flush sorts the buffered records, writes them as one SST and ingests it.
func (l *BulkLoader) flush() error {
	if len(l.recs) == 0 {
		return nil
	}
	// By key, then in the order written (seq, then arena offset): a total order, so the last
	// write of a record sorts last.
	slices.SortFunc(l.recs, func(a, b rec) int {
		if a.pfx != b.pfx {
			return cmp.Compare(a.pfx, b.pfx)
		}
		if c := bytes.Compare(l.key(a)[4:], l.key(b)[4:]); c != 0 {
			return c
		}
		return cmp.Compare(a.off, b.off)
	})
	path := filepath.Join(l.tmp, strconv.Itoa(l.stats.SSTs)+".sst")
	if err := l.writeSST(path); err != nil {
		os.Remove(path)
		return err
	}
	err := l.e.db.Ingest(context.Background(), []string{path})
	os.Remove(path)
	if err != nil {
		return fmt.Errorf("engine: ingesting %s: %w", path, err)
	}
	l.stats.SSTs++
	l.stats.Bytes += int64(len(l.arena))
	l.recs, l.arena = l.recs[:0], l.arena[:0]
	return nil
}

func (l *BulkLoader) writeSST(path string) error {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	po := &pebble.Options{Merger: counterMerger}
	po.EnsureDefaults()
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	wo := po.MakeWriterOptions(0, l.e.db.FormatMajorVersion().MaxTableFormat())
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), wo)
	for i, r := range l.recs {
		k := l.key(r)
		if i+1 < len(l.recs) && bytes.Equal(k, l.key(l.recs[i+1])) {
			if next := l.recs[i+1]; next.seq != r.seq && len(k) > 4 && k[3] == tagMeta {
				w.Close()
				return fmt.Errorf("engine: duplicated key %q in the loaded data", k[4:])
			}
			continue // a later write of the same record replaces this one
		}
		if err := w.Set(k, l.arena[r.off+r.klen:r.off+r.klen+r.vlen]); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close() // syncs and closes f
}

// Finish ingests what is buffered, then commits the key counters and makes them live.
func (l *BulkLoader) Finish() (LoadStats, error) {
	if l.done {
		return l.stats, nil
	}
	l.done = true
	defer l.batch.Close()
	defer os.RemoveAll(l.tmp)
	if err := l.flush(); err != nil {
		return l.stats, err
	}
	b := l.e.db.NewBatch()
	defer b.Close()
	for _, d := range l.deltas {
		if err := b.Merge(counterKey(d.db, d.slot), encodeCounter(d.keys, d.expires), nil); err != nil {
			return l.stats, err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return l.stats, err
	}
	for _, d := range l.deltas {
		l.e.counts[d.db].add(d.slot, d.keys, d.expires)
	}
	for id, at := range l.due {
		l.e.counts[byte(id>>16)].lowerDue(uint16(id), at)
	}
	l.e.cache.clear()
	return l.stats, nil
}

// Abort drops what is buffered (runs already ingested stay).
func (l *BulkLoader) Abort() {
	if !l.done {
		l.done = true
		l.batch.Close()
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
	type item struct {
		en  *rdb.Entry
		err error
	}
	ch := make(chan item, 256)
	stop := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			en, err := rd.Next()
			if err == io.EOF {
				return
			}
			select {
			case ch <- item{en, err}:
			case <-stop:
				return
			}
			if err != nil {
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
	for it := range ch {
		if it.err != nil {
			return fail(it.err)
		}
		if err := l.Add(it.en.DB, it.en.Key, &it.en.Object, it.en.ExpireAt); err != nil {
			return fail(err)
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
	if value == nil {
		return e.db.Delete(markerKey(name), pebble.Sync)
	}
	return e.db.Set(markerKey(name), value, pebble.Sync)
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
