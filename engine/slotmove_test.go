package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// moveFixture fills a source engine with strings (some volatile) and hashes spread over
// slots, and returns the keys by slot.
func moveFixture(t *testing.T, e *Engine, n int) map[uint16][]string {
	t.Helper()
	bySlot := map[uint16][]string{}
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		err := e.Update(0, [][]byte{[]byte(k)}, func(tx *Tx) error {
			if i%3 == 0 {
				h := tx.OpenHash([]byte(k), nil, DefaultHashLimits)
				for j := range 5 + i%200 {
					if _, err := h.Set([]byte(fmt.Sprint("f", j)), []byte(fmt.Sprint("v", j))); err != nil {
						return err
					}
				}
				return h.Save()
			}
			at := int64(0)
			if i%5 == 0 {
				at = tx.Now() + 1_000_000
			}
			return tx.Put([]byte(k), &Meta{Type: TypeString, Value: []byte(fmt.Sprint("value-", i)), ExpireAt: at})
		})
		if err != nil {
			t.Fatal(err)
		}
		bySlot[Slot([]byte(k))] = append(bySlot[Slot([]byte(k))], k)
	}
	return bySlot
}

func objectText(t *testing.T, e *Engine, key string) string {
	t.Helper()
	var s string
	err := e.View(0, [][]byte{[]byte(key)}, func(tx *Tx) error {
		m, err := tx.Get([]byte(key))
		if err != nil || m == nil {
			s = "<nil>"
			return err
		}
		o, err := tx.ReadObject([]byte(key), m)
		s = fmt.Sprintf("%d %+v", m.ExpireAt, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlotMove exports slot ranges from a snapshot, stages them on another engine (where
// nothing shows), promotes them, and drops them at the source: every key ends with exactly
// one owner, with the same value, TTL and counters.
func TestSlotMove(t *testing.T) {
	var clk atomic.Int64
	src := copyTestEngine(t, t.TempDir(), &clk)
	defer src.Close()
	dst := copyTestEngine(t, t.TempDir(), &clk)
	defer dst.Close()
	bySlot := moveFixture(t, src, 3000)
	ranges := []SlotRange{{0, 4000}, {9000, 9100}, {16000, 16383}}
	in := func(s uint16) bool {
		for _, r := range ranges {
			if r.Contains(s) {
				return true
			}
		}
		return false
	}
	var moving, staying []string
	var wantVol int64
	for s, ks := range bySlot {
		if in(s) {
			moving = append(moving, ks...)
			wantVol += src.counts[src.phys(0)].expires[s].Load()
		} else {
			staying = append(staying, ks...)
		}
	}
	want := map[string]string{}
	for _, k := range moving {
		want[k] = objectText(t, src, k)
	}
	// A key of the destination in a moving slot (a stale leftover) must not survive.
	stale := moving[0]
	if err := dst.Update(0, [][]byte{[]byte(stale)}, func(tx *Tx) error {
		return tx.Put([]byte(stale), &Meta{Type: TypeString, Value: []byte("stale")})
	}); err != nil {
		t.Fatal(err)
	}

	snap, err := src.SnapshotWith(nil)
	if err != nil {
		t.Fatal(err)
	}
	im, err := dst.NewSlotImport(filepath.Join(t.TempDir(), "import"), ranges)
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.ExportSlots(ranges, im.Add); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	if err := im.Flush(); err != nil {
		t.Fatal(err)
	}
	// Staged: invisible.
	if n := dst.DBSize(0); n != 1 {
		t.Fatalf("DBSIZE while staged = %d, want 1 (the stale key only)", n)
	}
	if m, _ := dst.Lookup(0, []byte(moving[1])); m != nil {
		t.Fatalf("staged key visible")
	}
	if ks, _ := dst.Keys(0, nil); len(ks) != 1 {
		t.Fatalf("KEYS while staged: %d keys", len(ks))
	}
	if im.Records == 0 || im.StagedFiles() == 0 {
		t.Fatalf("staged %d records in %d files", im.Records, im.StagedFiles())
	}
	if err := im.Promote(); err != nil {
		t.Fatal(err)
	}
	if n, _ := dst.StagedRecords(ranges); n != 0 {
		t.Fatalf("%d staged records left after promote", n)
	}
	for k, w := range want {
		if got := objectText(t, dst, k); got != w {
			t.Fatalf("%s on destination: %s, want %s", k, got, w)
		}
	}
	if got := dst.DBSize(0); got != int64(len(moving)) {
		t.Fatalf("destination DBSIZE %d, want %d", got, len(moving))
	}
	if got := dst.Volatile(0); got != wantVol {
		t.Fatalf("destination volatile %d, want %d", got, wantVol)
	}
	for s, ks := range bySlot {
		if in(s) && dst.CountKeysInSlot(s) != int64(len(ks)) {
			t.Fatalf("slot %d: %d keys, want %d", s, dst.CountKeysInSlot(s), len(ks))
		}
	}
	if err := src.DropSlots(ranges); err != nil {
		t.Fatal(err)
	}
	if got := src.DBSize(0); got != int64(len(staying)) {
		t.Fatalf("source DBSIZE after drop %d, want %d", got, len(staying))
	}
	for _, k := range moving[:50] {
		if m, _ := src.Lookup(0, []byte(k)); m != nil {
			t.Fatalf("%s still at the source", k)
		}
	}
	// Counters survive a restart on both sides.
	dir := dst.opts.Dir
	dst.Close()
	dst = copyTestEngine(t, dir, &clk)
	if got := dst.DBSize(0); got != int64(len(moving)) {
		t.Fatalf("destination DBSIZE after reopen %d, want %d", got, len(moving))
	}
}

// TestSlotImportRejectsAndAborts: records out of order or outside the ranges are refused;
// Abort leaves nothing staged; a new import of the same ranges starts clean.
func TestSlotImportRejectsAndAborts(t *testing.T) {
	var clk atomic.Int64
	e := copyTestEngine(t, t.TempDir(), &clk)
	defer e.Close()
	ranges := []SlotRange{{10, 20}}
	im, err := e.NewSlotImport(t.TempDir(), ranges)
	if err != nil {
		t.Fatal(err)
	}
	meta := (&Meta{Type: TypeString, Value: []byte("v")}).encode()
	for _, tc := range []struct {
		key  []byte
		fail bool
	}{
		{[]byte{0, 10, tagMeta, 'a'}, false},
		{[]byte{0, 10, tagMeta, 'a'}, true}, // not after the previous
		{[]byte{0, 9, tagMeta, 'b'}, true},  // outside
		{[]byte{0, 21, tagMeta, 'b'}, true}, // outside
		{[]byte{0, 11}, true},               // truncated
		{[]byte{0, 11, tagMeta, 'b'}, false},
	} {
		err := im.Add(tc.key, meta)
		if (err != nil) != tc.fail || tc.fail && !errors.Is(err, ErrOutOfOrder) {
			t.Fatalf("Add(%x): %v, fail=%v", tc.key, err, tc.fail)
		}
	}
	if err := im.Add([]byte{0, 12, tagMeta, 'c'}, []byte{99}); err == nil {
		t.Fatal("corrupt metadata accepted")
	}
	if err := im.Flush(); err != nil {
		t.Fatal(err)
	}
	if im.Records != 2 || im.StagedFiles() != 1 {
		t.Fatalf("staged %d records in %d files, want 2 in 1", im.Records, im.StagedFiles())
	}
	if n := e.DBSize(0); n != 0 {
		t.Fatalf("staged records visible: DBSIZE %d", n)
	}
	if err := im.Abort(); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.StagedRecords(ranges); n != 0 || im.StagedFiles() != 0 {
		t.Fatalf("staged %d after abort", n)
	}
}
