package engine

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func streamOp(t testing.TB, e *Engine, key []byte, fn func(tx *Tx, s *Stream) error) {
	t.Helper()
	err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		m, err := tx.Get(key)
		if err != nil {
			return err
		}
		var s *Stream
		if m == nil {
			s = tx.NewStream(key)
		} else if s, err = tx.OpenStream(key, m); err != nil {
			return err
		}
		if err := fn(tx, s); err != nil {
			return err
		}
		return s.Save()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fv(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, s := range kv {
		out[i] = []byte(s)
	}
	return out
}

func TestLpSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"4096", 4}, {"32767", 4},
		{"32768", 5}, {"8388607", 5}, {"8388608", 6}, {"2147483647", 6}, {"2147483648", 10},
		{"01", 4}, {"-0", 4}, {"", 2}, {"v", 3}, {string(make([]byte, 63)), 65},
		{string(make([]byte, 64)), 67}, {string(make([]byte, 4095)), 4099}, {string(make([]byte, 4096)), 4103},
		{"9223372036854775807", 10}, {"9223372036854775808", 21},
	} {
		if got := lpStrSize([]byte(tc.in)); got != tc.want {
			t.Errorf("lpStrSize(%.24q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestRaxNodeCount(t *testing.T) {
	id := func(ms uint64) []byte { return StreamID{ms, 0}.bytes() }
	for _, tc := range []struct {
		keys [][]byte
		want int64
	}{
		{[][]byte{id(1)}, 2},
		{[][]byte{id(101), id(201)}, 6}, // what redis 7.0.15 reports for those two nodes
		{[][]byte{id(1), id(2), id(3)}, 1 + 1 + 3*2},
		{[][]byte{id(1), id(1 << 8)}, 1 + 1 + 2 + 2},
	} {
		if got := raxNodeCount(tc.keys, 0); got != tc.want {
			t.Errorf("raxNodeCount(%x) = %d, want %d", tc.keys, got, tc.want)
		}
	}
}

// The node model matches what redis 7.0.15 reports (XINFO STREAM radix-tree-keys) and trims.
func TestStreamNodesAndApproxTrim(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("s")
	streamOp(t, e, key, func(tx *Tx, s *Stream) error {
		for i := 1; i <= 250; i++ {
			if err := s.Add(StreamID{uint64(i), 0}, fv("f", "v"+strconv.Itoa(i)), DefaultStreamLimits); err != nil {
				return err
			}
		}
		if s.H.Nodes != 3 || s.Len != 250 {
			t.Errorf("nodes %d len %d, want 3 250", s.H.Nodes, s.Len)
		}
		for _, tc := range []struct {
			a          TrimArgs
			del, left  int64
			nodes      int64
			firstAfter StreamID
		}{
			{TrimArgs{Strategy: TrimMaxLen, Approx: true, MaxLen: 120, Limit: 10000}, 100, 150, 2, StreamID{101, 0}},
			{TrimArgs{Strategy: TrimMaxLen, Approx: true, MaxLen: 49, Limit: 10000}, 100, 50, 1, StreamID{201, 0}},
			{TrimArgs{Strategy: TrimMinID, Approx: true, MinID: StreamID{240, 0}, Limit: 10000}, 0, 50, 1, StreamID{201, 0}},
			{TrimArgs{Strategy: TrimMinID, MinID: StreamID{240, 0}}, 39, 11, 1, StreamID{240, 0}},
			{TrimArgs{Strategy: TrimMaxLen, MaxLen: 0}, 11, 0, 0, StreamID{}},
		} {
			n, err := s.Trim(tc.a)
			if err != nil {
				return err
			}
			if n != tc.del || s.Len != tc.left || s.H.Nodes != tc.nodes || s.H.First != tc.firstAfter {
				t.Errorf("trim %+v: deleted %d len %d nodes %d first %v, want %d %d %d %v",
					tc.a, n, s.Len, s.H.Nodes, s.H.First, tc.del, tc.left, tc.nodes, tc.firstAfter)
			}
		}
		return nil
	})
}

// Nodes also close on size: stream-node-max-bytes counts the listpack's bytes.
func TestStreamNodeBytes(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("b")
	big := string(make([]byte, 1000))
	streamOp(t, e, key, func(tx *Tx, s *Stream) error {
		for i := 1; i <= 10; i++ {
			if err := s.Add(StreamID{uint64(i), 0}, fv("f", big), DefaultStreamLimits); err != nil {
				return err
			}
		}
		// 4096-byte nodes take 4 such entries: redis 7.0.15 reports 3 nodes for 10.
		if s.H.Nodes != 3 {
			t.Errorf("nodes = %d, want 3", s.H.Nodes)
		}
		return nil
	})
}

func TestStreamDeleteAndGroups(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("g")
	streamOp(t, e, key, func(tx *Tx, s *Stream) error {
		for i := 1; i <= 5; i++ {
			if err := s.Add(StreamID{uint64(i), 0}, fv("f", "v"), DefaultStreamLimits); err != nil {
				return err
			}
		}
		g, err := s.CreateGroup([]byte("grp"), StreamID{}, 0)
		if err != nil || g == nil {
			return fmt.Errorf("create: %v %v", g, err)
		}
		if again, _ := s.CreateGroup([]byte("grp"), StreamID{}, 0); again != nil {
			t.Error("group created twice")
		}
		c, _, err := s.TouchConsumer(g, []byte("alice"), 1000)
		if err != nil {
			return err
		}
		got, err := s.ReadGroup(g, c, 3, false, 1000)
		if err != nil || len(got) != 3 || got[2].ID != (StreamID{3, 0}) {
			t.Fatalf("ReadGroup = %v %v", got, err)
		}
		if g.Pending != 3 || c.Pending != 3 || g.EntriesRead != 3 || g.LastID != (StreamID{3, 0}) {
			t.Errorf("after read: group %+v consumer %+v", g, c)
		}
		// Re-reading history bumps the delivery count; deleted entries come back empty.
		if ok, err := s.Delete(StreamID{2, 0}); !ok || err != nil {
			t.Fatalf("delete: %v %v", ok, err)
		}
		h, err := s.ReadHistory(g, c, StreamID{}, 0, 2000)
		if err != nil || len(h) != 3 || h[1].Fields != nil || h[0].Fields == nil {
			t.Fatalf("history = %v %v", h, err)
		}
		n, err := s.PEL(g, StreamID{1, 0})
		if err != nil || n.DeliveryCount != 2 || n.DeliveryTime != 2000 {
			t.Errorf("nack after history = %+v %v", n, err)
		}
		// Claim moves entries between consumers; the deleted one leaves the PEL.
		cl, err := s.Claim(g, []byte("bob"), []StreamID{{1, 0}, {2, 0}}, ClaimArgs{RetryCount: -1, DeliveryTime: 3000, Now: 3000})
		if err != nil || len(cl) != 1 {
			t.Fatalf("claim = %v %v", cl, err)
		}
		bob, _ := s.Consumer(g, []byte("bob"))
		if g.Pending != 2 || c.Pending != 1 || bob == nil || bob.Pending != 1 {
			t.Errorf("after claim: group %+v alice %+v bob %+v", g, c, bob)
		}
		if ok, _ := s.Ack(g, StreamID{3, 0}); !ok {
			t.Error("ack 3-0 failed")
		}
		if ok, _ := s.Ack(g, StreamID{3, 0}); ok {
			t.Error("ack 3-0 twice")
		}
		if n, err := s.DeleteConsumer(g, bob); n != 1 || err != nil {
			t.Errorf("delete consumer = %d %v", n, err)
		}
		if g.Pending != 0 || g.Consumers != 1 {
			t.Errorf("after delconsumer: %+v", g)
		}
		if s.H.MaxDeleted != (StreamID{2, 0}) || s.Len != 4 {
			t.Errorf("header %+v len %d", s.H, s.Len)
		}
		return nil
	})
	// Saved state reads back.
	streamOp(t, e, key, func(tx *Tx, s *Stream) error {
		g, err := s.Group([]byte("grp"))
		if err != nil || g == nil || g.Pending != 0 || g.Consumers != 1 || g.LastID != (StreamID{3, 0}) {
			t.Errorf("reloaded group %+v %v", g, err)
		}
		var names []string
		s.EachConsumer(g, func(c *StreamConsumer) error { names = append(names, string(c.Name)); return nil })
		if fmt.Sprint(names) != "[alice]" {
			t.Errorf("consumers %v", names)
		}
		if ok, _ := s.DestroyGroup([]byte("grp")); !ok || s.H.Groups != 0 {
			t.Error("destroy failed")
		}
		return nil
	})
}

// A million-entry stream: appends, pages, deletes and length cost what a small stream's do,
// and DEL is one range tombstone.
func TestStreamMillion(t *testing.T) {
	const total, batch = streamBigEntries, 100_000
	e := openTest(t, t.TempDir(), nil)
	key := []byte("big")
	val := fv("field", "value")
	start := time.Now()
	for b := 0; b < total/batch; b++ {
		streamOp(t, e, key, func(tx *Tx, s *Stream) error {
			for i := 0; i < batch; i++ {
				id := StreamID{uint64(b*batch + i + 1), 0}
				if err := s.Add(id, val, DefaultStreamLimits); err != nil {
					return err
				}
			}
			return nil
		})
	}
	t.Logf("%d XADD in %v", total, time.Since(start))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// Page through a slice from the middle and the end: each page reads its records only.
	pages := 0
	for _, from := range []uint64{1, total / 2, total - 50} {
		err := e.View(0, [][]byte{key}, func(tx *Tx) error {
			m, _ := tx.Get(key)
			s, err := tx.OpenStream(key, m)
			if err != nil {
				return err
			}
			if s.Len != total || s.H.Nodes != total/100 {
				t.Errorf("len %d nodes %d", s.Len, s.H.Nodes)
			}
			n, err := s.Range(StreamID{from, 0}, MaxStreamID, false, 100, func(id StreamID, f [][]byte) error {
				if string(f[1]) != "value" {
					t.Fatalf("entry %v = %q", id, f)
				}
				return nil
			})
			pages++
			if want := min(int64(100), int64(total-from+1)); n != want || err != nil {
				t.Errorf("page from %d: %d entries, want %d (%v)", from, n, want, err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	streamOp(t, e, key, func(tx *Tx, s *Stream) error {
		for _, id := range []uint64{1, total / 2, total, 2 * total} {
			ok, err := s.Delete(StreamID{id, 0})
			if err != nil || ok != (id <= total) {
				t.Errorf("delete %d = %v %v", id, ok, err)
			}
		}
		if s.Len != total-3 || s.H.First != (StreamID{2, 0}) {
			t.Errorf("after deletes: len %d first %v", s.Len, s.H.First)
		}
		return nil
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 16<<20 {
		t.Errorf("heap grew by %d bytes while paging and deleting", grow)
	}
	start = time.Now()
	err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		_, err := tx.Delete(key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("DEL of a 1M-entry stream took %v", d)
	}
	if m, _ := e.Lookup(0, key); m != nil {
		t.Error("key survived DEL")
	}
}
