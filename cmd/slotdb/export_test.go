package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/rdb"
)

const exportLib = "#!lua name=exlib\nredis.register_function('exfn', function(keys, args) return 'ex:' .. args[1] end)"

// TestExportCarriesFunctions: the function libraries of the source travel in the exported
// RDB (FUNCTION2 records) and appendonlydir base, and a real redis-server serves them; a
// library present on several masters is written once.
func TestExportCarriesFunctions(t *testing.T) {
	for _, source := range []string{"redis", "slotdb"} {
		t.Run(source, func(t *testing.T) {
			var s *proctest.Server
			if source == "redis" {
				s = proctest.StartRedis(t)
			} else {
				s = proctest.StartSlotdb(t)
			}
			c := s.Dial(t)
			if got, err := c.Do("FUNCTION", "LOAD", exportLib); err != nil || string(got) != "$5\r\nexlib\r\n" {
				t.Fatalf("FUNCTION LOAD = %q, %v", got, err)
			}
			c.Do("SET", "k", "v")
			check := func(what string, r *proctest.Server) {
				t.Helper()
				rc := r.Dial(t)
				if got, err := rc.Do("FCALL", "exfn", "0", "a"); err != nil || string(got) != "$4\r\nex:a\r\n" {
					t.Fatalf("%s: FCALL exfn = %q, %v", what, got, err)
				}
				if got, _ := rc.Do("GET", "k"); string(got) != "$1\r\nv\r\n" {
					t.Fatalf("%s: GET k = %q", what, got)
				}
			}
			out := filepath.Join(t.TempDir(), "dump.rdb")
			if rc := cmdExport([]string{"--from", s.Addr(), "--rdb", out}); rc != 0 {
				t.Fatalf("export exit %d", rc)
			}
			check("--rdb", proctest.StartRedis(t, "--dir", filepath.Dir(out)))
			adir := filepath.Join(t.TempDir(), "appendonlydir")
			if rc := cmdExport([]string{"--from", s.Addr(), "--aof", adir}); rc != 0 {
				t.Fatalf("export --aof exit %d", rc)
			}
			check("--aof", proctest.StartRedis(t, "--dir", filepath.Dir(adir), "--appendonly", "yes"))
		})
	}
}

func TestExportFunctionsOncePerLibrary(t *testing.T) {
	a, b := proctest.StartSlotdb(t), proctest.StartRedis(t)
	other := strings.Replace(exportLib, "exlib", "exlib2", 1)
	other = strings.Replace(other, "'exfn'", "'exfn2'", 1)
	a.Dial(t).Do("FUNCTION", "LOAD", exportLib)
	b.Dial(t).Do("FUNCTION", "LOAD", exportLib)
	b.Dial(t).Do("FUNCTION", "LOAD", other)
	codes, err := exportFunctions([]string{a.Addr(), b.Addr()})
	if err != nil || len(codes) != 2 || string(codes[0]) != exportLib || string(codes[1]) != other {
		t.Fatalf("exportFunctions = %q, %v", codes, err)
	}
}

// TestExportRDBVersion: --rdb-version 11 writes a version-11 file (Redis 7.2's), with 7.2's
// listpack set; other versions are refused before anything is read.
func TestExportRDBVersion(t *testing.T) {
	s := proctest.StartSlotdb(t)
	s.Dial(t).Do("SADD", "set", "a", "b", "c")
	out := filepath.Join(t.TempDir(), "dump.rdb")
	if rc := cmdExport([]string{"--from", s.Addr(), "--rdb", out, "--rdb-version", "11"}); rc != 0 {
		t.Fatalf("export exit %d", rc)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("REDIS0011")) {
		t.Fatalf("header %q", b[:9])
	}
	r := rdb.NewReader(bytes.NewReader(b))
	en, err := r.Next()
	if err != nil || string(en.Key) != "set" || en.Object.RDBType != rdb.TypeSetListpack || len(en.Object.Set) != 3 {
		t.Fatalf("read back %v, %v", en, err)
	}
	for _, v := range []string{"9", "12", "x"} {
		if rc := cmdExport([]string{"--from", s.Addr(), "--rdb", out, "--rdb-version", v}); rc != 2 {
			t.Errorf("--rdb-version %s: exit %d, want 2", v, rc)
		}
	}
}
