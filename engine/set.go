package engine

import (
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
)

// Sets on disk. One element record per member, sub-key = the member's bytes, empty value. The
// records are the same whatever the encoding Redis would use; the encoding is only a flag:
// without FlagConverted the set is an intset (every member an integer, at most
// set-max-intset-entries of them), which Redis iterates in numeric order — Each loads the (few)
// members and sorts them. A converted set is a hashtable: no reproducible Redis order, so it is
// returned in sub-key order, and element operations never load it.

// SetLimits holds set-max-intset-entries.
type SetLimits struct{ MaxIntset int64 }

// DefaultSetLimits are Redis 7.0.15's defaults.
var DefaultSetLimits = SetLimits{MaxIntset: 512}

// Set is a set being read or changed inside one transaction. Open it with Tx.OpenSet; after
// changes, Save writes the metadata (or deletes the key when the set became empty).
type Set struct {
	tx     *Tx
	key    []byte
	m      Meta
	lim    SetLimits
	exists bool
}

// OpenSet opens key's set (m: its live metadata, or nil for a new, empty set).
func (tx *Tx) OpenSet(key []byte, m *Meta, lim SetLimits) *Set {
	s := &Set{tx: tx, key: key, lim: lim}
	if m == nil {
		s.m = Meta{Type: TypeSet}
		return s
	}
	s.m, s.exists = *m, true
	return s
}

// Len is the number of members.
func (s *Set) Len() int64 { return s.m.Count }

// Intset reports whether Redis would hold this set as an intset.
func (s *Set) Intset() bool { return s.m.Flags&FlagConverted == 0 }

// Meta is the set's metadata as it stands (Save writes it).
func (s *Set) Meta() *Meta { m := s.m; return &m }

// Convert makes the set a hashtable for good (setTypeConvert): only the flag changes.
func (s *Set) Convert() { s.m.Flags |= FlagConverted }

// Recode gives the set the encoding a set rebuilt from its current members would get (SPOP
// keeps its survivors that way): an intset when they are all integers (allInt) and few enough.
func (s *Set) Recode(allInt bool) {
	if allInt && s.m.Count <= s.lim.MaxIntset {
		s.m.Flags &^= FlagConverted
	} else {
		s.m.Flags |= FlagConverted
	}
}

// IsMember reports whether member is in the set.
func (s *Set) IsMember(member []byte) (bool, error) {
	if s.m.Count == 0 {
		return false, nil
	}
	_, ok, err := s.tx.GetElem(s.key, &s.m, TagElem, member)
	return ok, err
}

// Add adds member and reports whether it is new. A member that is not an integer, or one too
// many, turns an intset into a hashtable (setTypeAdd).
func (s *Set) Add(member []byte) (bool, error) {
	ok, err := s.IsMember(member)
	if err != nil || ok {
		return false, err
	}
	if s.m.Version == 0 {
		s.m.Version = s.tx.NewVersion()
	}
	if s.Intset() && !IsInteger(member) {
		s.Convert()
	}
	s.m.Count++
	if s.Intset() && s.m.Count > s.lim.MaxIntset {
		s.Convert()
	}
	return true, s.tx.SetElem(s.key, &s.m, TagElem, member, nil)
}

// AddNew adds a member the caller knows is not in the set (a loader, a store of a computed
// result): Add without the read.
func (s *Set) AddNew(member []byte) error {
	if s.m.Version == 0 {
		s.m.Version = s.tx.NewVersion()
	}
	s.m.Count++
	if s.Intset() && (s.m.Count > s.lim.MaxIntset || !IsInteger(member)) {
		s.Convert()
	}
	return s.tx.SetElem(s.key, &s.m, TagElem, member, nil)
}

// Rem removes member and reports whether it was there.
func (s *Set) Rem(member []byte) (bool, error) {
	ok, err := s.IsMember(member)
	if err != nil || !ok {
		return false, err
	}
	s.m.Count--
	return true, s.tx.DelElem(s.key, &s.m, TagElem, member)
}

// Save writes the set's metadata, or deletes the key when the set is empty.
func (s *Set) Save() error {
	if s.m.Count == 0 {
		if s.exists {
			_, err := s.tx.Delete(s.key)
			return err
		}
		return nil
	}
	m := s.m
	return s.tx.Put(s.key, &m)
}

// Each calls fn for every member in Redis's order: numeric for an intset, sub-key order for a
// hashtable. member is valid only during the call; fn returns false to stop.
func (s *Set) Each(fn func(member []byte) bool) error { return s.EachFrom(nil, fn) }

// EachFrom is Each for a hashtable set starting at the first member >= from (an intset ignores
// from and returns everything, as SSCAN does).
func (s *Set) EachFrom(from []byte, fn func(member []byte) bool) error {
	if s.m.Count == 0 {
		return nil
	}
	if s.Intset() {
		from = nil
	}
	it, err := s.tx.Iter(s.key, &s.m, TagElem, IterBounds{Lower: from})
	if err != nil {
		return err
	}
	if !s.Intset() {
		for ok := it.First(); ok; ok = it.Next() {
			if !fn(it.Sub()) {
				break
			}
		}
		return errors.Join(it.Error(), it.Close())
	}
	type num struct {
		n int64
		b []byte
	}
	var all []num
	for ok := it.First(); ok && int64(len(all)) <= s.m.Count; ok = it.Next() {
		n, _ := strconv.ParseInt(string(it.Sub()), 10, 64)
		all = append(all, num{n, append([]byte(nil), it.Sub()...)})
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n < all[j].n })
	for _, x := range all {
		if !fn(x.b) {
			break
		}
	}
	return nil
}

// Members returns every member in Each's order (copies).
func (s *Set) Members() ([][]byte, error) {
	out := make([][]byte, 0, min(s.m.Count, 1024))
	err := s.Each(func(m []byte) bool {
		out = append(out, append([]byte(nil), m...))
		return true
	})
	return out, err
}

// Sample returns n members picked at random (see Tx.SampleElems).
func (s *Set) Sample(n int, distinct bool, rnd *rand.Rand) ([][]byte, error) {
	es, err := s.tx.SampleElems(s.key, &s.m, n, distinct, rnd)
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.Sub
	}
	return out, err
}

// IsInteger is Redis's string2ll test (isSdsRepresentableAsLongLong): the members an intset can
// hold. No sign but '-', no leading zeros, no spaces, at most 20 characters, in int64 range.
func IsInteger(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	if len(b) == 1 && b[0] == '0' {
		return true
	}
	i := 0
	if b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return false
	}
	for _, c := range b[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(string(b), 10, 64)
	return err == nil
}

// Elem is one element record (copies of its sub-key and value).
type Elem struct{ Sub, Value []byte }

// sampleLoadAll is the size up to which SampleElems reads the whole collection and picks
// uniformly; above it, picks are random descents through the sub-key space (fair enough for
// random commands, and O(log n) each).
const sampleLoadAll = 1024

// SampleElems returns n element records of collection key picked at random: when distinct, n
// different ones (all of them, shuffled, if n >= Count); otherwise n independent picks.
func (tx *Tx) SampleElems(key []byte, m *Meta, n int, distinct bool, rnd *rand.Rand) ([]Elem, error) {
	if n <= 0 || m.Count == 0 {
		return nil, nil
	}
	it, err := tx.Iter(key, m, TagElem, IterBounds{})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	cp := func() Elem {
		return Elem{append([]byte(nil), it.Sub()...), append([]byte(nil), it.Value()...)}
	}
	if m.Count <= sampleLoadAll || (distinct && int64(n)*3 > m.Count) {
		var all []Elem
		for ok := it.First(); ok; ok = it.Next() {
			all = append(all, cp())
		}
		if err := it.Error(); err != nil {
			return nil, err
		}
		if len(all) == 0 {
			return nil, nil
		}
		if distinct {
			n = min(n, len(all))
			for i := 0; i < n; i++ {
				j := i + rnd.IntN(len(all)-i)
				all[i], all[j] = all[j], all[i]
			}
			return all[:n], nil
		}
		out := make([]Elem, n)
		for i := range out {
			out[i] = all[rnd.IntN(len(all))]
		}
		return out, nil
	}
	out := make([]Elem, 0, n)
	if !distinct {
		for len(out) < n {
			if !randomPosition(it, rnd) {
				return nil, it.Error()
			}
			out = append(out, cp())
		}
		return out, it.Error()
	}
	seen := make(map[string]bool, n)
	for tries := 0; len(out) < n && tries < 4*n+16; tries++ {
		if !randomPosition(it, rnd) {
			return nil, it.Error()
		}
		if !seen[string(it.Sub())] {
			seen[string(it.Sub())] = true
			out = append(out, cp())
		}
	}
	// Unlucky draws: fill up walking on from a random place (n < Count/3 here, so this ends).
	if len(out) < n && randomPosition(it, rnd) {
		for len(out) < n {
			if !seen[string(it.Sub())] {
				seen[string(it.Sub())] = true
				out = append(out, cp())
			}
			if !it.Next() && !it.First() {
				break
			}
		}
	}
	return out, it.Error()
}

// randomPosition moves it to a random record by descending the sub-key space one byte at a
// time: at each depth a byte is drawn between the smallest and largest ones present under the
// prefix chosen so far, and the first record at or after it fixes the next prefix byte.
func randomPosition(it *ElemIter, rnd *rand.Rand) bool {
	var prefix []byte
	for depth := 0; depth < 32; depth++ {
		if !it.SeekGE(prefix) {
			return it.First()
		}
		lo := append([]byte(nil), it.Sub()...)
		var hiOK bool
		if end := prefixEnd(prefix); prefix == nil || end == nil {
			hiOK = it.Last()
		} else {
			hiOK = it.SeekLT(end)
		}
		if !hiOK {
			return it.SeekGE(lo)
		}
		hi := it.Sub()
		if string(lo) == string(hi) {
			return true // one record under this prefix
		}
		// lo may be the prefix itself (a shorter sub-key): it counts as one more choice.
		loB := -1
		if len(lo) > depth {
			loB = int(lo[depth])
		}
		hiB := int(hi[depth])
		b := loB + rnd.IntN(hiB-loB+1)
		if b < 0 {
			return it.SeekGE(lo)
		}
		next := append(append([]byte(nil), prefix...), byte(b))
		if !it.SeekGE(next) {
			return it.Last()
		}
		prefix = append(prefix[:len(prefix):len(prefix)], it.Sub()[depth])
		if len(it.Sub()) == depth+1 && rnd.IntN(2) == 0 {
			return true
		}
	}
	return it.SeekGE(prefix)
}
