package server

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Set commands (t_set.c). The set itself lives in engine/set.go: intsets are read in numeric
// order as Redis does; hashtable sets in member order (Redis's is not reproducible).
//
// Set algebra streams the sources in member (byte) order, merging or probing, so memory holds
// the result, not the inputs. A result Redis would build as an intset (all integers, at most
// set-max-intset-entries) is replied in numeric order, as Redis iterates it.

func init() {
	register("sadd", cmdSadd)
	register("srem", cmdSrem)
	register("sismember", cmdSismember)
	register("smismember", cmdSmismember)
	register("smembers", func(c *Client, a [][]byte) { sinterGeneric(c, a[1:], nil, false, 0) })
	register("scard", cmdScard)
	register("spop", cmdSpop)
	register("srandmember", cmdSrandmember)
	register("smove", cmdSmove)
	register("sinter", func(c *Client, a [][]byte) { sinterGeneric(c, a[1:], nil, false, 0) })
	register("sinterstore", func(c *Client, a [][]byte) { sinterGeneric(c, a[2:], a[1], false, 0) })
	register("sintercard", cmdSintercard)
	register("sunion", func(c *Client, a [][]byte) { sunionDiffGeneric(c, a[1:], nil, setUnion) })
	register("sunionstore", func(c *Client, a [][]byte) { sunionDiffGeneric(c, a[2:], a[1], setUnion) })
	register("sdiff", func(c *Client, a [][]byte) { sunionDiffGeneric(c, a[1:], nil, setDiff) })
	register("sdiffstore", func(c *Client, a [][]byte) { sunionDiffGeneric(c, a[2:], a[1], setDiff) })
	register("sscan", cmdSscan)
	registerValueHooks(engine.TypeSet, valueHooks{
		encoding: func(_ *engine.Engine, _ int, _ []byte, m *engine.Meta) (string, error) {
			if m.Flags&engine.FlagConverted != 0 {
				return "hashtable", nil
			}
			return "intset", nil
		},
		digest: func(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error {
			return e.View(db, [][]byte{key}, func(tx *engine.Tx) error {
				return tx.OpenSet(key, m, engine.DefaultSetLimits).Each(func(member []byte) bool {
					d.digestSetMember(member)
					return true
				})
			})
		},
	})
}

// setLimits is the live set-max-intset-entries setting.
func (c *Client) setLimits() engine.SetLimits {
	lim := engine.DefaultSetLimits
	if n, err := strconv.ParseInt(c.configValue("set-max-intset-entries"), 10, 64); err == nil {
		lim.MaxIntset = n
	}
	return lim
}

// openSet opens key's set in tx: nil (no error) when missing unless create, WRONGTYPE when the
// key holds another type.
func openSet(tx *engine.Tx, key []byte, lim engine.SetLimits, create bool) (*engine.Set, error) {
	m, err := typedMeta(tx, key, engine.TypeSet)
	if err != nil || (m == nil && !create) {
		return nil, err
	}
	return tx.OpenSet(key, m, lim), nil
}

func (c *Client) readSet(key []byte, fn func(s *engine.Set) error) bool {
	return c.viewKeys([][]byte{key}, func(tx *engine.Tx) error {
		s, err := openSet(tx, key, engine.DefaultSetLimits, false)
		if err != nil {
			return err
		}
		return fn(s)
	})
}

func cmdSadd(c *Client, args [][]byte) {
	lim := c.setLimits()
	var added int64
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		s, err := openSet(tx, args[1], lim, true)
		if err != nil {
			return err
		}
		for _, m := range args[2:] {
			n, err := s.Add(m)
			if err != nil {
				return err
			}
			added += int64(b2i(n))
		}
		if added == 0 {
			return nil
		}
		return s.Save()
	})
	if ok {
		c.w.Int(added)
	}
}

func cmdSrem(c *Client, args [][]byte) {
	var n int64
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		s, err := openSet(tx, args[1], engine.DefaultSetLimits, false)
		if err != nil || s == nil {
			return err
		}
		n, err = removeElems(s, args[2:], s.Rem)
		return err
	})
	if ok {
		c.w.Int(n)
	}
}

func cmdSismember(c *Client, args [][]byte) {
	var found bool
	ok := c.readSet(args[1], func(s *engine.Set) (err error) {
		if s != nil {
			found, err = s.IsMember(args[2])
		}
		return err
	})
	if ok {
		c.w.Int(int64(b2i(found)))
	}
}

func cmdSmismember(c *Client, args [][]byte) {
	found := make([]bool, len(args)-2)
	ok := c.readSet(args[1], func(s *engine.Set) error {
		if s == nil {
			return nil
		}
		for i, m := range args[2:] {
			ok, err := s.IsMember(m)
			if err != nil {
				return err
			}
			found[i] = ok
		}
		return nil
	})
	if !ok {
		return
	}
	c.w.Array(len(found))
	for _, f := range found {
		c.w.Int(int64(b2i(f)))
	}
}

func cmdScard(c *Client, args [][]byte) { c.replyLen(args[1], engine.TypeSet) }

// writeMembers writes members as a set reply (RESP3 "~") or an array.
func (c *Client) writeMembers(ms [][]byte, asSet bool) {
	if asSet {
		c.w.Set(len(ms))
	} else {
		c.w.Array(len(ms))
	}
	for _, m := range ms {
		c.w.Bulk(m)
	}
}

// cmdSpop is SPOP key [count] (spopWithCountCommand's three cases).
func cmdSpop(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	withCount := len(args) == 3
	var count int64
	if withCount {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.w.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	lim := c.setLimits()
	var popped [][]byte
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		s, err := openSet(tx, args[1], lim, false)
		if err != nil {
			return err
		}
		if s == nil {
			return nil
		}
		if !withCount {
			ms, err := s.Sample(1, true, newRand())
			if err != nil || len(ms) == 0 {
				return err
			}
			popped = ms
			if _, err := s.Rem(ms[0]); err != nil {
				return err
			}
			propagateSrem(tx, args[1], ms) // propagate.go
			return s.Save()
		}
		if count == 0 {
			return nil
		}
		size := s.Len()
		switch {
		case count >= size: // the whole set, in its order
			if popped, err = s.Members(); err != nil {
				return err
			}
			redisOrder(popped, lim) // Redis replies a union of the one set: a fresh set's order
			propagateDel(tx, args[1])
			_, err = tx.Delete(args[1])
			return err
		case (size-count)*5 > count: // a few: pick and remove them
			if count > maxRandomCount {
				return replyError(errRandomTooBig)
			}
			if popped, err = s.Sample(int(count), true, newRand()); err != nil {
				return err
			}
			for _, m := range popped {
				if _, err := s.Rem(m); err != nil {
					return err
				}
			}
			propagateSrem(tx, args[1], popped)
			return s.Save()
		default:
			// Most of it: pick the few that stay, pop the rest in the set's order. Redis builds a
			// new set of the survivors, so its encoding starts afresh from their content.
			keep, err := s.Sample(int(size-count), true, newRand())
			if err != nil {
				return err
			}
			slices.SortFunc(keep, bytes.Compare)
			all, err := s.Members()
			if err != nil {
				return err
			}
			allInt := true
			for _, m := range all {
				if _, stays := slices.BinarySearchFunc(keep, m, bytes.Compare); stays {
					allInt = allInt && engine.IsInteger(m)
					continue
				}
				popped = append(popped, m)
				if _, err := s.Rem(m); err != nil {
					return err
				}
			}
			s.Recode(allInt)
			propagateSrem(tx, args[1], popped)
			return s.Save()
		}
	})
	if !ok {
		return
	}
	switch {
	case !withCount && len(popped) == 0:
		c.w.Null()
	case !withCount:
		c.w.Bulk(popped[0])
	default: // a missing key too: an empty set
		c.writeMembers(popped, true)
	}
}

// cmdSrandmember is SRANDMEMBER key [count].
func cmdSrandmember(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	if len(args) == 2 {
		var m []byte
		found := false
		ok := c.readSet(args[1], func(s *engine.Set) error {
			if s == nil {
				return nil
			}
			ms, err := s.Sample(1, true, newRand())
			if len(ms) == 1 {
				m, found = ms[0], true
			}
			return err
		})
		if ok {
			c.bulkOrNull(m, found)
		}
		return
	}
	l, ok := c.parseRandCount(args[2])
	if !ok {
		return
	}
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	var out [][]byte
	ok = c.readSet(args[1], func(s *engine.Set) (err error) {
		if s == nil || count == 0 {
			return nil
		}
		if uniq && count >= s.Len() {
			out, err = s.Members()
			return err
		}
		if count > maxRandomCount {
			return replyError(errRandomTooBig)
		}
		out, err = s.Sample(int(count), uniq, newRand())
		return err
	})
	if ok {
		c.writeMembers(out, false)
	}
}

func cmdSmove(c *Client, args [][]byte) {
	src, dst, member := args[1], args[2], args[3]
	lim := c.setLimits()
	var moved bool
	ok := c.update([][]byte{src, dst}, func(tx *engine.Tx) error {
		s, err := openSet(tx, src, lim, false)
		if err != nil || s == nil {
			return err
		}
		dm, err := tx.Get(dst)
		if err != nil {
			return err
		}
		if dm != nil && dm.Type != engine.TypeSet {
			return replyError(errWrongType)
		}
		if bytes.Equal(src, dst) {
			moved, err = s.IsMember(member)
			return err
		}
		if moved, err = s.Rem(member); err != nil || !moved {
			return err
		}
		if err := s.Save(); err != nil {
			return err
		}
		d := tx.OpenSet(dst, dm, lim)
		if _, err := d.Add(member); err != nil {
			return err
		}
		return d.Save()
	})
	if ok {
		c.w.Int(int64(b2i(moved)))
	}
}

// setSource is one input of the set algebra: its metadata (nil: missing, an empty set).
type setSource struct {
	key []byte
	m   *engine.Meta
}

// openSources reads every key's metadata, checking all types first as Redis 7.0 does.
func openSources(tx *engine.Tx, keys [][]byte) ([]setSource, error) {
	srcs := make([]setSource, len(keys))
	for i, k := range keys {
		m, err := tx.Get(k)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type != engine.TypeSet {
			return nil, replyError(errWrongType)
		}
		srcs[i] = setSource{k, m}
	}
	return srcs, nil
}

func (s setSource) size() int64 {
	if s.m == nil {
		return 0
	}
	return s.m.Count
}

// isMember probes one setSource.
func srcHasMember(tx *engine.Tx, s setSource, member []byte) (bool, error) {
	if s.m == nil {
		return false, nil
	}
	_, ok, err := tx.GetElem(s.key, s.m, engine.TagElem, member)
	return ok, err
}

// eachMember walks a setSource's members in byte order.
func srcEach(tx *engine.Tx, s setSource, fn func(m []byte) (bool, error)) error {
	if s.m == nil {
		return nil
	}
	it, err := tx.Iter(s.key, s.m, engine.TagElem, engine.IterBounds{})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		more, err := fn(it.Sub())
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	return it.Error()
}

// redisOrder puts a computed result in the order Redis would reply it: numeric when Redis
// holds it as an intset (every member an integer, few enough), else member order.
func redisOrder(ms [][]byte, lim engine.SetLimits) {
	if int64(len(ms)) > lim.MaxIntset {
		return
	}
	nums := make([]int64, len(ms))
	for i, m := range ms {
		if !engine.IsInteger(m) {
			return
		}
		nums[i], _ = strconv.ParseInt(string(m), 10, 64)
	}
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case nums[a] < nums[b]:
			return -1
		case nums[a] > nums[b]:
			return 1
		}
		return 0
	})
	sorted := make([][]byte, len(ms))
	for i, j := range idx {
		sorted[i] = ms[j]
	}
	copy(ms, sorted)
}

// storeResult replaces dst with a set of members (distinct, in byte order), or deletes dst when
// there are none; convert forces the hashtable encoding.
func storeResult(tx *engine.Tx, dst []byte, members [][]byte, lim engine.SetLimits, convert bool) error {
	if _, err := tx.Delete(dst); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	s := tx.OpenSet(dst, nil, lim)
	if convert {
		s.Convert()
	}
	for _, m := range members {
		if err := s.AddNew(m); err != nil {
			return err
		}
	}
	return s.Save()
}

// readOrStore runs a set algebra command's fn: a change of dst and keys when it stores (dst
// set), else a consistent read of keys.
func (c *Client) readOrStore(dst []byte, keys [][]byte, fn func(tx *engine.Tx) error) bool {
	if dst != nil {
		return c.update(append([][]byte{dst}, keys...), fn)
	}
	return c.viewKeys(keys, fn)
}

// writeSetResult replies with a set algebra result: its size when it was stored, else its
// members in the order Redis would list them.
func (c *Client) writeSetResult(out [][]byte, stored bool, lim engine.SetLimits) {
	if stored {
		c.w.Int(int64(len(out)))
		return
	}
	redisOrder(out, lim)
	c.writeMembers(out, true)
}

// sinterGeneric is SINTER, SMEMBERS, SINTERSTORE and SINTERCARD (cardOnly, limit 0 = none).
func sinterGeneric(c *Client, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	lim := c.setLimits()
	var out [][]byte
	var card int64
	run := func(tx *engine.Tx) error {
		srcs, err := openSources(tx, keys)
		if err != nil {
			return err
		}
		for _, s := range srcs {
			if s.m == nil { // an empty set empties the intersection
				if dst != nil {
					_, err := tx.Delete(dst)
					return err
				}
				return nil
			}
		}
		// Smallest first (qsort by cardinality), then probe the others.
		slices.SortStableFunc(srcs, func(a, b setSource) int { return cmp.Compare(a.size(), b.size()) })
		err = srcEach(tx, srcs[0], func(m []byte) (bool, error) {
			for _, s := range srcs[1:] {
				if bytes.Equal(s.key, srcs[0].key) {
					continue
				}
				ok, err := srcHasMember(tx, s, m)
				if err != nil || !ok {
					return err == nil, err
				}
			}
			card++
			if cardOnly {
				return limit == 0 || card < limit, nil
			}
			out = append(out, append([]byte(nil), m...))
			return true, nil
		})
		if err != nil || dst == nil {
			return err
		}
		return storeResult(tx, dst, out, lim, false)
	}
	if !c.readOrStore(dst, keys, run) {
		return
	}
	if cardOnly {
		c.w.Int(card)
		return
	}
	c.writeSetResult(out, dst != nil, lim)
}

// cmdSintercard is SINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdSintercard(c *Client, args [][]byte) {
	numkeys, ok := parseInt(args[1])
	if !ok || numkeys < 1 {
		c.w.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(args)-2) {
		c.w.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(args); i++ {
		if eqFold(args[i], "limit") && i+1 < len(args) {
			i++
			n, ok := parseInt(args[i])
			if !ok || n < 0 {
				c.w.Error("ERR LIMIT can't be negative")
				return
			}
			limit = n
		} else {
			c.w.Error(errSyntax)
			return
		}
	}
	sinterGeneric(c, args[2:2+numkeys], nil, true, limit)
}

const (
	setUnion = iota
	setDiff
)

// sunionDiffGeneric is SUNION, SDIFF and their STORE forms (sunionDiffGenericCommand).
func sunionDiffGeneric(c *Client, keys [][]byte, dst []byte, op int) {
	lim := c.setLimits()
	var out [][]byte
	run := func(tx *engine.Tx) error {
		srcs, err := openSources(tx, keys)
		if err != nil {
			return err
		}
		convert := false
		if op == setUnion {
			out, err = unionOf(tx, srcs)
		} else {
			out, convert, err = diffOf(tx, srcs, lim)
		}
		if err != nil || dst == nil {
			return err
		}
		return storeResult(tx, dst, out, lim, convert)
	}
	if c.readOrStore(dst, keys, run) {
		c.writeSetResult(out, dst != nil, lim)
	}
}

// unionOf merges the sources' sorted member streams.
func unionOf(tx *engine.Tx, srcs []setSource) ([][]byte, error) {
	var its []*engine.ElemIter
	defer func() {
		for _, it := range its {
			it.Close()
		}
	}()
	seen := map[string]bool{}
	for _, s := range srcs {
		if s.m == nil || seen[string(s.key)] {
			continue
		}
		seen[string(s.key)] = true
		it, err := tx.Iter(s.key, s.m, engine.TagElem, engine.IterBounds{})
		if err != nil {
			return nil, err
		}
		its = append(its, it)
		it.First()
	}
	var out [][]byte
	for {
		var low []byte
		for _, it := range its {
			if it.Valid() && (low == nil || bytes.Compare(it.Sub(), low) < 0) {
				low = it.Sub()
			}
		}
		if low == nil {
			break
		}
		low = append([]byte(nil), low...)
		out = append(out, low)
		for _, it := range its {
			if it.Valid() && bytes.Equal(it.Sub(), low) {
				it.Next()
			}
		}
	}
	for _, it := range its {
		if err := it.Error(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diffOf is the first setSource less the others. convert reports that Redis would have built the
// result as a hashtable although it might fit an intset: its second algorithm adds the whole
// first set before removing, and a large or non-integer first set converts the result for good.
func diffOf(tx *engine.Tx, srcs []setSource, lim engine.SetLimits) (out [][]byte, convert bool, err error) {
	first := srcs[0]
	if first.m == nil || first.m.Count == 0 {
		return nil, false, nil
	}
	var one, two int64
	for _, s := range srcs {
		if s.m != nil {
			one += first.size()
			two += s.size()
		}
	}
	algo2 := one/2 > two
	allInt := true
	err = srcEach(tx, first, func(m []byte) (bool, error) {
		allInt = allInt && engine.IsInteger(m)
		for _, s := range srcs[1:] {
			ok, err := srcHasMember(tx, s, m)
			if err != nil || ok {
				return err == nil, err
			}
		}
		out = append(out, append([]byte(nil), m...))
		return true, nil
	})
	convert = algo2 && (!allInt || first.m.Count > lim.MaxIntset)
	return out, convert, err
}

// cmdSscan is SSCAN key cursor [MATCH pattern] [COUNT count].
func cmdSscan(c *Client, args [][]byte) {
	sa, ok := c.parseScanArgs(args)
	if !ok {
		return
	}
	var out [][]byte
	ok = c.readSet(args[1], func(s *engine.Set) error {
		if s == nil {
			return nil
		}
		if err := sa.scanOpts(args); err != nil {
			return err
		}
		add := func(m []byte) bool {
			if sa.match(m) {
				out = append(out, append([]byte(nil), m...))
			}
			return true
		}
		if s.Intset() {
			return s.Each(add)
		}
		return s.EachFrom(resumeFrom(sa.cursor), func(m []byte) bool { return sa.page(m) && add(m) })
	})
	if ok {
		c.writeScanReply(sa.next, out)
	}
}
