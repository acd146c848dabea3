package engine

import (
	"strconv"
	"testing"
)

func BenchmarkPutString(b *testing.B) {
	e, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	val := make([]byte, 100)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := []byte("key:" + strconv.Itoa(i%10000))
			i++
			e.Update(0, [][]byte{k}, func(tx *Tx) error {
				return tx.Put(k, &Meta{Type: TypeString, Value: val})
			})
		}
	})
}

func BenchmarkLookupCached(b *testing.B) {
	e, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	k := []byte("key")
	e.Update(0, [][]byte{k}, func(tx *Tx) error { return tx.Put(k, &Meta{Type: TypeString, Value: make([]byte, 100)}) })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.Lookup(0, k)
		}
	})
}
