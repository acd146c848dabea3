// Package engine stores the keyspace in Pebble: one contiguous key range per (db, slot), a
// metadata record per key, collections as element records, an expiry index, and exact per-slot
// counters. A byte-weighted cache fronts the metadata records; Pebble stays the source of truth.
package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/slotdb/slotdb/internal/clock"
)

// Fsync is the durability policy, named after appendfsync.
type Fsync int

const (
	FsyncEverySec Fsync = iota // WAL fsynced once a second
	FsyncAlways                // every write batch synced (group commit)
	FsyncNo                    // left to the OS
)

// Options configure an Engine.
type Options struct {
	Dir        string
	Databases  int   // logical databases (SELECT range)
	Fsync      Fsync // appendfsync
	CacheBytes int64 // hot-cache budget; Pebble's block cache and memtables get their own share
	Logger     *slog.Logger
	// Now returns the current unix time in ms; tests replace it. Default: the wall clock.
	Now func() int64
}

// Engine is an open store.
type Engine struct {
	opts   Options
	db     *pebble.DB
	walfs  *walFS // WAL syncs deferred to syncAll under everysec and no (walsync.go)
	pcache interface{ Unref() }
	locks  *stripes
	cache  *metaCache
	log    *slog.Logger
	fsync  atomic.Int32 // Fsync policy, changeable at run time

	// global is held shared by every command and exclusively by whole-db operations
	// (FLUSHDB, FLUSHALL, SWAPDB), which therefore never interleave with a command.
	global sync.RWMutex
	dbmap  atomic.Pointer[[]byte] // logical db -> physical prefix byte
	counts []*slotCounters        // by physical db

	version   atomic.Uint64 // last collection version handed out
	writeHook atomic.Pointer[func(db int, key []byte)]
	propHook  atomic.Pointer[func(db int, cmds [][][]byte)] // propagate.go
	scans     *scanCursors
	// expireCursor is where each logical db's active expiry resumes (expiry goroutine only).
	expireCursor [MaxDatabases]int

	// noActiveExpire pauses the active expiry cycle (DEBUG SET-ACTIVE-EXPIRE 0).
	noActiveExpire atomic.Bool
	// expiryHeld, when it reports true, holds every expiry deletion (expire_hold.go).
	expiryHeld atomic.Pointer[func() bool]
	// access is the LRU/LFU policy of the keys' access stamps (access.go).
	access accessPolicy

	stop   chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool

	stats Stats
}

// Stats are counters for INFO.
type Stats struct {
	ExpiredKeys     atomic.Int64
	KeyspaceHits    atomic.Int64
	KeyspaceMisses  atomic.Int64
	ExpireCycleTime atomic.Int64 // total ms spent in active expiry
	// Changes counts keys written by commands (rdb_changes_since_last_save, save schedules).
	Changes atomic.Int64
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("engine: closed")

// Open opens (or creates) the store in opts.Dir.
func Open(opts Options) (*Engine, error) {
	if opts.Databases <= 0 {
		opts.Databases = 16
	}
	if opts.Databases > MaxDatabases {
		return nil, fmt.Errorf("engine: at most %d databases are supported", MaxDatabases)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = clock.NowMs
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 256 << 20
	}
	blockCache := pebble.NewCache(max(opts.CacheBytes/2, 8<<20))
	walfs := newWALFS(vfs.Default)
	walfs.deferSync.Store(opts.Fsync != FsyncAlways)
	popts := &pebble.Options{
		FS: walfs,
		// Pinned so that an upgrade of the library never silently rewrites the on-disk format.
		FormatMajorVersion: pebble.FormatValueSeparation,
		Cache:              blockCache,
		Merger:             counterMerger,
		Logger:             pebbleLogger{opts.Logger},
		MemTableSize:       64 << 20,
	}
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	pdb, err := pebble.Open(opts.Dir, popts)
	if err != nil {
		blockCache.Unref()
		return nil, err
	}
	e := &Engine{
		opts:   opts,
		db:     pdb,
		walfs:  walfs,
		pcache: blockCache,
		locks:  newStripes(),
		cache:  newMetaCache(opts.CacheBytes / 2),
		log:    opts.Logger,
		scans:  newScanCursors(),
		stop:   make(chan struct{}),
	}
	e.fsync.Store(int32(opts.Fsync))
	e.access.init(opts.Now())
	e.counts = make([]*slotCounters, MaxDatabases)
	for i := range e.counts {
		e.counts[i] = &slotCounters{}
	}
	if err := e.loadDBMap(); err != nil {
		pdb.Close()
		return nil, err
	}
	if err := e.loadCounters(); err != nil {
		pdb.Close()
		return nil, err
	}
	e.version.Store(uint64(time.Now().UnixNano()))
	e.every(time.Second, func() {
		if Fsync(e.fsync.Load()) == FsyncEverySec {
			e.syncWAL()
		}
	})
	e.every(100*time.Millisecond, e.activeExpireCycle)
	return e, nil
}

// every runs fn at each tick until Close.
func (e *Engine) every(d time.Duration, fn func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-e.stop:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// syncWAL makes every committed write durable (appendfsync everysec).
func (e *Engine) syncWAL() {
	if err := e.fsyncWAL(); err != nil && !e.closed.Load() {
		e.log.Warn("WAL fsync failed", "err", err)
	}
}

// fsyncWAL fsyncs the WAL whatever appendfsync says: what was committed before the call
// survives a machine crash once it returns (walsync.go).
func (e *Engine) fsyncWAL() error { return e.walfs.syncAll() }

// SetFsync changes the durability policy at run time (CONFIG SET appendfsync).
func (e *Engine) SetFsync(f Fsync) {
	e.fsync.Store(int32(f))
	e.walfs.deferSync.Store(f != FsyncAlways)
}

// writeOpts: every commit waits until its WAL record was written to the file, so that an
// acknowledged write survives a crash of the process; whether that wait includes an fsync is
// the WAL file's business (walsync.go: always fsyncs, everysec and no defer it).
func (e *Engine) writeOpts() *pebble.WriteOptions { return pebble.Sync }

// SetCacheBytes resizes the hot cache (CONFIG SET maxmemory).
func (e *Engine) SetCacheBytes(n int64) { e.cache.resize(n / 2) }

// Close flushes the WAL and closes the store.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	close(e.stop)
	e.wg.Wait()
	e.global.Lock()
	defer e.global.Unlock()
	_ = e.fsyncWAL()
	err := e.db.Close()
	e.pcache.Unref()
	e.cache.close()
	return err
}

// Now is the engine's clock in unix ms.
func (e *Engine) Now() int64 { return e.opts.Now() }

// Databases is the number of logical databases.
func (e *Engine) Databases() int { return e.opts.Databases }

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return &e.stats }

func (e *Engine) phys(db int) byte { return (*e.dbmap.Load())[db] }

func (e *Engine) nextVersion() uint64 {
	for {
		old := e.version.Load()
		v := max(old+1, uint64(time.Now().UnixNano()))
		if e.version.CompareAndSwap(old, v) {
			return v
		}
	}
}

func (e *Engine) loadDBMap() error {
	m := make([]byte, MaxDatabases)
	for i := range m {
		m[i] = byte(i)
	}
	v, closer, err := e.db.Get([]byte{localPrefix, localDBMap})
	if err == nil {
		copy(m, v)
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	e.dbmap.Store(&m)
	return nil
}

func (e *Engine) loadCounters() error {
	it, err := e.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{localPrefix, localCounter},
		UpperBound: []byte{localPrefix, localCounter + 1},
	})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 5 || len(v) != 16 {
			return fmt.Errorf("engine: corrupt counter record %x", k)
		}
		var m sumMerger
		m.add(v)
		e.counts[k[2]].add(uint16(k[3])<<8|uint16(k[4]), m.keys, m.expires)
	}
	return it.Error()
}

// pebbleLogger routes Pebble's log lines into slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Warn(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	panic(fmt.Sprintf(format, args...))
}
