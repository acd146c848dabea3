package engine

import (
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// syncCountFS counts the syncs that reach the files under walFS.
type syncCountFS struct {
	vfs.FS
	syncs *atomic.Int64
}

func (fs syncCountFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	if err != nil {
		return nil, err
	}
	return syncCountFile{f, fs.syncs}, nil
}

type syncCountFile struct {
	vfs.File
	syncs *atomic.Int64
}

func (f syncCountFile) Sync() error     { f.syncs.Add(1); return f.File.Sync() }
func (f syncCountFile) SyncData() error { f.syncs.Add(1); return f.File.SyncData() }

func TestWALFSDefersSyncsToSyncAll(t *testing.T) {
	var syncs atomic.Int64
	fs := newWALFS(syncCountFS{vfs.NewMem(), &syncs})
	fs.deferSync.Store(true)
	f, err := fs.Create("000001.log", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	other, err := fs.Create("MANIFEST-000001", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("record")); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.SyncData()
	if n := syncs.Load(); n != 0 {
		t.Fatalf("deferred WAL syncs reached the file %d times", n)
	}
	other.Sync() // not a WAL: always synced
	if n := syncs.Load(); n != 1 {
		t.Fatalf("MANIFEST sync: %d syncs, want 1", n)
	}
	if err := fs.syncAll(); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 2 {
		t.Fatalf("syncAll: %d syncs, want 2", n)
	}
	fs.deferSync.Store(false) // appendfsync always
	f.SyncData()
	if n := syncs.Load(); n != 3 {
		t.Fatalf("undeferred sync: %d syncs, want 3", n)
	}
	fs.deferSync.Store(true)
	if err := f.Close(); err != nil { // a WAL is synced when Pebble closes it
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 4 {
		t.Fatalf("close: %d syncs, want 4", n)
	}
	if err := fs.syncAll(); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 4 || len(fs.open) != 0 {
		t.Fatalf("syncAll after close: %d syncs, %d open WALs", n, len(fs.open))
	}
}
