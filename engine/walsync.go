package engine

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// appendfsync everysec (and no) as Redis means it: a write is in the OS (write(2) done) before
// it is acknowledged, so killing the process loses nothing; only fsync is deferred, to once a
// second (everysec) or to the OS (no).
//
// Pebble has no such mode: a NoSync commit leaves the record in the LogWriter's buffer, which
// its flush goroutine writes out some time later, so a SIGKILL loses acknowledged writes. So
// every commit is made with Sync=true, and the WAL files' Sync/SyncData are deferred here. In
// Pebble v2.1.7 a Sync commit waits in commitPipeline.Commit until record.LogWriter's
// flushLoop has written the block(s) holding its record (flushPending: w.w.Write) and then
// called Sync on the file (syncWithLatency -> vfs.syncingFile.Sync -> File.SyncData) before it
// releases the waiters (pendingSyncs.pop): with SyncData a no-op, the commit returns once its
// record was written. Concurrent committers share one write and "sync" (Pebble's group
// commit). The real fsync is syncAll, called once a second by the engine under everysec, on
// demand by the durable operations (fsyncWAL), and by Close of a WAL file (rotation, Close).

// walFS is the store's file system: vfs.Default with WAL files wrapped in walFile.
type walFS struct {
	vfs.FS
	// deferSync makes WAL syncs no-ops (everysec, no); false passes them through (always).
	deferSync atomic.Bool

	mu   sync.Mutex
	open map[*walFile]struct{}
}

func newWALFS(fs vfs.FS) *walFS { return &walFS{FS: fs, open: make(map[*walFile]struct{})} }

// isWAL reports whether name is a Pebble WAL file (NNNNNN.log, NNNNNN-NNN.log).
func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

func (fs *walFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	return fs.wrap(name, f, err)
}

func (fs *walFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.wrap(newname, f, err)
}

func (fs *walFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		return f, err
	}
	w := &walFile{File: f, fs: fs}
	fs.mu.Lock()
	fs.open[w] = struct{}{}
	fs.mu.Unlock()
	return w, nil
}

// syncAll fsyncs every open WAL file: everything written to them before the call is durable
// when it returns.
func (fs *walFS) syncAll() error {
	fs.mu.Lock()
	files := make([]*walFile, 0, len(fs.open))
	for f := range fs.open {
		files = append(files, f)
	}
	fs.mu.Unlock()
	var first error
	for _, f := range files {
		if err := f.realSync(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// walFile is a WAL file whose syncs wait for syncAll unless deferSync is off.
type walFile struct {
	vfs.File
	fs *walFS

	mu     sync.Mutex // orders realSync against Close
	closed bool
}

func (f *walFile) Sync() error {
	if f.fs.deferSync.Load() {
		return nil
	}
	return f.File.Sync()
}

func (f *walFile) SyncData() error {
	if f.fs.deferSync.Load() {
		return nil
	}
	return f.File.SyncData()
}

func (f *walFile) realSync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil // Close synced it
	}
	return f.File.SyncData()
}

// Close syncs for real first: a WAL that Pebble rotates away from is as durable as one that
// syncAll would have reached, and Close of the store leaves nothing unsynced.
func (f *walFile) Close() error {
	f.fs.mu.Lock()
	delete(f.fs.open, f)
	f.fs.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	err := f.File.SyncData()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}
