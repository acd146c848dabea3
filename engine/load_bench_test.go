package engine

import (
	"bufio"
	"os"
	"testing"
)

// BenchmarkLoadRDBFile loads the dump.rdb named by SLOTDB_LOAD_RDB (skipped when unset): a
// profiling harness for the bulk loader, e.g.
//
//	SLOTDB_LOAD_RDB=/tmp/dump.rdb go test -run X -bench LoadRDBFile -benchtime 1x -cpuprofile cpu.out ./engine/
func BenchmarkLoadRDBFile(b *testing.B) {
	path := os.Getenv("SLOTDB_LOAD_RDB")
	if path == "" {
		b.Skip("SLOTDB_LOAD_RDB not set")
	}
	for range b.N {
		e, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncNo})
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := e.LoadRDB(bufio.NewReaderSize(f, 1<<20), LoadOptions{DropExpired: true})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Keys), "keys")
		b.ReportMetric(res.Elapsed.Seconds(), "load-s")
		e.Close()
	}
}
