package engine

import "testing"

// keyUpdate runs fn over key and its metadata (nil when missing) in one write transaction of
// database 0, failing the test on error; keyView does the same in a read.
func keyUpdate(t *testing.T, e *Engine, key string, fn func(tx *Tx, k []byte, m *Meta) error) {
	t.Helper()
	k := []byte(key)
	if err := e.Update(0, [][]byte{k}, func(tx *Tx) error { return withMeta(tx, k, fn) }); err != nil {
		t.Fatal(err)
	}
}

func keyView(t *testing.T, e *Engine, key string, fn func(tx *Tx, k []byte, m *Meta) error) {
	t.Helper()
	k := []byte(key)
	if err := e.View(0, [][]byte{k}, func(tx *Tx) error { return withMeta(tx, k, fn) }); err != nil {
		t.Fatal(err)
	}
}

func withMeta(tx *Tx, k []byte, fn func(tx *Tx, k []byte, m *Meta) error) error {
	m, err := tx.Get(k)
	if err != nil {
		return err
	}
	return fn(tx, k, m)
}
