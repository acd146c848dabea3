package aof

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func FuzzReader(f *testing.F) {
	f.Add([]byte(resp("SET", "k", "v")+resp("MULTI")+resp("INCR", "n")+resp("EXEC")), true)
	f.Add([]byte("#TS:1\r\n"+resp("SELECT", "2")+"*1\r\n$4\r\nPI"), true)
	f.Add([]byte("*1\r\n$99999999999\r\nabc"), true)
	f.Add([]byte("*2147483647\r\n$1\r\na\r\n"), false)
	f.Add([]byte("*1\r\n$9223372036854775807\r\n"), true)
	f.Add([]byte("REDIS0011"+resp("MULTI")+resp("SET", "a", "b")), true)
	f.Add([]byte(resp("MULTI")+resp("MULTI")), true)
	if raw, err := os.ReadFile(filepath.Join(testdata(f), "truncated-multi", "appendonly.aof")); err == nil {
		f.Add(raw, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, truncated bool) {
		opts := Options{RDB: fakeRDB, LoadTruncated: truncated}
		es, tr, err := collect(t, data, opts)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if e.Offset > int64(len(data)) {
				t.Fatalf("error offset %d past %d bytes", e.Offset, len(data))
			}
			return
		}
		var prev int64
		for _, e := range es {
			if e.Offset < prev || e.End <= e.Offset || e.End > int64(len(data)) {
				t.Fatalf("entry [%d,%d) after %d in %d bytes", e.Offset, e.End, prev, len(data))
			}
			prev = e.End
		}
		if tr == nil {
			return
		}
		if !truncated || tr.Size != int64(len(data)) || tr.ValidLen > tr.Size || tr.RedisLen > tr.Size || tr.ValidLen < prev {
			t.Fatalf("bad truncation %+v for %d bytes (last entry end %d)", tr, len(data), prev)
		}
		// Cutting the file at ValidLen, as Redis does, leaves a clean file
		// with the same entries.
		es2, tr2, err := collect(t, data[:tr.ValidLen], opts)
		if err != nil || tr2 != nil || !reflect.DeepEqual(renderAll(es2), renderAll(es)) {
			t.Fatalf("re-read of the truncated file: %v %+v, %d vs %d entries", err, tr2, len(es2), len(es))
		}
	})
}

func FuzzManifest(f *testing.F) {
	f.Add("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
	f.Add("# c\nTYPE h SEQ -4 FILE \"a b\\x00c\"\nfile 'x' seq 9 type i extra 1\n")
	f.Add("file \"unterminated seq 1 type b\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseManifest(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("error not ErrManifest: %v", err)
			}
			return
		}
		files := append(m.Files(), m.History...)
		if len(files) == 0 {
			return
		}
		for _, f := range files {
			// Redis quirks: these names do not survive its own writer.
			if f.Name == "" || strings.ContainsRune(f.Name, '\'') {
				return
			}
		}
		m2, err := ParseManifest(bytes.NewReader(m.Bytes()))
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %q: %+v vs %+v (%v)", m.Bytes(), m, m2, err)
		}
	})
}
