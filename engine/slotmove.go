package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Moving whole slots (native slot migration). A slot of db 0 is one contiguous key range, so
// the source exports it as a scan of a snapshot and the target writes the records, in the
// order they arrive, into SSTs that it ingests under a hidden staging prefix: node-local
// (localPrefix), so no client command, KEYS, SCAN, DBSIZE or COUNTKEYSINSLOT sees it. At
// hand-over the staging records become the slot's records (Promote), and the source drops
// its copy with range tombstones (DropSlots).

// localStaging follows localPrefix for staged slot records: 0xFF 's' | slot(2) | tag | ...
const localStaging = 's'

// SlotRange is an inclusive range of slots.
type SlotRange struct{ Start, End uint16 }

func (r SlotRange) String() string {
	return strconv.Itoa(int(r.Start)) + "-" + strconv.Itoa(int(r.End))
}

// Contains reports whether slot is in r.
func (r SlotRange) Contains(slot uint16) bool { return slot >= r.Start && slot <= r.End }

// realBounds are the db 0 keys of the range: [pdb|start, pdb|end+1).
func realBounds(pdb byte, r SlotRange) (lo, hi []byte) {
	return []byte{pdb, byte(r.Start >> 8), byte(r.Start)}, slotUpper([]byte{pdb}, r.End)
}

func stagingBounds(r SlotRange) (lo, hi []byte) {
	p := []byte{localPrefix, localStaging}
	return append(append([]byte{}, p...), byte(r.Start>>8), byte(r.Start)), slotUpper(p, r.End)
}

// slotUpper is the first key after slot end under prefix p.
func slotUpper(p []byte, end uint16) []byte {
	if end == 0xFFFF {
		return prefixEnd(p)
	}
	n := end + 1
	return append(append([]byte{}, p...), byte(n>>8), byte(n))
}

// ExportSlots calls fn for every record of db 0 in ranges as of the snapshot, in key order.
// The key passed is the record's key without its db byte (slot | tag | ...), the form
// SlotImport.Add takes; both slices are only valid during the call.
func (s *Snapshot) ExportSlots(ranges []SlotRange, fn func(key, value []byte) error) error {
	pdb := s.dbmap[0]
	for _, r := range ranges {
		lo, hi := realBounds(pdb, r)
		it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.ValueAndErr()
			if err != nil {
				it.Close()
				return err
			}
			if err := fn(it.Key()[1:], v); err != nil {
				it.Close()
				return err
			}
		}
		if err := it.Error(); err != nil {
			it.Close()
			return err
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	return nil
}

// SnapshotWith takes a snapshot and runs fn while no write can commit, so that fn can note
// the position of a change stream that matches the snapshot exactly.
func (e *Engine) SnapshotWith(fn func()) (*Snapshot, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.global.Lock()
	defer e.global.Unlock()
	s := &Snapshot{e: e, snap: e.db.NewSnapshot(), now: e.opts.Now()}
	s.dbmap = append([]byte(nil), (*e.dbmap.Load())...)
	s.sizes = make([]int64, e.opts.Databases)
	for db := range s.sizes {
		s.sizes[db] = e.counts[s.dbmap[db]].totalKeys.Load()
	}
	if fn != nil {
		fn()
	}
	return s, nil
}

// SlotImport receives the records of slot ranges (ExportSlots' order) and stages them: they
// go, under their final keys, into SSTs kept in the import's directory and out of the store,
// so nothing a client, KEYS, SCAN, DBSIZE or COUNTKEYSINSLOT reads can see them. Promote
// ingests the files (a link, not a copy): the hand-over costs milliseconds whatever the
// size. (Earlier imports ingested under the staging prefix 0xFF 's'; ClearStaging still
// drops what such an import left.)
type SlotImport struct {
	e       *Engine
	dir     string
	ranges  []SlotRange
	pdb     byte // the physical db of db 0 the keys were written for
	w       *sstable.Writer
	path    string
	paths   []string // closed SSTs, ready to ingest
	bytes   int64    // in the open SST
	last    []byte
	keys    map[uint16]int64 // metadata records per slot, staged
	expires map[uint16]int64
	// Records and bytes staged so far, for progress.
	Records, Bytes int64
}

// sstTarget is the size at which a staged SST is closed.
const sstTarget = 64 << 20

// ErrOutOfOrder refuses a record not after the previous one or outside the ranges.
var ErrOutOfOrder = errors.New("engine: slot import record out of order or outside its ranges")

// NewSlotImport prepares a staging area for ranges in dir, dropping whatever an earlier
// attempt left there (files, and records under the old staging prefix).
func (e *Engine) NewSlotImport(dir string, ranges []SlotRange) (*SlotImport, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	im := &SlotImport{e: e, dir: dir, ranges: ranges, pdb: e.phys(0), keys: map[uint16]int64{}, expires: map[uint16]int64{}}
	if err := im.clearStaging(); err != nil {
		return nil, err
	}
	return im, nil
}

func (im *SlotImport) clearStaging() error {
	b := im.e.db.NewBatch()
	defer b.Close()
	for _, r := range im.ranges {
		lo, hi := stagingBounds(r)
		b.DeleteRange(lo, hi, nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	return im.e.fsyncWAL() // a Sync commit only reaches the OS: walsync.go
}

func (im *SlotImport) inRanges(slot uint16) bool {
	for _, r := range im.ranges {
		if r.Contains(slot) {
			return true
		}
	}
	return false
}

// Add stages one record (key without its db byte: slot | tag | ...). Records must come in
// strictly increasing key order, as ExportSlots yields them.
func (im *SlotImport) Add(key, value []byte) error {
	if len(key) < 3 || !im.inRanges(uint16(key[0])<<8|uint16(key[1])) ||
		im.last != nil && string(key) <= string(im.last) {
		return ErrOutOfOrder
	}
	if key[2] == tagMeta {
		m, err := decodeMeta(value)
		if err != nil {
			return fmt.Errorf("engine: slot import: %w", err)
		}
		slot := uint16(key[0])<<8 | uint16(key[1])
		im.keys[slot]++
		if m.ExpireAt != 0 {
			im.expires[slot]++
		}
	}
	if im.w == nil {
		if err := im.openSST(); err != nil {
			return err
		}
	}
	rk := make([]byte, 0, 1+len(key))
	rk = append(append(rk, im.pdb), key...)
	if err := im.w.Set(rk, value); err != nil {
		return err
	}
	im.last = append(im.last[:0], key...)
	n := int64(len(key) + len(value))
	im.bytes += n
	im.Records++
	im.Bytes += n
	if im.bytes >= sstTarget {
		return im.Flush()
	}
	return nil
}

func (im *SlotImport) openSST() error {
	im.path = filepath.Join(im.dir, fmt.Sprintf("stage-%06d.sst", len(im.paths)+1))
	f, err := vfs.Default.Create(im.path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	im.w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), im.e.writerOptions())
	im.bytes = 0
	return nil
}

// writerOptions are the SST options of the store (its comparer and table format).
func (e *Engine) writerOptions() sstable.WriterOptions {
	o := &pebble.Options{Merger: counterMerger}
	o.EnsureDefaults()
	return o.MakeWriterOptions(0, e.db.TableFormat())
}

// Flush closes the open SST (it waits in the directory for Promote).
func (im *SlotImport) Flush() error {
	if im.w == nil {
		return nil
	}
	w, path := im.w, im.path
	im.w = nil
	if err := w.Close(); err != nil {
		os.Remove(path)
		return err
	}
	im.paths = append(im.paths, path)
	return nil
}

// StagedFiles is the number of SSTs waiting for Promote (tests, progress).
func (im *SlotImport) StagedFiles() int { return len(im.paths) }

// Promote makes the staged records the slots' records in db 0: whatever the real ranges
// held goes, the SSTs are ingested, the counters set. The caller guarantees that nothing
// writes these slots meanwhile. When the real ranges are empty (the usual case: the node
// does not own the slots) no range tombstone is written, so the ingest does not wait for a
// memtable flush.
func (im *SlotImport) Promote() error {
	if err := im.Flush(); err != nil {
		return err
	}
	e := im.e
	e.global.Lock()
	defer e.global.Unlock()
	pdb := e.phys(0)
	if pdb != im.pdb {
		return errors.New("engine: slot import: db 0 was swapped during the import")
	}
	clear := e.db.NewBatch()
	defer clear.Close()
	for _, r := range im.ranges {
		lo, hi := realBounds(pdb, r)
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return err
		}
		occupied := it.First()
		if err := it.Close(); err != nil {
			return err
		}
		if occupied { // an earlier owner's leftovers
			clear.DeleteRange(lo, hi, nil)
		}
		clear.DeleteRange(counterKey(pdb, r.Start), slotUpper([]byte{localPrefix, localCounter, pdb}, r.End), nil)
	}
	if err := clear.Commit(pebble.Sync); err != nil {
		return err
	}
	if err := e.fsyncWAL(); err != nil {
		return err
	}
	c := e.counts[pdb]
	for _, r := range im.ranges {
		for s := int(r.Start); s <= int(r.End); s++ {
			c.add(uint16(s), -c.keys[s].Load(), -c.expires[s].Load())
			c.nextDue[s].Store(0)
		}
	}
	if len(im.paths) > 0 {
		if err := e.db.Ingest(context.Background(), im.paths); err != nil {
			return err
		}
		for _, p := range im.paths {
			os.Remove(p) // ingested files are linked or copied: ours can go
		}
		im.paths = nil
	}
	b := e.db.NewBatch()
	defer b.Close()
	for slot, n := range im.keys {
		b.Merge(counterKey(pdb, slot), encodeCounter(n, im.expires[slot]), nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	if err := e.fsyncWAL(); err != nil {
		return err
	}
	for slot, n := range im.keys {
		c.add(slot, n, im.expires[slot])
		if im.expires[slot] > 0 {
			c.nextDue[slot].Store(1) // unknown: let the expiry cycle look at the slot
		}
	}
	e.cache.clear() // it may hold "absent" for keys that exist now
	return nil
}

// Abort drops the staged files (and any record under the old staging prefix).
func (im *SlotImport) Abort() error {
	if im.w != nil {
		im.w.Close()
		im.w = nil
		os.Remove(im.path)
	}
	for _, p := range im.paths {
		os.Remove(p)
	}
	im.paths = nil
	return im.clearStaging()
}

// ClearStaging drops every staged record (an import that did not finish before a restart).
func (e *Engine) ClearStaging() error {
	if err := e.db.DeleteRange([]byte{localPrefix, localStaging}, []byte{localPrefix, localStaging + 1}, pebble.Sync); err != nil {
		return err
	}
	return e.fsyncWAL() // a Sync write only reaches the OS: walsync.go
}

// StagedRecords counts the staged records of ranges (tests, progress).
func (e *Engine) StagedRecords(ranges []SlotRange) (int64, error) {
	var n int64
	for _, r := range ranges {
		lo, hi := stagingBounds(r)
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return 0, err
		}
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		if err := it.Close(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// DropSlots removes every record of db 0 in ranges (slots this node handed over): one range
// tombstone per range, and their counters. The hot cache is cleared after the global lock is
// released (clearing a large cache takes long, and nothing may read those slots here any
// more: the caller no longer serves them).
func (e *Engine) DropSlots(ranges []SlotRange) error {
	defer e.cache.clear()
	e.global.Lock()
	defer e.global.Unlock()
	pdb := e.phys(0)
	b := e.db.NewBatch()
	defer b.Close()
	for _, r := range ranges {
		lo, hi := realBounds(pdb, r)
		b.DeleteRange(lo, hi, nil)
		b.DeleteRange(counterKey(pdb, r.Start), slotUpper([]byte{localPrefix, localCounter, pdb}, r.End), nil)
	}
	if err := b.Commit(e.writeOpts()); err != nil {
		return err
	}
	c := e.counts[pdb]
	for _, r := range ranges {
		for s := int(r.Start); s <= int(r.End); s++ {
			c.add(uint16(s), -c.keys[s].Load(), -c.expires[s].Load())
			c.nextDue[s].Store(0)
		}
	}
	return nil
}

// SyncWAL makes every write committed so far durable, whatever appendfsync says: a node
// takes over slots only once what it applied for them survives a crash.
func (e *Engine) SyncWAL() error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := e.db.LogData([]byte("sync"), pebble.Sync); err != nil {
		return err
	}
	return e.fsyncWAL() // the Sync record only reaches the OS: walsync.go
}

// StoreDir is a path under the store's directory (the slot import keeps its SSTs there).
func (e *Engine) StoreDir(elem ...string) string {
	return filepath.Join(append([]string{e.opts.Dir}, elem...)...)
}
