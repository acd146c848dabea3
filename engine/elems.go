package engine

import (
	"github.com/cockroachdb/pebble/v2"
)

// Collections keep one record per element under their key's metadata version (design.md):
//
//	db|slot|'e'|len(key)|key|version|sub  ->  value   (hash field, set member, list seq, zset member -> score)
//	db|slot|'z'|len(key)|key|version|sub  ->  ""      (zset score index: score(8)|member)
//
// The sub-key is whatever the type chooses; it is opaque here. A collection's size lives in
// Meta.Count and is kept by the caller, which also deletes the key when it becomes empty.

// Element record tags, for Iter and the element methods.
const (
	TagElem  = tagElem
	TagScore = tagScore
)

func (tx *Tx) elemKey(key []byte, m *Meta, tag byte, sub []byte) []byte {
	p := elemPrefix(tx.db, Slot(key), tag, key, m.Version)
	return append(p, sub...)
}

// reader is where the transaction reads records: its own batch (which sees its writes) for
// updates, the store for views.
func (tx *Tx) reader() pebble.Reader {
	if tx.batch != nil {
		return tx.batch
	}
	if tx.snap != nil {
		return tx.snap
	}
	return tx.e.db
}

// GetElem returns the value of sub in collection key (metadata m).
func (tx *Tx) GetElem(key []byte, m *Meta, tag byte, sub []byte) ([]byte, bool, error) {
	v, closer, err := tx.reader().Get(tx.elemKey(key, m, tag, sub))
	if err == pebble.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte{}, v...)
	closer.Close()
	return out, true, nil
}

// SetElem writes sub = val in collection key.
func (tx *Tx) SetElem(key []byte, m *Meta, tag byte, sub, val []byte) error {
	return tx.batch.Set(tx.elemKey(key, m, tag, sub), val, nil)
}

// DelElem removes sub from collection key.
func (tx *Tx) DelElem(key []byte, m *Meta, tag byte, sub []byte) error {
	return tx.batch.Delete(tx.elemKey(key, m, tag, sub), nil)
}

// DelElemRange removes the sub-keys in [from, to) (to nil: to the end) with one range
// tombstone.
func (tx *Tx) DelElemRange(key []byte, m *Meta, tag byte, from, to []byte) error {
	p := elemPrefix(tx.db, Slot(key), tag, key, m.Version)
	start := append(append([]byte(nil), p...), from...)
	var end []byte
	if to == nil {
		end = prefixEnd(p)
	} else {
		end = append(append([]byte(nil), p...), to...)
	}
	return tx.batch.DeleteRange(start, end, nil)
}

// ElemIter walks one collection's records of one tag in sub-key order.
type ElemIter struct {
	it     *pebble.Iterator
	prefix []byte
}

// IterBounds limits an iteration to sub-keys in [Lower, Upper); nil means unbounded.
type IterBounds struct{ Lower, Upper []byte }

// Iter opens an iterator over collection key's records with tag. It sees the transaction's own
// writes. Close it before the transaction ends.
func (tx *Tx) Iter(key []byte, m *Meta, tag byte, b IterBounds) (*ElemIter, error) {
	p := elemPrefix(tx.db, Slot(key), tag, key, m.Version)
	lower := append(append([]byte(nil), p...), b.Lower...)
	var upper []byte
	if b.Upper != nil {
		upper = append(append([]byte(nil), p...), b.Upper...)
	} else {
		upper = prefixEnd(p)
	}
	var it *pebble.Iterator
	var err error
	switch {
	case tx.batch != nil:
		it, err = tx.batch.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	case tx.snap != nil:
		it, err = tx.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	default:
		it, err = tx.e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	}
	if err != nil {
		return nil, err
	}
	return &ElemIter{it: it, prefix: p}, nil
}

func (i *ElemIter) First() bool { return i.it.First() }
func (i *ElemIter) Last() bool  { return i.it.Last() }
func (i *ElemIter) Next() bool  { return i.it.Next() }
func (i *ElemIter) Prev() bool  { return i.it.Prev() }
func (i *ElemIter) Valid() bool { return i.it.Valid() }

// SeekGE positions at the first sub-key >= sub.
func (i *ElemIter) SeekGE(sub []byte) bool { return i.it.SeekGE(i.full(sub)) }

// SeekLT positions at the last sub-key < sub.
func (i *ElemIter) SeekLT(sub []byte) bool { return i.it.SeekLT(i.full(sub)) }

func (i *ElemIter) full(sub []byte) []byte {
	return append(append(make([]byte, 0, len(i.prefix)+len(sub)), i.prefix...), sub...)
}

// Sub is the current record's sub-key (valid until the next move).
func (i *ElemIter) Sub() []byte { return i.it.Key()[len(i.prefix):] }

// Value is the current record's value (valid until the next move).
func (i *ElemIter) Value() []byte { return i.it.Value() }

// Error is the iteration's error, if any.
func (i *ElemIter) Error() error { return i.it.Error() }

// Close releases the iterator.
func (i *ElemIter) Close() error { return i.it.Close() }
