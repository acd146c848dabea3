package engine

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sort"
)

// Hashes on disk. One element record per field, sub-key = the field's bytes:
//
//	listpack-encoded (Flags without FlagConverted):  field -> uvarint(seq) | value
//	hashtable-encoded (FlagConverted):               field -> value
//
// A listpack hash remembers insertion order, as Redis's listpack does: each field carries the
// sequence number it was added with, and Meta.Extra holds the next one (uvarint). Reads that
// return everything sort the (at most hash-max-listpack-entries) fields by it. When the hash
// outgrows the listpack limits its records are rewritten without the sequence numbers and it
// never goes back, as in Redis. A hashtable hash has no order Redis could reproduce; it is
// returned in sub-key order and element operations never load the hash.

// HashLimits are hash-max-listpack-entries and hash-max-listpack-value.
type HashLimits struct {
	MaxEntries int64
	MaxValue   int
}

// DefaultHashLimits are Redis 7.0.15's defaults (512 entries, 64 bytes).
var DefaultHashLimits = HashLimits{MaxEntries: 512, MaxValue: 64}

var errCorruptHash = errors.New("engine: corrupt hash element record")

// Hash is a hash being read or changed inside one transaction. Open it with Tx.OpenHash; after
// changes, Save writes the metadata (or deletes the key when the hash became empty).
type Hash struct {
	tx      *Tx
	key     []byte
	m       Meta
	lim     HashLimits
	nextSeq uint64
	exists  bool
}

// OpenHash opens key's hash (m: its live metadata, or nil for a new, empty hash).
func (tx *Tx) OpenHash(key []byte, m *Meta, lim HashLimits) *Hash {
	h := &Hash{tx: tx, key: key, lim: lim}
	if m == nil {
		h.m = Meta{Type: TypeHash}
		return h
	}
	h.m, h.exists = *m, true
	h.m.Extra = append([]byte(nil), m.Extra...)
	if h.Listpack() {
		h.nextSeq, _ = binary.Uvarint(m.Extra)
	}
	return h
}

// Len is the number of fields.
func (h *Hash) Len() int64 { return h.m.Count }

// Listpack reports whether Redis would hold this hash as a listpack.
func (h *Hash) Listpack() bool { return h.m.Flags&FlagConverted == 0 }

// Meta is the hash's metadata as it stands (Save writes it).
func (h *Hash) Meta() *Meta { m := h.m; return &m }

func (h *Hash) ensureVersion() {
	if h.m.Version == 0 {
		h.m.Version = h.tx.NewVersion()
	}
}

// decode splits a stored element value.
func (h *Hash) decode(v []byte) (seq uint64, val []byte, err error) {
	if !h.Listpack() {
		return 0, v, nil
	}
	seq, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, nil, errCorruptHash
	}
	return seq, v[n:], nil
}

// Get returns field's value.
func (h *Hash) Get(field []byte) ([]byte, bool, error) {
	if h.m.Count == 0 {
		return nil, false, nil
	}
	v, ok, err := h.tx.GetElem(h.key, &h.m, TagElem, field)
	if err != nil || !ok {
		return nil, false, err
	}
	_, val, err := h.decode(v)
	return val, err == nil, err
}

// Exists reports whether field is present.
func (h *Hash) Exists(field []byte) (bool, error) {
	_, ok, err := h.Get(field)
	return ok, err
}

// Set stores field = value and reports whether the field is new. A field or value longer than
// MaxValue, or more than MaxEntries fields, turn a listpack hash into a hashtable (hashTypeSet).
func (h *Hash) Set(field, value []byte) (bool, error) {
	if h.Listpack() && (len(field) > h.lim.MaxValue || len(value) > h.lim.MaxValue) {
		if err := h.Convert(); err != nil {
			return false, err
		}
	}
	h.ensureVersion()
	var old []byte
	var found bool
	if h.m.Count > 0 {
		var err error
		if old, found, err = h.tx.GetElem(h.key, &h.m, TagElem, field); err != nil {
			return false, err
		}
	}
	if !h.Listpack() {
		if !found {
			h.m.Count++
		}
		return !found, h.tx.SetElem(h.key, &h.m, TagElem, field, value)
	}
	seq := h.nextSeq
	if found {
		// An update keeps the field's place, as the listpack entry is replaced in place.
		s, _, err := h.decode(old)
		if err != nil {
			return false, err
		}
		seq = s
	} else {
		h.nextSeq++
		h.m.Count++
	}
	rec := binary.AppendUvarint(make([]byte, 0, 10+len(value)), seq)
	if err := h.tx.SetElem(h.key, &h.m, TagElem, field, append(rec, value...)); err != nil {
		return false, err
	}
	if h.m.Count > h.lim.MaxEntries {
		return !found, h.Convert()
	}
	return !found, nil
}

// SetNew stores a field the caller knows is not in the hash (a loader, a copy): Set without
// the read.
func (h *Hash) SetNew(field, value []byte) error {
	if h.Listpack() && (len(field) > h.lim.MaxValue || len(value) > h.lim.MaxValue || h.m.Count+1 > h.lim.MaxEntries) {
		if err := h.Convert(); err != nil {
			return err
		}
	}
	h.ensureVersion()
	h.m.Count++
	if !h.Listpack() {
		return h.tx.SetElem(h.key, &h.m, TagElem, field, value)
	}
	rec := binary.AppendUvarint(make([]byte, 0, 10+len(value)), h.nextSeq)
	h.nextSeq++
	return h.tx.SetElem(h.key, &h.m, TagElem, field, append(rec, value...))
}

// Del removes field and reports whether it was there.
func (h *Hash) Del(field []byte) (bool, error) {
	ok, err := h.Exists(field)
	if err != nil || !ok {
		return false, err
	}
	h.m.Count--
	return true, h.tx.DelElem(h.key, &h.m, TagElem, field)
}

// Convert turns a listpack hash into a hashtable one (hashTypeConvert): its (few) records are
// rewritten without their sequence numbers.
func (h *Hash) Convert() error {
	if !h.Listpack() {
		return nil
	}
	if h.m.Count > 0 {
		type fv struct{ f, v []byte }
		var all []fv
		it, err := h.tx.Iter(h.key, &h.m, TagElem, IterBounds{})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			_, val, err := h.decode(it.Value())
			if err != nil {
				it.Close()
				return err
			}
			all = append(all, fv{append([]byte(nil), it.Sub()...), append([]byte(nil), val...)})
		}
		err = errors.Join(it.Error(), it.Close())
		if err != nil {
			return err
		}
		for _, e := range all {
			if err := h.tx.SetElem(h.key, &h.m, TagElem, e.f, e.v); err != nil {
				return err
			}
		}
	}
	h.m.Flags |= FlagConverted
	h.m.Extra = nil
	h.nextSeq = 0
	return nil
}

// Save writes the hash's metadata, or deletes the key when the hash is empty (Redis keeps no
// empty collections).
func (h *Hash) Save() error {
	if h.m.Count == 0 {
		if h.exists {
			_, err := h.tx.Delete(h.key)
			return err
		}
		return nil
	}
	h.ensureVersion()
	if h.Listpack() {
		h.m.Extra = binary.AppendUvarint(nil, h.nextSeq)
	}
	m := h.m
	return h.tx.Put(h.key, &m)
}

// Each calls fn for every field in Redis's order: insertion order for a listpack hash, sub-key
// order for a hashtable (whose Redis order is not reproducible). field and value are valid
// only during the call. fn returns false to stop.
func (h *Hash) Each(fn func(field, value []byte) bool) error {
	return h.EachFrom(nil, fn)
}

// EachFrom is Each for a hashtable hash starting at the first field >= from (a listpack hash
// ignores from and returns everything, as HSCAN does).
func (h *Hash) EachFrom(from []byte, fn func(field, value []byte) bool) error {
	if h.m.Count == 0 {
		return nil
	}
	if !h.Listpack() {
		it, err := h.tx.Iter(h.key, &h.m, TagElem, IterBounds{Lower: from})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			if !fn(it.Sub(), it.Value()) {
				break
			}
		}
		return errors.Join(it.Error(), it.Close())
	}
	type ent struct {
		seq  uint64
		f, v []byte
	}
	var all []ent
	it, err := h.tx.Iter(h.key, &h.m, TagElem, IterBounds{})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		seq, val, err := h.decode(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		all = append(all, ent{seq, append([]byte(nil), it.Sub()...), append([]byte(nil), val...)})
		if int64(len(all)) > h.m.Count+1 {
			break // a listpack hash is small; never hold more than it claims
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	for _, e := range all {
		if !fn(e.f, e.v) {
			break
		}
	}
	return nil
}

// Sample returns n fields with their values picked at random (see Tx.SampleElems).
func (h *Hash) Sample(n int, distinct bool, rnd *rand.Rand) ([]Elem, error) {
	es, err := h.tx.SampleElems(h.key, &h.m, n, distinct, rnd)
	if err != nil {
		return nil, err
	}
	for i := range es {
		_, v, err := h.decode(es[i].Value)
		if err != nil {
			return nil, err
		}
		es[i].Value = v
	}
	return es, nil
}
