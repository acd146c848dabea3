package engine

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/persisttest"
	"github.com/slotdb/slotdb/rdb"
)

func openTestEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// snapshotRecords reads every key of every db back through a snapshot.
func snapshotRecords(t *testing.T, e *Engine) []persisttest.Record {
	t.Helper()
	s, err := e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []persisttest.Record
	for db := 0; db < s.Databases(); db++ {
		err := s.Each(db, func(key []byte, m *Meta) error {
			o, err := s.Object(db, key, m)
			if err != nil {
				return err
			}
			out = append(out, persisttest.FromObject(db, key, o, m.ExpireAt))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	persisttest.Sort(out)
	return out
}

// TestLoadRDBCorpus loads every corpus file into a fresh store and reads it back as the
// corpus says Redis 7.0.15 held it; the files Redis refuses are refused.
func TestLoadRDBCorpus(t *testing.T) {
	td, err := persisttest.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pat := range []string{"rdb/*.rdb", "rdb/legacy/*.rdb", "rdb/legacy/rdbtools/*.rdb"} {
		m, _ := filepath.Glob(filepath.Join(td, pat))
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d corpus files found", len(files))
	}
	e := openTestEngine(t) // one store, flushed before each file: opening Pebble is the slow part
	for _, path := range files {
		name := strings.TrimSuffix(path, ".rdb")
		t.Run(strings.TrimPrefix(name, td+"/"), func(t *testing.T) {
			want, werr := persisttest.ReadExpected(name + ".expected.jsonl")
			if err := e.FlushAll(); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := e.LoadRDB(f, LoadOptions{DropExpired: true, RunBytes: 64 << 10})
			if werr != nil { // no expected file: Redis refuses this one
				if err == nil {
					t.Fatalf("loaded %d keys from a file Redis refuses", res.Keys)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := snapshotRecords(t, e)
			if d := persisttest.Diff(want, got); len(d) > 0 {
				t.Fatalf("%d differences:\n%s", len(d), strings.Join(d, "\n"))
			}
			var n int64
			for db := range e.Databases() {
				n += e.DBSize(db)
			}
			if n != int64(len(want)) || res.Keys != n {
				t.Fatalf("DBSize total %d, loaded %d, want %d", n, res.Keys, len(want))
			}
		})
	}
}

// TestObjectRoundTrip stores every DUMP payload of the corpus with PutObject and reads it back
// with ReadObject: same value, and the encoding Redis reported.
func TestObjectRoundTrip(t *testing.T) {
	td, err := persisttest.TestdataDir()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(td, "rdb/dump/payloads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct {
		Key, Type, Encoding string
		PayloadHex          string `json:"payload_hex"`
	}
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	e := openTestEngine(t)
	for _, p := range ps {
		raw, _ := hex.DecodeString(p.PayloadHex)
		o, err := rdb.DecodeDump(raw)
		if err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
		key := []byte(p.Key)
		err = e.Update(0, [][]byte{key}, func(tx *Tx) error { return tx.PutObject(key, &o, 0, DefaultObjectLimits) })
		if err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
		var back *rdb.Object
		var meta *Meta
		err = e.View(0, [][]byte{key}, func(tx *Tx) error {
			m, err := tx.Get(key)
			if err != nil || m == nil {
				t.Fatalf("%s: not stored (%v)", p.Key, err)
			}
			meta = m
			back, err = tx.ReadObject(key, m)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
		if want, got := persisttest.Value(&o), persisttest.Value(back); want != got {
			t.Errorf("%s: value\nwant %.300s\ngot  %.300s", p.Key, want, got)
		}
		if enc := back.Encoding; enc != "" && p.Type != "string" && enc != p.Encoding {
			t.Errorf("%s: encoding %s, Redis had %s (flags %b)", p.Key, enc, p.Encoding, meta.Flags)
		}
	}
}

// TestLoaderKeepsOthers hands the keys Keep refuses to Other and stores the rest; expired
// keys are dropped only with DropExpired.
func TestLoaderKeepsOthers(t *testing.T) {
	for _, drop := range []bool{false, true} {
		e := openTestEngine(t)
		var others []string
		l, err := e.NewBulkLoader(LoadOptions{
			DropExpired: drop,
			Keep:        func(db int, key []byte) bool { return !strings.HasPrefix(string(key), "x") },
			Other: func(db int, key []byte, o *rdb.Object, at int64) error {
				others = append(others, string(key))
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		str := func(s string) *rdb.Object { return &rdb.Object{Kind: rdb.KindString, Str: []byte(s)} }
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(l.Add(0, []byte("a"), str("1"), 0))
		must(l.Add(0, []byte("xb"), str("2"), 0))
		must(l.Add(1, []byte("old"), str("3"), 1000))
		must(l.Add(0, []byte("empty"), &rdb.Object{Kind: rdb.KindList}, 0))
		st, err := l.Finish()
		must(err)
		wantKeys := int64(2)
		if drop {
			wantKeys = 1
		}
		if st.Keys != wantKeys || st.Other != 1 || st.Empty != 1 || len(others) != 1 || others[0] != "xb" {
			t.Fatalf("drop=%v: stats %+v, others %v", drop, st, others)
		}
		if e.DBSize(0) != 1 || e.DBSize(1) != wantKeys-1 {
			t.Fatalf("drop=%v: dbsize %d %d", drop, e.DBSize(0), e.DBSize(1))
		}
	}
}

// TestMarkers survive a reopen.
func TestMarkers(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.Marker("import"); ok {
		t.Fatal("marker set on a new store")
	}
	if err := e.SetMarker("import", []byte("done")); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if v, ok, err := e.Marker("import"); err != nil || !ok || string(v) != "done" {
		t.Fatalf("marker after reopen: %q %v %v", v, ok, err)
	}
	if !e.Empty() {
		t.Fatal("a marker counted as a key")
	}
}
