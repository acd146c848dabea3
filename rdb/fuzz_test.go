package rdb

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"testing"
)

// allocGuard fails when decoding one input allocated far more than its
// size justifies (LZF may expand ~132x; strings up to 1 MiB are allocated
// before their bytes are read).
func allocGuard(t *testing.T, n int, f func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64<<20+n*400); got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes", n, got)
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"rdb/empty.rdb", "rdb/lru.rdb", "rdb/functions.rdb", "rdb/legacy/encodings.rdb",
		"rdb/legacy/hash-zipmap.rdb", "rdb/legacy/list-quicklist.rdb", "rdb/legacy/rdbtools/redis_50_with_streams.rdb"} {
		b, err := os.ReadFile(corpusPath(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rdbFile("0010", []byte{TypeString, 1, 'k', 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var entries []*Entry
		var err error
		allocGuard(t, len(data), func() {
			r := NewReader(bytes.NewReader(data))
			for {
				var e *Entry
				e, err = r.Next()
				if err != nil {
					break
				}
				entries = append(entries, e)
			}
		})
		if errors.Is(err, errInternal) {
			t.Fatal(err)
		}
		if err != io.EOF {
			return
		}
		// A valid file survives write -> read.
		var buf bytes.Buffer
		w := NewWriter(&buf, 0)
		for _, e := range entries {
			if e.Object.IsEmpty() {
				continue
			}
			if err := w.WriteEntry(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r := NewReader(&buf)
		for _, e := range entries {
			if e.Object.IsEmpty() {
				continue
			}
			g, err := r.Next()
			if err != nil {
				t.Fatalf("re-read %q: %v", e.Key, err)
			}
			if !reflect.DeepEqual(viewObject(&g.Object), viewObject(&e.Object)) {
				t.Fatalf("%q changed in write -> read", e.Key)
			}
		}
	})
}

func FuzzDecodeDump(f *testing.F) {
	for i, c := range loadPayloads(f) {
		if i%4 != 0 || len(c.PayloadHex) > 4000 {
			continue
		}
		p, _ := hex.DecodeString(c.PayloadHex)
		f.Add(p)
	}
	f.Add([]byte{0x12, 0x00, 0x0a, 0x00, 0x69, 0xf6, 0x84, 0x5b, 0x6a, 0x1b, 0xbf, 0x57})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Fix up the footer so the fuzzer reaches the body decoder.
		if len(data) >= 10 {
			data = append([]byte(nil), data...)
			n := len(data)
			data[n-10], data[n-9] = 10, 0
			crc := CRC64(0, data[:n-8])
			for i := 0; i < 8; i++ {
				data[n-8+i] = byte(crc >> (8 * i))
			}
		}
		var o Object
		var err error
		allocGuard(t, len(data), func() { o, err = DecodeDump(data) })
		if err != nil {
			var de *DumpError
			if !errors.As(err, &de) || errors.Is(err, errInternal) || bytes.Contains([]byte(de.Detail), []byte(errInternal.Error())) {
				t.Fatalf("bad error: %v (%#v)", err, err)
			}
			return
		}
		o2, err := DecodeDump(EncodeDump(&o))
		if err != nil {
			t.Fatalf("re-encoded payload refused: %v", err)
		}
		if a, b := viewObject(&o2), viewObject(&o); !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the value: %.200s vs %.200s", fmt.Sprint(a), fmt.Sprint(b))
		}
	})
}
