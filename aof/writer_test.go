package aof

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reencode writes entries back with the Encoder; withSelect=false drops the
// SELECT commands and lets WriteDB re-emit them from Command.DB.
func reencode(t *testing.T, es []Entry, withSelect bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	write := func(c Command) error {
		if withSelect {
			return enc.Write(c.Argv...)
		}
		if strings.EqualFold(string(c.Argv[0]), "SELECT") {
			return nil
		}
		return enc.WriteDB(c.DB, c.Argv...)
	}
	for _, e := range es {
		if e.Txn {
			db := 0
			if len(e.Cmds) > 0 {
				db = e.Cmds[0].DB
			}
			if err := enc.WriteDB(db, []byte("MULTI")); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range e.Cmds {
			if err := write(c); err != nil {
				t.Fatal(err)
			}
		}
		if e.Txn {
			if err := enc.Write([]byte("EXEC")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	if enc.Size() != int64(buf.Len()) {
		t.Errorf("Size %d, wrote %d", enc.Size(), buf.Len())
	}
	return buf.Bytes()
}

// TestEncoderReproducesCorpus: decoding then encoding every RESP file Redis
// wrote (without #TS lines) gives back the exact bytes, both passing SELECT
// through and regenerating it with WriteDB.
func TestEncoderReproducesCorpus(t *testing.T) {
	root := testdata(t)
	files := []string{
		"single-file-plain/appendonly.aof",
		"multipart-rdb-base/appendonlydir/appendonly.aof.2.incr.aof",
		"multipart-with-history/appendonlydir/appendonly.aof.1.incr.aof",
		"multipart-with-history/appendonlydir/appendonly.aof.2.incr.aof",
		"multipart-with-history/appendonlydir/appendonly.aof.3.incr.aof",
	}
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		es, tr, err := collect(t, raw, Options{})
		if err != nil || tr != nil {
			t.Fatalf("%s: %v %v", f, tr, err)
		}
		for _, withSelect := range []bool{true, false} {
			if got := reencode(t, es, withSelect); !bytes.Equal(got, raw) {
				t.Errorf("%s (select passthrough %v): re-encoded bytes differ", f, withSelect)
			}
		}
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	enc.Timestamp(1795305003)
	enc.Flush()
	if buf.String() != "#TS:1795305003\r\n" {
		t.Errorf("timestamp %q", buf.String())
	}
	if got := string(AppendCommand([]byte("x"), args("SET", "", "ab")...)); got != "x*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\nab\r\n" {
		t.Errorf("AppendCommand = %q", got)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDirWriterRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	w, err := NewDirWriter(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit without a base succeeded")
	}
	err = w.WriteBaseAOF(func(e *Encoder) error {
		e.WriteDB(0, args("SET", "s", "hello")...)
		e.WriteDB(0, args("RPUSH", "l", "a", "b")...)
		return e.WriteDB(1, args("SET", "k1", "one")...)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = w.WriteIncr(func(e *Encoder) error {
		e.WriteDB(0, args("MULTI")...)
		e.WriteDB(0, args("SET", "a", "1")...)
		e.WriteDB(0, args("SET", "b", "2")...)
		e.Write(args("EXEC")...)
		return e.WriteDB(0, args("DEL", "s")...)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	const wantManifest = "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	raw, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	if string(raw) != wantManifest || string(m.Bytes()) != wantManifest {
		t.Errorf("manifest %q", raw)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"}) {
		t.Errorf("dir holds %q", got)
	}
	var es []Entry
	res, err := LoadDir(dir, Options{}, func(e Entry) error { es = append(es, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"db0 SELECT 0", "db0 SET s hello", "db0 RPUSH l a b", "db1 SELECT 1", "db1 SET k1 one",
		"db0 SELECT 0", "TXN{db0 SET a 1 | db0 SET b 2}", "db0 DEL s"}
	if got := renderAll(es); !slices.Equal(got, want) || res.Truncated != nil {
		t.Errorf("read back %q, want %q", got, want)
	}

	// A second export supersedes the first: seq 2, old files removed, an
	// empty incr created when none is written, RDB base from the caller.
	rdbBase, err := os.ReadFile(filepath.Join(testdata(t), "multipart-rdb-base", "appendonlydir", "appendonly.aof.2.base.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	w2, err := NewDirWriter(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if w2.Seq() != 2 {
		t.Errorf("seq = %d, want 2", w2.Seq())
	}
	if err := w2.WriteBaseRDB(func(wr io.Writer) error { _, err := wr.Write(rdbBase); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}) {
		t.Errorf("dir holds %q", got)
	}
	var keys rdbKeys
	res, err = LoadDir(dir, Options{RDB: keys.hook}, func(Entry) error { t.Error("empty incr delivered an entry"); return nil })
	if err != nil || len(keys.calls) != 1 || len(keys.calls[0]) != 9 || res.Files[0] != "appendonly.aof.2.base.rdb" {
		t.Errorf("RDB base reload: %v %v %v", res, keys.calls, err)
	}

	// Abort leaves the committed state alone.
	w3, _ := NewDirWriter(dir, "")
	w3.WriteBaseAOF(func(e *Encoder) error { return e.Write(args("SET", "x", "y")...) })
	if err := w3.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); len(got) != 3 || got[0] != "appendonly.aof.2.base.rdb" {
		t.Errorf("after abort dir holds %q", got)
	}

	// A failing writer leaves no temp file and no new file.
	w4, _ := NewDirWriter(dir, "")
	boom := errors.New("boom")
	if err := w4.WriteBaseAOF(func(e *Encoder) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if got := listDir(t, dir); len(got) != 3 {
		t.Errorf("after failed write dir holds %q", got)
	}
}

func TestDirWriterRefusesBadManifest(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"appendonly.aof.manifest": "garbage\n"})
	if _, err := NewDirWriter(dir, ""); !errors.Is(err, ErrManifest) {
		t.Errorf("err = %v", err)
	}
}
