package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slotdb/slotdb/engine"
)

func openEngine(t testing.TB) *engine.Engine {
	t.Helper()
	e, err := engine.Open(engine.Options{Dir: t.TempDir(), Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func fill(t testing.TB, e *engine.Engine, n int, valueSize int) {
	t.Helper()
	v := bytes.Repeat([]byte("x"), valueSize)
	for i := range n {
		k := []byte(fmt.Sprintf("key:%d", i))
		if err := e.Update(0, [][]byte{k}, func(tx *engine.Tx) error {
			if i%10 == 0 { // some collections spanning chunks
				h := tx.OpenHash(k, nil, engine.DefaultHashLimits)
				for j := range 300 {
					if _, err := h.Set([]byte(fmt.Sprint("f", j)), v); err != nil {
						return err
					}
				}
				return h.Save()
			}
			return tx.Put(k, &engine.Meta{Type: engine.TypeString, Value: v})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// streamOf encodes ranges of e as a stream.
func streamOf(t testing.TB, e *engine.Engine, ranges []engine.SlotRange, o SendOptions) ([]byte, StreamStats) {
	t.Helper()
	snap, err := e.SnapshotWith(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var buf bytes.Buffer
	st, err := SendSlots(&buf, snap, ranges, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestSlotStreamRoundTrip(t *testing.T) {
	src, dst := openEngine(t), openEngine(t)
	fill(t, src, 2000, 100)
	ranges := []engine.SlotRange{{Start: 0, End: 8191}, {Start: 12000, End: 12010}}
	wire, sent := streamOf(t, src, ranges, SendOptions{ChunkBytes: 64 << 10})
	if sent.WireBytes >= sent.Bytes {
		t.Errorf("no compression: %d wire bytes for %d", sent.WireBytes, sent.Bytes)
	}
	im, err := dst.NewSlotImport(filepath.Join(t.TempDir(), "in"), ranges)
	if err != nil {
		t.Fatal(err)
	}
	got, recv, err := ReceiveSlots(bytes.NewReader(wire), im.Add)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(ranges) || recv.Records != sent.Records || recv.Bytes != sent.Bytes {
		t.Fatalf("received %v %+v, sent %v %+v", got, recv, ranges, sent)
	}
	if err := im.Promote(); err != nil {
		t.Fatal(err)
	}
	var want int64
	for s := 0; s < 16384; s++ {
		in := s <= 8191 || s >= 12000 && s <= 12010
		if in {
			want += src.CountKeysInSlot(uint16(s))
			if dst.CountKeysInSlot(uint16(s)) != src.CountKeysInSlot(uint16(s)) {
				t.Fatalf("slot %d: %d keys, want %d", s, dst.CountKeysInSlot(uint16(s)), src.CountKeysInSlot(uint16(s)))
			}
		}
	}
	if dst.DBSize(0) != want || want == 0 {
		t.Fatalf("DBSIZE %d, want %d", dst.DBSize(0), want)
	}
}

func TestSlotStreamRateLimit(t *testing.T) {
	src := openEngine(t)
	fill(t, src, 500, 100)
	now := time.Unix(0, 0)
	var slept time.Duration
	_, st := streamOf(t, src, []engine.SlotRange{{Start: 0, End: 16383}}, SendOptions{
		ChunkBytes: 16 << 10, MaxBytesPerSec: 100 << 10,
		Now:   func() time.Time { return now },
		Sleep: func(d time.Duration) { slept += d; now = now.Add(d) },
	})
	want := time.Duration(float64(st.Bytes) / float64(100<<10) * float64(time.Second))
	if slept < want*9/10 || slept > want*11/10 {
		t.Fatalf("slept %v for %d bytes at 100 KiB/s, want about %v", slept, st.Bytes, want)
	}
}

// Bad streams: every one is an error with an offset, never a panic or a big allocation.
func TestSlotStreamBadInput(t *testing.T) {
	src := openEngine(t)
	fill(t, src, 50, 10)
	good, _ := streamOf(t, src, []engine.SlotRange{{Start: 0, End: 16383}}, SendOptions{})
	hdr := len(streamMagic) + 3 + 4
	flip := func(at int) []byte { b := bytes.Clone(good); b[at] ^= 0xFF; return b }
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad magic", append([]byte("XXXXXXXX"), good[8:]...)},
		{"no ranges", []byte(streamMagic + "\x01\x00\x00")},
		{"reversed range", []byte(streamMagic + "\x01\x00\x01\x00\x05\x00\x01")},
		{"range past 16383", []byte(streamMagic + "\x01\x00\x01\x00\x00\x40\x00")},
		{"truncated after header", good[:hdr]},
		{"huge chunk", append(bytes.Clone(good[:hdr]), 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1)},
		{"comp longer than raw allows", append(bytes.Clone(good[:hdr]), 0, 0, 0, 1, 0x10, 0, 0, 0)},
		{"truncated chunk", good[:hdr+20]},
		{"corrupt block", flip(hdr + 12)},
		{"no trailer", good[:len(good)-16]},
		{"wrong trailer", flip(len(good) - 1)},
	} {
		_, _, err := ReceiveSlots(bytes.NewReader(tc.in), func(k, v []byte) error { return nil })
		var se *StreamError
		if !errors.As(err, &se) {
			t.Errorf("%s: %v, want a StreamError", tc.name, err)
		}
	}
}

func FuzzReceiveSlots(f *testing.F) {
	e, err := engine.Open(engine.Options{Dir: f.TempDir(), Databases: 16})
	if err != nil {
		f.Fatal(err)
	}
	fill(f, e, 20, 10)
	good, _ := streamOf(f, e, []engine.SlotRange{{Start: 0, End: 16383}}, SendOptions{})
	e.Close()
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte(streamMagic + "\x01\x00\x01\x00\x00\x3f\xff\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ReceiveSlots(bytes.NewReader(b), func(k, v []byte) error { return nil })
	})
}
