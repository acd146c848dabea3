package engine

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/persisttest"
	"github.com/slotdb/slotdb/rdb"
)

// loadMix is a mix of every kind and size class, most in one slot ({t}), with keys that share
// long prefixes, differ in the bytes the bucket entries hold or only past them, differ only by
// trailing zero bytes (the bucket entries' zero-padded heads), and expire in the future.
func loadMix() (keys []string, objs []*rdb.Object, exp []int64) {
	add := func(k string, o *rdb.Object, at int64) {
		keys, objs, exp = append(keys, k), append(objs, o), append(exp, at)
	}
	far := int64(4102444800000) // 2100
	for i := range 300 {
		add("{t}user:profile:"+strconv.Itoa(i), &rdb.Object{Kind: rdb.KindString, Str: []byte(strings.Repeat("v", i%40))}, far*int64(i%2))
	}
	for i := range 200 {
		k := "{t}id" + strconv.Itoa(i*7919%100003) + ":" + strconv.Itoa(i%7) + strings.Repeat("q", i%30)
		add(k, &rdb.Object{Kind: rdb.KindString, Str: []byte(k)}, 0)
	}
	for _, k := range []string{"x", "x\x00", "x\x00\x00", "{t}x", "{t}x\x00", "{t}x\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		add(k, &rdb.Object{Kind: rdb.KindString, Str: []byte(k + "!")}, 0)
	}
	for i := range 20 {
		n := 3 + i*40
		var list [][]byte
		set := [][]byte{}
		hash := []rdb.Field{}
		zset := []rdb.ZMember{}
		for j := range n {
			list = append(list, []byte("el"+strconv.Itoa(j)))
			if i%3 == 0 {
				set = append(set, []byte(strconv.Itoa(j*7)))
			} else {
				set = append(set, []byte("m\x00"+strconv.Itoa(j)))
			}
			hash = append(hash, rdb.Field{Name: []byte("f" + strconv.Itoa(n-j)), Value: []byte(strings.Repeat("h", j%70))})
			zset = append(zset, rdb.ZMember{Member: []byte("z" + strconv.Itoa(j)), Score: float64(j % 5)})
		}
		s := strconv.Itoa(i)
		add("{t}list:"+s, &rdb.Object{Kind: rdb.KindList, List: list}, 0)
		add("{t}set:"+s, &rdb.Object{Kind: rdb.KindSet, Set: set}, far)
		add("hash:"+s, &rdb.Object{Kind: rdb.KindHash, Hash: hash}, 0)
		add("{t}zset:"+s, &rdb.Object{Kind: rdb.KindZSet, ZSet: zset}, 0)
	}
	return keys, objs, exp
}

// TestBulkLoaderMatchesPutObject: the same keys loaded through many small background runs and
// written key by key through transactions read back the same, with the same key counts.
func TestBulkLoaderMatchesPutObject(t *testing.T) {
	keys, objs, exp := loadMix()
	bulk := openTestEngine(t)
	l, err := bulk.NewBulkLoader(LoadOptions{RunBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if err := l.Add(i%3, []byte(k), objs[i], exp[i]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := l.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if st.SSTs < 10 {
		t.Fatalf("only %d SSTs: the test meant many runs", st.SSTs)
	}
	ref := openTestEngine(t)
	for i, k := range keys {
		err := ref.Update(i%3, [][]byte{[]byte(k)}, func(tx *Tx) error {
			return tx.PutObject([]byte(k), objs[i], exp[i], DefaultObjectLimits)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want, got := snapshotRecords(t, ref), snapshotRecords(t, bulk)
	if d := persisttest.Diff(want, got); len(d) > 0 {
		t.Fatalf("%d differences:\n%s", len(d), strings.Join(d, "\n"))
	}
	for db := range 3 {
		if a, b := bulk.DBSize(db), ref.DBSize(db); a != b {
			t.Fatalf("db %d: DBSIZE %d after the bulk load, %d key by key", db, a, b)
		}
	}
	if int(st.Keys) != len(keys) || len(got) != len(keys) {
		t.Fatalf("loaded %d keys, read back %d, want %d", st.Keys, len(got), len(keys))
	}
}

// TestBulkLoaderRefusesDuplicates: a key given twice in one run is an error, not a silent pick.
func TestBulkLoaderRefusesDuplicates(t *testing.T) {
	e := openTestEngine(t)
	l, err := e.NewBulkLoader(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		if err := l.Add(0, []byte("dup"), &rdb.Object{Kind: rdb.KindString, Str: []byte(v)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	_, err = l.Finish()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("duplicated key %q", "dup")) {
		t.Fatalf("Finish = %v, want a duplicated key error", err)
	}
}
