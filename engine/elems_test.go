package engine

import (
	"fmt"
	"testing"
)

func TestElementsReadYourWritesAndIterate(t *testing.T) {
	e := openTest(t, t.TempDir(), nil)
	key := []byte("h")
	err := e.Update(0, [][]byte{key}, func(tx *Tx) error {
		m := &Meta{Type: TypeHash, Version: tx.NewVersion()}
		for i := range 10 {
			if err := tx.SetElem(key, m, TagElem, []byte(fmt.Sprintf("f%02d", i)), []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		// The transaction sees its own element writes.
		v, ok, err := tx.GetElem(key, m, TagElem, []byte("f03"))
		if err != nil || !ok || string(v) != "3" {
			t.Errorf("GetElem in tx = %q %v %v", v, ok, err)
		}
		if err := tx.DelElem(key, m, TagElem, []byte("f05")); err != nil {
			return err
		}
		m.Count = 9
		return tx.Put(key, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = e.View(0, [][]byte{key}, func(tx *Tx) error {
		m, err := tx.Get(key)
		if err != nil || m == nil {
			t.Fatalf("meta: %v %v", m, err)
		}
		it, err := tx.Iter(key, m, TagElem, IterBounds{Lower: []byte("f02"), Upper: []byte("f07")})
		if err != nil {
			return err
		}
		defer it.Close()
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, string(it.Sub())+"="+string(it.Value()))
		}
		if fmt.Sprint(got) != "[f02=2 f03=3 f04=4 f06=6]" {
			t.Errorf("range = %v", got)
		}
		if !it.SeekGE([]byte("f04")) || string(it.Sub()) != "f04" {
			t.Errorf("SeekGE f04 -> %q", it.Sub())
		}
		if !it.SeekLT([]byte("f06")) || string(it.Sub()) != "f04" {
			t.Errorf("SeekLT f06 -> %q", it.Sub())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A range delete inside a transaction is visible to its later reads.
	err = e.Update(0, [][]byte{key}, func(tx *Tx) error {
		m, _ := tx.Get(key)
		if err := tx.DelElemRange(key, m, TagElem, []byte("f00"), []byte("f08")); err != nil {
			return err
		}
		it, err := tx.Iter(key, m, TagElem, IterBounds{})
		if err != nil {
			return err
		}
		defer it.Close()
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, string(it.Sub()))
		}
		if fmt.Sprint(got) != "[f08 f09]" {
			t.Errorf("after DelElemRange: %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
