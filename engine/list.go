package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
)

// Lists keep one element record per element, keyed by a sequence number:
//
//	sub-key:    seq as 8 bytes big-endian of uint64(seq) ^ 1<<63 (byte order = numeric order)
//	value:      the element
//	Meta.Extra: head(8) | tail(8), int64 big-endian: elements live at sequences in [head, tail)
//
// Pushes take head-1 or tail and pops give them back, so the ends are single-record
// operations whatever the length. While tail-head == Count the list is dense: element i is at
// head+i and LINDEX/LSET are one record. LREM closes the holes it makes by shifting the shorter
// side when that moves at most listCompactLimit elements, else leaves them; a list with holes
// finds a position by walking from the nearer end (Redis's LINDEX walks too). LINSERT takes a
// free sequence next to the pivot when there is one, else shifts the shorter run of
// neighbours up to the nearest hole, so a dense list stays dense.

// ErrCorruptList reports a list header that cannot be decoded.
var ErrCorruptList = errors.New("engine: corrupt list header")

// listSeq encodes a sequence number as an order-preserving sub-key.
func listSeq(s int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s)^1<<63)
	return b[:]
}

func decodeListSeq(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ 1<<63) }

func listHeader(m *Meta) (head, tail int64, err error) {
	if m.Type != TypeList || len(m.Extra) != 16 {
		return 0, 0, ErrCorruptList
	}
	head = int64(binary.BigEndian.Uint64(m.Extra))
	tail = int64(binary.BigEndian.Uint64(m.Extra[8:]))
	if tail < head || tail-head < m.Count {
		return 0, 0, ErrCorruptList
	}
	return head, tail, nil
}

func listExtra(head, tail int64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(head))
	binary.BigEndian.PutUint64(b[8:], uint64(tail))
	return b
}

// list is one list being read or changed inside a transaction.
type list struct {
	tx         *Tx
	key        []byte
	m          *Meta
	head, tail int64
}

func (tx *Tx) openList(key []byte, m *Meta) (*list, error) {
	head, tail, err := listHeader(m)
	if err != nil {
		return nil, err
	}
	return &list{tx: tx, key: key, m: m, head: head, tail: tail}, nil
}

func (l *list) dense() bool { return l.tail-l.head == l.m.Count }

// iter iterates the live sequences [head, tail) only: First and Last land on the ends at once
// instead of stepping over the tombstones that pops leave beyond them.
func (l *list) iter() (*ElemIter, error) {
	return l.tx.Iter(l.key, l.m, TagElem, IterBounds{Lower: listSeq(l.head), Upper: listSeq(l.tail)})
}

// seek positions it at element i (0 <= i < Count), walking from the nearer end when the list
// has holes.
func (l *list) seek(it *ElemIter, i int64) bool {
	if l.dense() {
		return it.SeekGE(listSeq(l.head + i))
	}
	n := l.m.Count
	if i < n/2 {
		ok := it.First()
		for ; ok && i > 0; i-- {
			ok = it.Next()
		}
		return ok
	}
	ok := it.Last()
	for j := n - 1 - i; ok && j > 0; j-- {
		ok = it.Prev()
	}
	return ok
}

// store writes the list's metadata with a new count and header, or deletes the key when
// the list is empty (Redis never keeps an empty list).
func (l *list) store(count int64) (*Meta, error) {
	if count == 0 {
		_, err := l.tx.Delete(l.key)
		return nil, err
	}
	n := *l.m
	n.Count = count
	n.Extra = listExtra(l.head, l.tail)
	if err := l.tx.Put(l.key, &n); err != nil {
		return nil, err
	}
	l.m = &n
	return &n, nil
}

// ListPush adds vals one by one at the head (left) or the tail of list key, creating it when
// m is nil, and returns the new metadata. The caller has checked m's type.
func (tx *Tx) ListPush(key []byte, m *Meta, left bool, vals ...[]byte) (*Meta, error) {
	if m == nil {
		m = &Meta{Type: TypeList, Version: tx.NewVersion(), Extra: listExtra(0, 0)}
	}
	l, err := tx.openList(key, m)
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		var s int64
		if left {
			l.head--
			s = l.head
		} else {
			s = l.tail
			l.tail++
		}
		if err := tx.SetElem(key, m, TagElem, listSeq(s), v); err != nil {
			return nil, err
		}
	}
	return l.store(m.Count + int64(len(vals)))
}

// ListPop removes up to count elements from the head (left) or the tail and returns them in
// the order they were popped, with the new metadata (nil when the list was emptied and
// deleted).
func (tx *Tx) ListPop(key []byte, m *Meta, left bool, count int64) ([][]byte, *Meta, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return nil, nil, err
	}
	count = min(count, m.Count)
	if count <= 0 {
		return nil, m, nil
	}
	it, err := l.iter()
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	out := make([][]byte, 0, min(count, 1024))
	ok := it.First()
	if !left {
		ok = it.Last()
	}
	for ; ok && int64(len(out)) < count; ok = step(it, left) {
		out = append(out, bytes.Clone(it.Value()))
	}
	if err := it.Error(); err != nil {
		return nil, nil, err
	}
	if int64(len(out)) != count {
		return nil, nil, ErrCorruptList
	}
	rest := m.Count - count
	if rest == 0 {
		_, err := tx.Delete(key)
		return out, nil, err
	}
	// ok: the iterator stands on the first element that stays.
	if !ok {
		return nil, nil, ErrCorruptList
	}
	next := decodeListSeq(it.Sub())
	from, to := l.head, next // the popped sequences, [from, to)
	if left {
		l.head = next
	} else {
		from, to = next+1, l.tail
		l.tail = next + 1
	}
	// A few pops delete their records one by one: a range tombstone per pop would pile up
	// overlapping tombstones that every later read of the key re-fragments.
	if to-from <= listPointDeleteMax {
		for s := from; s < to; s++ {
			if err := tx.DelElem(key, m, TagElem, listSeq(s)); err != nil {
				return nil, nil, err
			}
		}
	} else if err := tx.DelElemRange(key, m, TagElem, listSeq(from), listSeq(to)); err != nil {
		return nil, nil, err
	}
	nm, err := l.store(rest)
	return out, nm, err
}

// listPointDeleteMax is the largest span of sequences a pop deletes record by record.
const listPointDeleteMax = 64

// step moves toward the tail when fromHead, else toward the head.
func step(it *ElemIter, fromHead bool) bool {
	if fromHead {
		return it.Next()
	}
	return it.Prev()
}

// normIndex turns a Redis index (negative counts from the tail) into 0..n-1, or false.
func normIndex(i, n int64) (int64, bool) {
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// ListIndex returns the element at index i (negative: from the tail).
func (tx *Tx) ListIndex(key []byte, m *Meta, i int64) ([]byte, bool, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return nil, false, err
	}
	i, ok := normIndex(i, m.Count)
	if !ok {
		return nil, false, nil
	}
	if l.dense() {
		v, ok, err := tx.GetElem(key, m, TagElem, listSeq(l.head+i))
		if err == nil && !ok {
			err = ErrCorruptList
		}
		return v, ok, err
	}
	it, err := l.iter()
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	if !l.seek(it, i) {
		return nil, false, errors.Join(it.Error(), ErrCorruptList)
	}
	return bytes.Clone(it.Value()), true, nil
}

// ListSet replaces the element at index i; false when i is out of range.
func (tx *Tx) ListSet(key []byte, m *Meta, i int64, val []byte) (bool, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return false, err
	}
	i, ok := normIndex(i, m.Count)
	if !ok {
		return false, nil
	}
	s := l.head + i
	if !l.dense() {
		it, err := l.iter()
		if err != nil {
			return false, err
		}
		if !l.seek(it, i) {
			it.Close()
			return false, errors.Join(it.Error(), ErrCorruptList)
		}
		s = decodeListSeq(it.Sub())
		it.Close()
	}
	return true, tx.SetElem(key, m, TagElem, listSeq(s), val)
}

// ListRange calls fn for the elements at indexes start..end (0 <= start <= end < Count), from
// start to end, or from end down to start when reverse. fn must not keep v.
func (tx *Tx) ListRange(key []byte, m *Meta, start, end int64, reverse bool, fn func(v []byte) error) error {
	l, err := tx.openList(key, m)
	if err != nil {
		return err
	}
	if start < 0 || end >= m.Count || start > end {
		return nil
	}
	it, err := l.iter()
	if err != nil {
		return err
	}
	defer it.Close()
	from := start
	if reverse {
		from = end
	}
	ok := l.seek(it, from)
	for n := end - start + 1; n > 0; n-- {
		if !ok {
			return errors.Join(it.Error(), ErrCorruptList)
		}
		if err := fn(it.Value()); err != nil {
			return err
		}
		ok = step(it, !reverse)
	}
	return it.Error()
}

// ListScan walks the list from the head (or from the tail), calling fn with each element's
// index from the head until fn returns false. fn must not keep v.
func (tx *Tx) ListScan(key []byte, m *Meta, fromTail bool, fn func(i int64, v []byte) bool) error {
	if _, err := tx.openList(key, m); err != nil {
		return err
	}
	it, err := tx.Iter(key, m, TagElem, IterBounds{})
	if err != nil {
		return err
	}
	defer it.Close()
	ok, i, d := it.First(), int64(0), int64(1)
	if fromTail {
		ok, i, d = it.Last(), m.Count-1, -1
	}
	for ; ok; ok = step(it, !fromTail) {
		if !fn(i, it.Value()) {
			break
		}
		i += d
	}
	return it.Error()
}

// ListTrim removes ltrim elements from the head and rtrim from the tail with range deletes
// and returns the new metadata (nil when nothing is left and the key was deleted).
func (tx *Tx) ListTrim(key []byte, m *Meta, ltrim, rtrim int64) (*Meta, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return nil, err
	}
	ltrim, rtrim = max(ltrim, 0), max(rtrim, 0)
	if ltrim == 0 && rtrim == 0 {
		return m, nil
	}
	rest := m.Count - ltrim - rtrim
	if rest <= 0 {
		_, err := tx.Delete(key)
		return nil, err
	}
	first, last := l.head+ltrim, l.head+m.Count-1-rtrim
	if !l.dense() {
		it, err := l.iter()
		if err != nil {
			return nil, err
		}
		if l.seek(it, ltrim) {
			first = decodeListSeq(it.Sub())
		}
		ok := l.seek(it, m.Count-1-rtrim)
		if ok {
			last = decodeListSeq(it.Sub())
		}
		err = errors.Join(it.Error(), it.Close())
		if err == nil && !ok {
			err = ErrCorruptList
		}
		if err != nil {
			return nil, err
		}
	}
	if ltrim > 0 {
		if err := tx.DelElemRange(key, m, TagElem, listSeq(l.head), listSeq(first)); err != nil {
			return nil, err
		}
		l.head = first
	}
	if rtrim > 0 {
		if err := tx.DelElemRange(key, m, TagElem, listSeq(last+1), nil); err != nil {
			return nil, err
		}
		l.tail = last + 1
	}
	return l.store(rest)
}

// ListInsert inserts val before or after the first element equal to pivot (searching from the
// head) and returns the new length, or -1 when there is no such element.
func (tx *Tx) ListInsert(key []byte, m *Meta, pivot, val []byte, after bool) (int64, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return 0, err
	}
	it, err := l.iter()
	if err != nil {
		return 0, err
	}
	defer it.Close()
	// Find the pivot, remembering its neighbours' sequences.
	var idx int64
	found, hasPrev := false, false
	var prev, at int64
	for ok := it.First(); ok; ok = it.Next() {
		s := decodeListSeq(it.Sub())
		if bytes.Equal(it.Value(), pivot) {
			found, at = true, s
			break
		}
		prev, hasPrev = s, true
		idx++
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	if !found {
		return -1, nil
	}
	// The new element goes between lo and hi (index of lo: loIdx).
	var lo, hi int64
	var hasLo, hasHi bool
	loIdx := idx - 1
	if after {
		lo, hasLo, loIdx = at, true, idx
		if it.Next() {
			hi, hasHi = decodeListSeq(it.Sub()), true
		}
		if err := it.Error(); err != nil {
			return 0, err
		}
	} else {
		lo, hasLo = prev, hasPrev
		hi, hasHi = at, true
	}
	var s int64
	switch {
	case !hasLo:
		l.head--
		s = l.head
	case !hasHi:
		s = l.tail
		l.tail++
	case hi-lo > 1:
		s = lo + 1
	case loIdx+1 <= m.Count-loIdx-1:
		// Shift the run ending at lo one step toward the head; the new element takes lo.
		if err := l.shift(it, lo, -1, val); err != nil {
			return 0, err
		}
		_, err := l.store(m.Count + 1)
		return m.Count + 1, err
	default:
		if err := l.shift(it, hi, +1, val); err != nil {
			return 0, err
		}
		_, err := l.store(m.Count + 1)
		return m.Count + 1, err
	}
	if err := tx.SetElem(key, m, TagElem, listSeq(s), val); err != nil {
		return 0, err
	}
	_, err = l.store(m.Count + 1)
	return m.Count + 1, err
}

// shift writes val at sequence from and moves the contiguous run of elements starting there
// (going toward the head when d < 0, the tail when d > 0) one step further, up to the first
// hole or past the end.
func (l *list) shift(it *ElemIter, from int64, d int64, val []byte) error {
	if !it.SeekGE(listSeq(from)) || decodeListSeq(it.Sub()) != from {
		return errors.Join(it.Error(), ErrCorruptList)
	}
	carry := val
	cur := from
	for {
		old := bytes.Clone(it.Value())
		if err := l.tx.SetElem(l.key, l.m, TagElem, listSeq(cur), carry); err != nil {
			return err
		}
		carry = old
		ok := step(it, d > 0)
		if !ok || decodeListSeq(it.Sub()) != cur+d {
			if err := it.Error(); err != nil {
				return err
			}
			break
		}
		cur += d
	}
	end := cur + d
	if err := l.tx.SetElem(l.key, l.m, TagElem, listSeq(end), carry); err != nil {
		return err
	}
	if end < l.head {
		l.head = end
	}
	if end >= l.tail {
		l.tail = end + 1
	}
	return nil
}

// listCompactLimit bounds the elements LREM moves to close the holes it made in a dense list
// (keeping LINDEX a single record); past it the holes stay.
var listCompactLimit int64 = 4096

// ListRem removes elements equal to val: the first count from the head (count > 0), the last
// -count from the tail (count < 0), or all (count == 0). It returns how many it removed.
// When the list was dense and closing the holes moves few elements, it closes them by
// shifting the shorter side.
func (tx *Tx) ListRem(key []byte, m *Meta, count int64, val []byte) (int64, error) {
	l, err := tx.openList(key, m)
	if err != nil {
		return 0, err
	}
	wasDense := l.dense()
	fromTail := count < 0
	limit := count
	if fromTail {
		limit = -count
	}
	it, err := l.iter()
	if err != nil {
		return 0, err
	}
	var removed int64
	minS, maxS := int64(math.MaxInt64), int64(math.MinInt64)
	ok := it.First()
	if fromTail {
		ok = it.Last()
	}
	for ; ok; ok = step(it, !fromTail) {
		if !bytes.Equal(it.Value(), val) {
			continue
		}
		s := decodeListSeq(it.Sub())
		minS, maxS = min(minS, s), max(maxS, s)
		if err := tx.DelElem(key, m, TagElem, it.Sub()); err != nil {
			it.Close()
			return 0, err
		}
		removed++
		if limit != 0 && removed == limit {
			break
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return 0, err
	}
	if removed == 0 {
		return 0, nil
	}
	rest := m.Count - removed
	if rest == 0 {
		_, err = l.store(0)
		return removed, err
	}
	// A fresh iterator sees the deletions.
	it, err = l.iter()
	if err != nil {
		return 0, err
	}
	below := (maxS - l.head) - (removed - 1)     // elements left under the highest hole
	above := (l.tail - 1 - minS) - (removed - 1) // and over the lowest
	switch {
	case wasDense && below <= above && below <= listCompactLimit:
		dest := maxS
		for ok := it.SeekLT(listSeq(maxS)); ok; ok = it.Prev() {
			if err := l.move(it, dest); err != nil {
				it.Close()
				return 0, err
			}
			dest--
		}
		l.head = dest + 1
	case wasDense && above <= listCompactLimit:
		dest := minS
		for ok := it.SeekGE(listSeq(minS)); ok; ok = it.Next() {
			if err := l.move(it, dest); err != nil {
				it.Close()
				return 0, err
			}
			dest++
		}
		l.tail = dest
	default: // holes stay; the ends may have moved
		if it.First() {
			l.head = decodeListSeq(it.Sub())
		}
		if it.Last() {
			l.tail = decodeListSeq(it.Sub()) + 1
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return 0, err
	}
	_, err = l.store(rest)
	return removed, err
}

// move rewrites the iterator's element at sequence dest (the iterator does not see the
// write: it reads the batch as it was when opened).
func (l *list) move(it *ElemIter, dest int64) error {
	from := decodeListSeq(it.Sub())
	if from == dest {
		return nil
	}
	if err := l.tx.DelElem(l.key, l.m, TagElem, listSeq(from)); err != nil {
		return err
	}
	return l.tx.SetElem(l.key, l.m, TagElem, listSeq(dest), it.Value())
}
