package engine

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/slotdb/slotdb/internal/keyslot"
)

// A run is the bulk loader's buffer of records on their way to SSTs. Record bytes go to one
// arena; references go to a bucket per (db, slot), the first three bytes of every user
// record. Each bucket sorts alone (a few hundred records, in cache) and the buckets are
// written in (db, slot) order, so there is never a sort of the whole run.
type run struct {
	arena []byte
	dbs   [256]*[keyslot.Slots][]rec
	n     int // records
}

// rec is one buffered unit: a record, or a sorted run of n records of one collection that
// share their first plen key bytes (db|slot|tag|len|key|version). A unit starts with its
// first record's key and value (klen, vlen bytes); each further record follows as
// uvarint(len(sub)) uvarint(len(value)) sub value, where sub is the key past the shared
// prefix. Units of one collection's tag never interleave with another's, so sorting units by
// first key sorts every record. head holds the first key's bytes 3..10 (the tag and the 7
// bytes after it) and head2 the next 8, zero-padded: most comparisons within a bucket end
// there, without reading the arena (keys often share a prefix like "user:"). seq numbers the
// Add it came from (a key's own records may repeat a sub-key - the stream node model
// rewrites its node record - and the last wins).
type rec struct {
	head, head2                   uint64
	off, klen, vlen, seq, n, plen uint32
}

// recHeadAt is where rec.head starts in a record key: after db|slot.
const recHeadAt = 3

func newRun(size int) *run {
	return &run{arena: make([]byte, 0, size+size/16)}
}

// add files the record whose key starts at arena[off] (klen bytes, value right after).
func (r *run) add(off, klen, vlen int, seq uint32) {
	k := r.arena[off : off+klen]
	var head, head2 uint64
	if klen >= recHeadAt+16 {
		head = binary.BigEndian.Uint64(k[recHeadAt:])
		head2 = binary.BigEndian.Uint64(k[recHeadAt+8:])
	} else {
		var h [16]byte
		copy(h[:], k[recHeadAt:])
		head = binary.BigEndian.Uint64(h[:])
		head2 = binary.BigEndian.Uint64(h[8:])
	}
	b := r.dbs[k[0]]
	if b == nil {
		b = new([keyslot.Slots][]rec)
		r.dbs[k[0]] = b
	}
	slot := uint16(k[1])<<8 | uint16(k[2])
	b[slot] = append(b[slot], rec{head, head2, uint32(off), uint32(klen), uint32(vlen), seq, 1, 0})
	r.n++
}

// addUnit files a unit of n records sharing plen key bytes, laid out from arena[off].
func (r *run) addUnit(off, klen, vlen int, seq uint32, n, plen int) {
	r.add(off, klen, vlen, seq)
	b := r.dbs[r.arena[off]][uint16(r.arena[off+1])<<8|uint16(r.arena[off+2])]
	b[len(b)-1].n, b[len(b)-1].plen = uint32(n), uint32(plen)
	r.n += n - 1
}

// put copies one record in.
func (r *run) put(k, v []byte, seq uint32) {
	off := len(r.arena)
	r.arena = append(append(r.arena, k...), v...)
	r.add(off, len(k), len(v), seq)
}

// reset empties the run, keeping its memory.
func (r *run) reset() {
	r.arena = r.arena[:0]
	for _, b := range r.dbs {
		if b == nil {
			continue
		}
		for i := range b {
			b[i] = b[i][:0]
		}
	}
	r.n = 0
}

func (r *run) key(x rec) []byte { return r.arena[x.off : x.off+x.klen] }

// compare orders records by key, then in the order written (a total order, so the last write
// of a record sorts last). Equal heads mean equal first bytes up to the shorter key's end
// within the head, so comparing the rest and then the lengths completes the key order.
func (r *run) compare(a, b rec) int {
	if a.head != b.head {
		return cmp.Compare(a.head, b.head)
	}
	if a.head2 != b.head2 {
		return cmp.Compare(a.head2, b.head2)
	}
	ka, kb := r.key(a), r.key(b)
	if c := bytes.Compare(ka[min(len(ka), recHeadAt+16):], kb[min(len(kb), recHeadAt+16):]); c != 0 {
		return c
	}
	if c := cmp.Compare(len(ka), len(kb)); c != 0 {
		return c
	}
	return cmp.Compare(a.off, b.off)
}

// bucketRef names one non-empty bucket.
type bucketRef struct {
	db   byte
	slot uint16
}

// parts splits the run's non-empty buckets, in key order, into at most n contiguous groups of
// about the same number of records.
func (r *run) parts(n int) [][]bucketRef {
	var all []bucketRef
	for db, b := range r.dbs {
		if b == nil {
			continue
		}
		for slot := range b {
			if len(b[slot]) > 0 {
				all = append(all, bucketRef{byte(db), uint16(slot)})
			}
		}
	}
	var out [][]bucketRef
	per := r.n/n + 1
	start, cnt := 0, 0
	for i, br := range all {
		cnt += len(r.dbs[br.db][br.slot])
		if cnt >= per && len(out) < n-1 {
			out = append(out, all[start:i+1])
			start, cnt = i+1, 0
		}
	}
	if start < len(all) {
		out = append(out, all[start:])
	}
	return out
}

// writeSST sorts the given buckets and writes them, in order, as one SST at path.
func (r *run) writeSST(e *Engine, path string, buckets []bucketRef) error {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	po := &pebble.Options{Merger: counterMerger}
	po.EnsureDefaults()
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	// The row-block format: Pebble writes it at about twice the speed of the columnar one the
	// store's own flushes use, reads it as well, and compactions rewrite it in time.
	wo := po.MakeWriterOptions(0, sstable.TableFormatPebblev4)
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), wo)
	var kbuf []byte
	for _, br := range buckets {
		recs := r.dbs[br.db][br.slot]
		slices.SortFunc(recs, r.compare)
		for i, x := range recs {
			k := r.key(x)
			if x.n > 1 {
				var err error
				if kbuf, err = r.writeUnit(w, x, kbuf); err != nil {
					w.Close()
					return err
				}
				continue
			}
			if i+1 < len(recs) && sameKey(x, recs[i+1]) && bytes.Equal(k, r.key(recs[i+1])) {
				if next := recs[i+1]; next.seq != x.seq && len(k) > 4 && k[3] == tagMeta {
					w.Close()
					return fmt.Errorf("engine: duplicated key %q in the loaded data", k[4:])
				}
				continue // a later write of the same record replaces this one
			}
			if err := w.Set(k, r.arena[x.off+x.klen:x.off+x.klen+x.vlen]); err != nil {
				w.Close()
				return err
			}
		}
	}
	return w.Close() // syncs and closes f
}

// sameKey reports whether two records may have the same key, without reading the arena.
func sameKey(a, b rec) bool { return a.head == b.head && a.head2 == b.head2 && a.klen == b.klen }

// writeUnit writes the records of a multi-record unit.
func (r *run) writeUnit(w *sstable.Writer, x rec, kbuf []byte) ([]byte, error) {
	k := r.key(x)
	if err := w.Set(k, r.arena[x.off+x.klen:x.off+x.klen+x.vlen]); err != nil {
		return kbuf, err
	}
	kbuf = append(kbuf[:0], k[:x.plen]...)
	p := r.arena[x.off+x.klen+x.vlen:]
	for range x.n - 1 {
		sl, n1 := binary.Uvarint(p)
		vl, n2 := binary.Uvarint(p[n1:])
		p = p[n1+n2:]
		kbuf = append(kbuf[:x.plen], p[:sl]...)
		if err := w.Set(kbuf, p[sl:sl+vl]); err != nil {
			return kbuf, err
		}
		p = p[sl+vl:]
	}
	return kbuf, nil
}

// ingest writes the run as up to n non-overlapping SSTs, built in parallel, and ingests them
// in one step once before (waiting for a previous run's ingestion, or nil) returns: runs are
// ingested in the order they were filled. It returns the number of SSTs.
func (r *run) ingest(e *Engine, dir, name string, n int, before func() error) (int, error) {
	groups := r.parts(n)
	paths := make([]string, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		paths[i] = filepath.Join(dir, name+"-"+strconv.Itoa(i)+".sst")
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.writeSST(e, paths[i], g)
		}()
	}
	wg.Wait()
	defer func() {
		for _, p := range paths {
			os.Remove(p) // ingested files are linked or copied: ours can go
		}
	}()
	if before != nil {
		if err := before(); err != nil {
			return 0, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	if len(paths) == 0 {
		return 0, nil
	}
	if err := e.db.Ingest(context.Background(), paths); err != nil {
		return 0, fmt.Errorf("engine: ingesting %s: %w", paths[0], err)
	}
	return len(paths), nil
}

// flushResult is what an asynchronous flush reports, with the run it is done with.
type flushResult struct {
	r     *run
	ssts  int
	bytes int64
	err   error
}
