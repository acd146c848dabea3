package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
)

// Sorted sets on disk. Two records per member, under the key's version:
//
//	e: member                     -> score, 8 bytes big-endian of math.Float64bits (keeps -0)
//	z: EncodeScore(score)|member  -> "" ("-" when the score is -0, which the index files as 0)
//
// The z index orders members by score, then by member bytes: Redis's skiplist order exactly
// (-0 and 0 compare equal in Redis, so -0 is indexed as 0). Range-by-score and range-by-lex
// are range scans of it; ZSCORE is one e record.
//
// Rank (ZRANK, ZRANGE by index, ZREMRANGEBYRANK) has no index: finding rank r walks from the
// nearer end of the z index, so it costs min(r, Count-r) record steps (Redis: O(log N)). The
// walk already reads keys only (index records have empty values, and Pebble loads a value
// only when asked); a step is one merging-iterator move, 0.1-0.2 µs on a settled LSM, more
// right after a bulk load, so ZRANGE at rank 500,000 of 1,000,000 costs 50-100 ms. ZRANK does
// not know which end is nearer: it walks from both ends at once and stops when either meets
// the member, 2*min(r, Count-r) steps. Measured costs: bench/RESULTS.md (data types).
//
// Encoding: Redis holds a zset as a listpack while it has at most zset-max-listpack-entries
// members of at most zset-max-listpack-value bytes, and never converts back; FlagConverted
// records that it left. Both encodings keep the same order, so only OBJECT ENCODING differs.

// ZSetLimits are zset-max-listpack-entries and zset-max-listpack-value.
type ZSetLimits struct {
	MaxEntries int64
	MaxValue   int
}

// DefaultZSetLimits are Redis 7.0.15's defaults.
var DefaultZSetLimits = ZSetLimits{MaxEntries: 128, MaxValue: 64}

// ErrCorruptZSet reports an element record that cannot be decoded.
var ErrCorruptZSet = errors.New("engine: corrupt sorted set record")

// ZSet is a sorted set being read or changed inside one transaction. Open it with
// Tx.OpenZSet; after changes, Save writes the metadata (or deletes the key when empty).
type ZSet struct {
	tx     *Tx
	key    []byte
	m      Meta
	lim    ZSetLimits
	exists bool
}

// OpenZSet opens key's sorted set (m: its live metadata, or nil for a new, empty one).
func (tx *Tx) OpenZSet(key []byte, m *Meta, lim ZSetLimits) *ZSet {
	z := &ZSet{tx: tx, key: key, lim: lim}
	if m == nil {
		z.m = Meta{Type: TypeZSet}
		return z
	}
	z.m, z.exists = *m, true
	return z
}

// NewZSet opens key as a new, empty sorted set that replaces whatever key holds when saved
// (the destination of ZUNIONSTORE and friends).
func (tx *Tx) NewZSet(key []byte, lim ZSetLimits) *ZSet {
	m, _ := tx.current(key)
	z := &ZSet{tx: tx, key: key, lim: lim, exists: m != nil}
	z.m = Meta{Type: TypeZSet, Version: tx.NewVersion()}
	return z
}

// Len is the number of members.
func (z *ZSet) Len() int64 { return z.m.Count }

// Listpack reports whether Redis would hold this sorted set as a listpack.
func (z *ZSet) Listpack() bool { return z.m.Flags&FlagConverted == 0 }

// Meta is the metadata as it stands (Save writes it).
func (z *ZSet) Meta() *Meta { m := z.m; return &m }

// SetExpire sets the expiry that Save writes (0: persistent).
func (z *ZSet) SetExpire(at int64) { z.m.ExpireAt = at }

func (z *ZSet) ensureVersion() {
	if z.m.Version == 0 {
		z.m.Version = z.tx.NewVersion()
	}
}

func scoreValue(f float64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(f))
	return b[:]
}

// indexSub is the z record's sub-key for member at score.
func indexSub(member []byte, score float64) []byte {
	if score == 0 {
		score = 0 // -0 files as 0
	}
	s := EncodeScore(score)
	return append(append(make([]byte, 0, 8+len(member)), s[:]...), member...)
}

// ScoreBound is the index position just before every member at score (for iterator seeks).
func scoreSub(score float64) []byte {
	if score == 0 {
		score = 0
	}
	s := EncodeScore(score)
	return s[:]
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool, error) {
	if z.m.Count == 0 {
		return 0, false, nil
	}
	v, ok, err := z.tx.GetElem(z.key, &z.m, TagElem, member)
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, ErrCorruptZSet
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), true, nil
}

// Set stores member with score (a new member or a new score) and reports whether the member
// is new. The caller rejects NaN scores.
func (z *ZSet) Set(member []byte, score float64) (bool, error) {
	old, found, err := z.Score(member)
	if err != nil {
		return false, err
	}
	z.ensureVersion()
	if found {
		if math.Float64bits(old) == math.Float64bits(score) {
			return false, nil
		}
		if err := z.tx.DelElem(z.key, &z.m, TagScore, indexSub(member, old)); err != nil {
			return false, err
		}
	} else {
		z.m.Count++
		// zsetAdd: a listpack that gets a long member or too many members becomes a skiplist.
		if len(member) > z.lim.MaxValue || z.m.Count > z.lim.MaxEntries {
			z.m.Flags |= FlagConverted
		}
	}
	if score == 0 && z.Listpack() {
		// A listpack stores "-0" as the integer 0: only a skiplist keeps the sign.
		score = 0
	}
	if err := z.tx.SetElem(z.key, &z.m, TagElem, member, scoreValue(score)); err != nil {
		return false, err
	}
	var neg []byte
	if score == 0 && math.Signbit(score) {
		neg = []byte("-")
	}
	return !found, z.tx.SetElem(z.key, &z.m, TagScore, indexSub(member, score), neg)
}

// Insert adds a member known to be absent (a new sorted set being filled by a store command):
// Set without the lookup.
func (z *ZSet) Insert(member []byte, score float64) error {
	z.ensureVersion()
	z.m.Count++
	if len(member) > z.lim.MaxValue || z.m.Count > z.lim.MaxEntries {
		z.m.Flags |= FlagConverted
	}
	if score == 0 && z.Listpack() {
		score = 0
	}
	if err := z.tx.SetElem(z.key, &z.m, TagElem, member, scoreValue(score)); err != nil {
		return err
	}
	var neg []byte
	if score == 0 && math.Signbit(score) {
		neg = []byte("-")
	}
	return z.tx.SetElem(z.key, &z.m, TagScore, indexSub(member, score), neg)
}

// Remove deletes member and reports whether it was there.
func (z *ZSet) Remove(member []byte) (bool, error) {
	score, found, err := z.Score(member)
	if err != nil || !found {
		return false, err
	}
	return true, z.removeAt(member, score)
}

func (z *ZSet) removeAt(member []byte, score float64) error {
	z.m.Count--
	if err := z.tx.DelElem(z.key, &z.m, TagElem, member); err != nil {
		return err
	}
	return z.tx.DelElem(z.key, &z.m, TagScore, indexSub(member, score))
}

// Save writes the metadata, or deletes the key when the sorted set is empty (Redis keeps no
// empty collections).
func (z *ZSet) Save() error {
	if z.m.Count == 0 {
		if z.exists {
			_, err := z.tx.Delete(z.key)
			z.exists = false
			return err
		}
		return nil
	}
	z.ensureVersion()
	m := z.m
	z.exists = true
	return z.tx.Put(z.key, &m)
}

// PresetEncoding fixes, before a new sorted set is filled, the encoding Redis gives a result
// built whole by a store command (zsetConvertToListpackIfNeeded): a listpack when count members
// of at most maxMemberLen bytes fit the limits.
func (z *ZSet) PresetEncoding(count int64, maxMemberLen int) {
	if count <= z.lim.MaxEntries && maxMemberLen <= z.lim.MaxValue {
		z.m.Flags &^= FlagConverted
	} else {
		z.m.Flags |= FlagConverted
	}
}

// MarkConverted makes the sorted set skiplist-encoded (a ZADD that creates it with a member
// already too long for a listpack).
func (z *ZSet) MarkConverted() { z.m.Flags |= FlagConverted }

// ZIter walks a sorted set in score order (ties by member).
type ZIter struct {
	it *ElemIter
}

// Iter opens an iterator over the score index. Close it before the transaction ends.
func (z *ZSet) Iter() (*ZIter, error) {
	if z.m.Version == 0 {
		z.ensureVersion() // empty: any version iterates nothing
	}
	it, err := z.tx.Iter(z.key, &z.m, TagScore, IterBounds{})
	if err != nil {
		return nil, err
	}
	return &ZIter{it: it}, nil
}

func (i *ZIter) First() bool { return i.it.First() }
func (i *ZIter) Last() bool  { return i.it.Last() }
func (i *ZIter) Next() bool  { return i.it.Next() }
func (i *ZIter) Prev() bool  { return i.it.Prev() }
func (i *ZIter) Valid() bool { return i.it.Valid() && len(i.it.Sub()) >= 8 }

// Step moves forward (or backward when rev).
func (i *ZIter) Step(rev bool) bool {
	if rev {
		return i.it.Prev()
	}
	return i.it.Next()
}

// Start positions at the first entry in the direction (the last one when rev).
func (i *ZIter) Start(rev bool) bool {
	if rev {
		return i.it.Last()
	}
	return i.it.First()
}

// SeekScore positions at the first entry with a score >= s (excl: > s).
func (i *ZIter) SeekScore(s float64, excl bool) bool {
	if !excl {
		return i.it.SeekGE(scoreSub(s))
	}
	if s == math.Inf(1) {
		i.it.Last()
		return i.it.Next()
	}
	// Every member at score s sorts before the next representable score.
	n := math.Nextafter(s, math.Inf(1))
	if s == 0 {
		n = math.SmallestNonzeroFloat64
	}
	return i.it.SeekGE(scoreSub(n))
}

// SeekScoreRev positions at the last entry with a score <= s (excl: < s).
func (i *ZIter) SeekScoreRev(s float64, excl bool) bool {
	if excl {
		return i.it.SeekLT(scoreSub(s))
	}
	if s == math.Inf(1) {
		return i.it.Last()
	}
	n := math.Nextafter(s, math.Inf(1))
	if s == 0 {
		n = math.SmallestNonzeroFloat64
	}
	return i.it.SeekLT(scoreSub(n))
}

// SeekMember positions at member with score (it must be present) or the entry after it.
func (i *ZIter) SeekMember(member []byte, score float64) bool {
	return i.it.SeekGE(indexSub(member, score))
}

// Member is the current member (valid until the next move).
func (i *ZIter) Member() []byte { return i.it.Sub()[8:] }

// Score is the current score.
func (i *ZIter) Score() float64 {
	s := DecodeScore(i.it.Sub()[:8])
	if s == 0 && len(i.it.Value()) > 0 {
		return math.Copysign(0, -1)
	}
	return s
}

func (i *ZIter) Error() error { return i.it.Error() }
func (i *ZIter) Close() error { return i.it.Close() }

// Seek positions it at rank r (0-based from the lowest score; 0 <= r < Len), walking from the
// nearer end of the index.
func (z *ZSet) seekRank(it *ZIter, r int64) bool {
	n := z.m.Count
	if r < 0 || r >= n {
		return false
	}
	if r <= (n-1)/2 {
		ok := it.First()
		for j := int64(0); ok && j < r; j++ {
			ok = it.Next()
		}
		return ok
	}
	ok := it.Last()
	for j := n - 1; ok && j > r; j-- {
		ok = it.Prev()
	}
	return ok
}

// RangeByRank calls fn for ranks start..stop (0-based, inclusive, 0 <= start <= stop < Len),
// counted from the highest score when rev, in that order. member is valid during the call;
// fn returns false to stop.
func (z *ZSet) RangeByRank(start, stop int64, rev bool, fn func(member []byte, score float64) bool) error {
	if z.m.Count == 0 || start > stop || start < 0 {
		return nil
	}
	stop = min(stop, z.m.Count-1)
	it, err := z.Iter()
	if err != nil {
		return err
	}
	pos := start
	if rev {
		pos = z.m.Count - 1 - start
	}
	ok := z.seekRank(it, pos)
	for j := start; ok && j <= stop; j++ {
		if !fn(it.Member(), it.Score()) {
			break
		}
		ok = it.Step(rev)
	}
	return errors.Join(it.Error(), it.Close())
}

// Rank returns member's 0-based rank (from the highest score when rev) and score.
func (z *ZSet) Rank(member []byte, rev bool) (int64, float64, bool, error) {
	score, found, err := z.Score(member)
	if err != nil || !found {
		return 0, 0, false, err
	}
	target := indexSub(member, score)
	fwd, err := z.Iter()
	if err != nil {
		return 0, 0, false, err
	}
	defer fwd.Close()
	back, err := z.Iter()
	if err != nil {
		return 0, 0, false, err
	}
	defer back.Close()
	// Walk from both ends at once: min(rank, Count-rank) steps on each iterator.
	okF, okB := fwd.First(), back.Last()
	var rank int64 = -1
	for steps := int64(0); steps < z.m.Count && (okF || okB); steps++ {
		if okF && bytes.Equal(fwd.it.Sub(), target) {
			rank = steps
			break
		}
		if okB && bytes.Equal(back.it.Sub(), target) {
			rank = z.m.Count - 1 - steps
			break
		}
		okF, okB = fwd.Next(), back.Prev()
	}
	if err := errors.Join(fwd.Error(), back.Error()); err != nil {
		return 0, 0, false, err
	}
	if rank < 0 {
		return 0, 0, false, ErrCorruptZSet
	}
	if rev {
		rank = z.m.Count - 1 - rank
	}
	return rank, score, true, nil
}

// ScoreRange is a score interval (zrangespec).
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// Empty reports ranges that can hold nothing.
func (r ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

func (r ScoreRange) gteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

func (r ScoreRange) lteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Contains reports whether v is in the range.
func (r ScoreRange) Contains(v float64) bool { return r.gteMin(v) && r.lteMax(v) }

// RangeByScore calls fn for the members with scores in r, in ascending order (descending when
// rev), skipping the first offset of them; fn returns false to stop.
func (z *ZSet) RangeByScore(r ScoreRange, rev bool, offset int64, fn func(member []byte, score float64) bool) error {
	if z.m.Count == 0 || r.Empty() {
		return nil
	}
	it, err := z.Iter()
	if err != nil {
		return err
	}
	var ok bool
	if rev {
		ok = it.SeekScoreRev(r.Max, r.MaxEx)
	} else {
		ok = it.SeekScore(r.Min, r.MinEx)
	}
	for ; ok; ok = it.Step(rev) {
		s := it.Score()
		if (!rev && !r.lteMax(s)) || (rev && !r.gteMin(s)) {
			break
		}
		if offset > 0 {
			offset--
			continue
		}
		if !fn(it.Member(), s) {
			break
		}
	}
	return errors.Join(it.Error(), it.Close())
}

// CountScore counts the members with scores in r.
func (z *ZSet) CountScore(r ScoreRange) (int64, error) {
	var n int64
	err := z.RangeByScore(r, false, 0, func([]byte, float64) bool { n++; return true })
	return n, err
}

// LexBound is one end of a lex range: "-" (Inf -1), "+" (Inf 1), "[value" or "(value".
type LexBound struct {
	Value []byte
	Excl  bool
	Inf   int
}

// LexRange is a member interval (zlexrangespec).
type LexRange struct{ Min, Max LexBound }

// cmpLex orders a bound against a member (sdscmplex): -inf < everything < +inf.
func cmpLex(b LexBound, member []byte) int {
	if b.Inf != 0 {
		return b.Inf
	}
	return bytes.Compare(b.Value, member)
}

func (r LexRange) gteMin(m []byte) bool {
	c := cmpLex(r.Min, m)
	if r.Min.Excl {
		return c < 0
	}
	return c <= 0
}

func (r LexRange) lteMax(m []byte) bool {
	c := cmpLex(r.Max, m)
	if r.Max.Excl {
		return c > 0
	}
	return c >= 0
}

// Empty reports ranges that can hold nothing (zslLexIsInRange's first test).
func (r LexRange) Empty() bool {
	if r.Min.Inf != 0 || r.Max.Inf != 0 {
		return r.Min.Inf == 1 || r.Max.Inf == -1
	}
	c := bytes.Compare(r.Min.Value, r.Max.Value)
	return c > 0 || (c == 0 && (r.Min.Excl || r.Max.Excl))
}

// RangeByLex calls fn for the members in r, ascending (descending when rev), skipping the first
// offset. Lex ranges mean something only when all scores are equal; then the range is a seek.
// Otherwise Redis's listpack walk is reproduced: from the start (end when rev) to the first
// member in range, then on while members stay in range.
func (z *ZSet) RangeByLex(r LexRange, rev bool, offset int64, fn func(member []byte, score float64) bool) error {
	if z.m.Count == 0 || r.Empty() {
		return nil
	}
	it, err := z.Iter()
	if err != nil {
		return err
	}
	defer it.Close()
	// zslIsInLexRange: the last member must be >= min and the first <= max.
	if !it.Last() || !r.gteMin(it.Member()) {
		return it.Error()
	}
	lastScore := it.Score()
	if !it.First() || !r.lteMax(it.Member()) {
		return it.Error()
	}
	same := it.Score() == lastScore
	var ok bool
	switch {
	case same && !rev && r.Min.Inf == 0:
		ok = it.SeekMember(r.Min.Value, lastScore)
	case same && rev && r.Max.Inf == 0:
		// Just past every member <= max.
		ok = it.SeekMember(r.Max.Value, lastScore)
		if !ok {
			ok = it.Last()
		} else if cmpLex(LexBound{Value: r.Max.Value}, it.Member()) < 0 {
			ok = it.Prev()
		}
	default:
		ok = it.Start(rev)
	}
	// Skip to the first member in range in the walk's direction.
	for ; ok; ok = it.Step(rev) {
		m := it.Member()
		if (!rev && r.gteMin(m)) || (rev && r.lteMax(m)) {
			break
		}
	}
	for ; ok; ok = it.Step(rev) {
		m := it.Member()
		if (!rev && !r.lteMax(m)) || (rev && !r.gteMin(m)) {
			break
		}
		if offset > 0 {
			offset--
			continue
		}
		if !fn(m, it.Score()) {
			break
		}
	}
	return it.Error()
}

// CountLex counts the members in r.
func (z *ZSet) CountLex(r LexRange) (int64, error) {
	var n int64
	err := z.RangeByLex(r, false, 0, func([]byte, float64) bool { n++; return true })
	return n, err
}

// ZMember is a member and its score (copies).
type ZMember struct {
	Member []byte
	Score  float64
}

// collect gathers members from a range walk, at most limit (< 0: all).
func collect(limit int64, walk func(fn func([]byte, float64) bool) error) ([]ZMember, error) {
	var out []ZMember
	err := walk(func(m []byte, s float64) bool {
		if limit >= 0 && int64(len(out)) >= limit {
			return false
		}
		out = append(out, ZMember{append([]byte(nil), m...), s})
		return true
	})
	return out, err
}

// removeAll deletes the given members (they must be present with those scores).
func (z *ZSet) removeAll(ms []ZMember) error {
	for _, e := range ms {
		if err := z.removeAt(e.Member, e.Score); err != nil {
			return err
		}
	}
	return nil
}

// removeBatch bounds how many members a range removal holds in memory at once.
const removeBatch = 1024

// removeWalk removes what walk yields, in batches (each walk starts afresh after a batch).
func (z *ZSet) removeWalk(walk func(fn func([]byte, float64) bool) error) (int64, error) {
	var total int64
	for {
		ms, err := collect(removeBatch, walk)
		if err != nil {
			return total, err
		}
		if err := z.removeAll(ms); err != nil {
			return total, err
		}
		total += int64(len(ms))
		if len(ms) < removeBatch {
			return total, nil
		}
	}
}

// RemoveRangeByScore deletes the members with scores in r and returns how many.
func (z *ZSet) RemoveRangeByScore(r ScoreRange) (int64, error) {
	return z.removeWalk(func(fn func([]byte, float64) bool) error {
		return z.RangeByScore(r, false, 0, fn)
	})
}

// RemoveRangeByLex deletes the members in r and returns how many.
func (z *ZSet) RemoveRangeByLex(r LexRange) (int64, error) {
	return z.removeWalk(func(fn func([]byte, float64) bool) error {
		return z.RangeByLex(r, false, 0, fn)
	})
}

// RemoveRangeByRank deletes ranks start..stop (0-based, inclusive, normalised) and returns
// how many.
func (z *ZSet) RemoveRangeByRank(start, stop int64) (int64, error) {
	n := stop - start + 1
	if n <= 0 {
		return 0, nil
	}
	var total int64
	for total < n {
		// After each batch the next ranks to delete start at start again.
		ms, err := collect(min(removeBatch, n-total), func(fn func([]byte, float64) bool) error {
			return z.RangeByRank(start, start+n-total-1, false, fn)
		})
		if err != nil {
			return total, err
		}
		if len(ms) == 0 {
			break
		}
		if err := z.removeAll(ms); err != nil {
			return total, err
		}
		total += int64(len(ms))
	}
	return total, nil
}

// Pop removes and returns up to count members with the lowest scores (the highest when max).
func (z *ZSet) Pop(count int64, max bool) ([]ZMember, error) {
	if count <= 0 || z.m.Count == 0 {
		return nil, nil
	}
	count = min(count, z.m.Count)
	ms, err := collect(count, func(fn func([]byte, float64) bool) error {
		return z.RangeByRank(0, count-1, max, fn)
	})
	if err != nil {
		return nil, err
	}
	return ms, z.removeAll(ms)
}

// Each calls fn for every member in score order.
func (z *ZSet) Each(fn func(member []byte, score float64) bool) error {
	if z.m.Count == 0 {
		return nil
	}
	return z.RangeByRank(0, z.m.Count-1, false, fn)
}

// EachFrom calls fn for every member >= from in member byte order (ZSCAN's cursor order) with
// its score.
func (z *ZSet) EachFrom(from []byte, fn func(member []byte, score float64) bool) error {
	if z.m.Count == 0 {
		return nil
	}
	it, err := z.tx.Iter(z.key, &z.m, TagElem, IterBounds{Lower: from})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if len(v) != 8 {
			it.Close()
			return ErrCorruptZSet
		}
		if !fn(it.Sub(), math.Float64frombits(binary.BigEndian.Uint64(v))) {
			break
		}
	}
	return errors.Join(it.Error(), it.Close())
}

// Random returns n members picked at random: distinct ones (all, shuffled, when n >= Len) or
// n independent picks.
func (z *ZSet) Random(n int, distinct bool, rnd *rand.Rand) ([]ZMember, error) {
	if z.m.Count == 0 || n <= 0 {
		return nil, nil
	}
	es, err := z.tx.SampleElems(z.key, &z.m, n, distinct, rnd)
	if err != nil {
		return nil, err
	}
	out := make([]ZMember, len(es))
	for i, e := range es {
		if len(e.Value) != 8 {
			return nil, ErrCorruptZSet
		}
		out[i] = ZMember{e.Sub, math.Float64frombits(binary.BigEndian.Uint64(e.Value))}
	}
	return out, nil
}
