package server

import (
	"errors"
	"math"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// List commands (t_list.c, Redis 7.0.15). Elements live in the engine (engine/list.go); the
// blocking forms park on blocking.go's queues.

func init() {
	register("lpush", func(c *Client, a [][]byte) { cmdPush(c, a, true, false) })
	register("rpush", func(c *Client, a [][]byte) { cmdPush(c, a, false, false) })
	register("lpushx", func(c *Client, a [][]byte) { cmdPush(c, a, true, true) })
	register("rpushx", func(c *Client, a [][]byte) { cmdPush(c, a, false, true) })
	register("lpop", func(c *Client, a [][]byte) { cmdPop(c, a, true) })
	register("rpop", func(c *Client, a [][]byte) { cmdPop(c, a, false) })
	register("llen", cmdLLen)
	register("lindex", cmdLIndex)
	register("lset", cmdLSet)
	register("lrange", cmdLRange)
	register("ltrim", cmdLTrim)
	register("linsert", cmdLInsert)
	register("lrem", cmdLRem)
	register("lpos", cmdLPos)
	register("lmove", cmdLMove)
	register("rpoplpush", func(c *Client, a [][]byte) { lmove(c, a[1], a[2], false, true) })
	register("lmpop", func(c *Client, a [][]byte) { cmdLMPop(c, a, 1, false) })
	register("blpop", func(c *Client, a [][]byte) { cmdBPop(c, a, true) })
	register("brpop", func(c *Client, a [][]byte) { cmdBPop(c, a, false) })
	register("blmove", cmdBLMove)
	register("brpoplpush", cmdBRPopLPush)
	register("blmpop", func(c *Client, a [][]byte) { cmdLMPop(c, a, 2, true) })
	registerValueHooks(engine.TypeList, valueHooks{
		encoding: func(*engine.Engine, int, []byte, *engine.Meta) (string, error) {
			return "quicklist", nil // Redis 7.0 has no other list encoding
		},
		memory: listMemory,
		digest: listDigest,
	})
}

// txList reads key in tx as a list: nil when absent, WRONGTYPE when another type.
func txList(tx *engine.Tx, key []byte) (*engine.Meta, error) {
	m, err := tx.Get(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != engine.TypeList {
		return nil, replyError(errWrongType)
	}
	return m, nil
}

// replyStoreError is storeError for a reply that is not c.w (a blocked client's).
func (s *Server) replyStoreError(w *resp.Writer, err error) {
	var re replyError
	if errors.As(err, &re) {
		w.Error(string(re))
		return
	}
	s.log.Warn("store error: " + err.Error())
	w.Error("ERR " + err.Error())
}

// lookupList is lookupKeyRead + checkType: nil, true when absent; false after an error reply.
func (c *Client) lookupList(key []byte) (*engine.Meta, bool) {
	m, ok := c.lookup(key)
	if !ok || m == nil {
		return nil, ok
	}
	if m.Type != engine.TypeList {
		c.w.Error(errWrongType)
		return nil, false
	}
	return m, true
}

// viewList runs fn over list key under a shared lock with its current metadata (nil when it
// vanished since the lookup).
func (c *Client) viewList(key []byte, fn func(tx *engine.Tx, m *engine.Meta) error) bool {
	err := c.s.eng.View(c.db, [][]byte{key}, func(tx *engine.Tx) error {
		tx.SkipTouch() // lookupList was the command's access
		m, err := txList(tx, key)
		if err != nil {
			return err
		}
		return fn(tx, m)
	})
	if err != nil {
		c.storeError(err)
		return false
	}
	return true
}

func cmdPush(c *Client, args [][]byte, left, onlyExisting bool) {
	var n int64
	key := args[1]
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil || (m == nil && onlyExisting) {
			return err
		}
		m, err = tx.ListPush(key, m, left, args[2:]...)
		if err == nil {
			n = m.Count
		}
		return err
	}) {
		return
	}
	c.w.Int(n)
}

// listCountArg is getPositiveLongFromObjectOrReply: msg for both a non-integer and a negative.
func (c *Client) listCountArg(b []byte, msg string) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 {
		c.w.Error(msg)
		return 0, false
	}
	return n, true
}

const errNotPositive = "ERR value is out of range, must be positive"

func cmdPop(c *Client, args [][]byte, left bool) {
	if len(args) > 3 {
		c.w.Error("ERR wrong number of arguments for '" + string(lowerInto(nil, args[0])) + "' command")
		return
	}
	hasCount := len(args) == 3
	var count int64 = 1
	if hasCount {
		var ok bool
		if count, ok = c.listCountArg(args[2], errNotPositive); !ok {
			return
		}
	}
	key := args[1]
	var vals [][]byte
	absent := false
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil {
			return err
		}
		if m == nil {
			absent = true
			return nil
		}
		vals, _, err = tx.ListPop(key, m, left, count)
		return err
	}) {
		return
	}
	switch {
	case absent && hasCount:
		c.w.NullArray()
	case absent:
		c.w.Null()
	case !hasCount:
		c.w.Bulk(vals[0])
	default:
		c.w.Array(len(vals))
		for _, v := range vals {
			c.w.Bulk(v)
		}
	}
}

func cmdLLen(c *Client, args [][]byte) {
	m, ok := c.lookupList(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(m.Count)
}

func cmdLIndex(c *Client, args [][]byte) {
	m, ok := c.lookupList(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Null()
		return
	}
	i, ok := c.intArg(args[2])
	if !ok {
		return
	}
	var v []byte
	var found bool
	if !c.viewList(args[1], func(tx *engine.Tx, m *engine.Meta) error {
		if m == nil {
			return nil
		}
		var err error
		v, found, err = tx.ListIndex(args[1], m, i)
		return err
	}) {
		return
	}
	if !found {
		c.w.Null()
		return
	}
	c.w.Bulk(v)
}

func cmdLSet(c *Client, args [][]byte) {
	key := args[1]
	var i int64
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil {
			return err
		}
		if m == nil {
			return replyError(errNoSuchKey)
		}
		n, ok := parseInt(args[2])
		if !ok {
			return replyError(errNotInt)
		}
		i = n
		ok, err = tx.ListSet(key, m, i, args[3])
		if err == nil && !ok {
			err = replyError("ERR index out of range")
		}
		return err
	}) {
		return
	}
	c.w.OK()
}

func cmdLRange(c *Client, args [][]byte) {
	start, end, ok := c.indexArgs(args[2], args[3])
	if !ok {
		return
	}
	m, ok := c.lookupList(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Array(0)
		return
	}
	mark := len(c.w.Buf)
	err := c.s.eng.View(c.db, [][]byte{args[1]}, func(tx *engine.Tx) error {
		tx.SkipTouch() // lookupList was the command's access
		m, err := txList(tx, args[1])
		if err != nil {
			return err
		}
		var s, e int64
		ok := m != nil
		if ok {
			s, e, ok = indexRange(start, end, m.Count)
		}
		if !ok {
			c.w.Array(0)
			return nil
		}
		c.w.Array(int(e - s + 1))
		return tx.ListRange(args[1], m, s, e, false, func(v []byte) error {
			c.w.Bulk(v)
			return nil
		})
	})
	if err != nil {
		c.w.Buf = c.w.Buf[:mark] // drop what was streamed before the error
		c.storeError(err)
	}
}

func cmdLTrim(c *Client, args [][]byte) {
	start, end, ok := c.indexArgs(args[2], args[3])
	if !ok {
		return
	}
	key := args[1]
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil || m == nil {
			return err
		}
		n := m.Count
		ltrim, rtrim := n, int64(0)
		if s, e, ok := indexRange(start, end, n); ok {
			ltrim, rtrim = s, n-e-1
		}
		_, err = tx.ListTrim(key, m, ltrim, rtrim)
		return err
	}) {
		return
	}
	c.w.OK()
}

func cmdLInsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		c.w.Error(errSyntax)
		return
	}
	key := args[1]
	var n int64
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil || m == nil {
			return err
		}
		n, err = tx.ListInsert(key, m, args[3], args[4], after)
		return err
	}) {
		return
	}
	c.w.Int(n)
}

func cmdLRem(c *Client, args [][]byte) {
	count, ok := c.intArg(args[2])
	if !ok {
		return
	}
	key := args[1]
	var n int64
	if !c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := txList(tx, key)
		if err != nil || m == nil {
			return err
		}
		n, err = tx.ListRem(key, m, count, args[3])
		return err
	}) {
		return
	}
	c.w.Int(n)
}

func cmdLPos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "rank") && more > 0:
			j++
			r, ok := c.intArg(args[j])
			if !ok {
				return
			}
			if r == 0 {
				c.w.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = r
		case eqFold(args[j], "count") && more > 0:
			j++
			n, ok := c.listCountArg(args[j], "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = n
		case eqFold(args[j], "maxlen") && more > 0:
			j++
			n, ok := c.listCountArg(args[j], "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = n
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	fromTail := false
	if rank < 0 {
		rank = -rank // -LONG_MIN stays negative, as in Redis: then every match qualifies
		fromTail = true
	}
	m, ok := c.lookupList(args[1])
	if !ok {
		return
	}
	if m == nil {
		if count != -1 {
			c.w.Array(0)
		} else {
			c.w.Null()
		}
		return
	}
	ele := args[2]
	var found []int64
	match := int64(-1)
	if !c.viewList(args[1], func(tx *engine.Tx, m *engine.Meta) error {
		if m == nil {
			return nil
		}
		var visited, matches int64
		return tx.ListScan(args[1], m, fromTail, func(i int64, v []byte) bool {
			if maxlen != 0 && visited >= maxlen {
				return false
			}
			visited++
			if string(v) != string(ele) {
				return true
			}
			matches++
			if matches < rank {
				return true
			}
			if count == -1 {
				match = i
				return false
			}
			found = append(found, i)
			return count == 0 || matches-rank+1 < count
		})
	}) {
		return
	}
	if count != -1 {
		c.w.Array(len(found))
		for _, i := range found {
			c.w.Int(i)
		}
		return
	}
	if match < 0 {
		c.w.Null()
		return
	}
	c.w.Int(match)
}

// listWhere is getListPositionFromObjectOrReply: LEFT (head) or RIGHT, else a syntax error.
func (c *Client) listWhere(b []byte) (left bool, ok bool) {
	switch {
	case eqFold(b, "left"):
		return true, true
	case eqFold(b, "right"):
		return false, true
	}
	c.w.Error(errSyntax)
	return false, false
}

// moveWheres parses LMOVE/BLMOVE's wherefrom and whereto, or writes the error.
func (c *Client) moveWheres(from, to []byte) (fromLeft, toLeft, ok bool) {
	if fromLeft, ok = c.listWhere(from); ok {
		toLeft, ok = c.listWhere(to)
	}
	return fromLeft, toLeft, ok
}

func cmdLMove(c *Client, args [][]byte) {
	if from, to, ok := c.moveWheres(args[3], args[4]); ok {
		lmove(c, args[1], args[2], from, to)
	}
}

// lmove is LMOVE/RPOPLPUSH: the popped element, or null when src is absent.
func lmove(c *Client, src, dst []byte, fromLeft, toLeft bool) {
	if _, err := lmoveTx(c.s, c.db, &c.w, src, dst, fromLeft, toLeft, false, false); err != nil {
		c.storeError(err)
	}
}

// lmoveTx moves one element and writes the reply to w: the element, or a null for an absent
// source unless waitIfAbsent (a blocking attempt: nothing is written). skipOther takes a
// source of another type as absent (a blocked client being served keeps waiting then). It
// reports whether it answered.
func lmoveTx(s *Server, db int, w *resp.Writer, src, dst []byte, fromLeft, toLeft, waitIfAbsent, skipOther bool) (bool, error) {
	var val []byte
	absent := false
	err := s.eng.Update(db, [][]byte{src, dst}, func(tx *engine.Tx) error {
		m, err := txList(tx, src)
		if err != nil && skipOther && errors.As(err, new(replyError)) {
			m, err = nil, nil
		}
		if err != nil {
			return err
		}
		if m == nil {
			absent = true
			return nil
		}
		if _, err := txList(tx, dst); err != nil {
			return err
		}
		vals, _, err := tx.ListPop(src, m, fromLeft, 1)
		if err != nil {
			return err
		}
		val = vals[0]
		dm, err := tx.Get(dst) // after the pop: src and dst may be the same list
		if err != nil {
			return err
		}
		tx.Propagate([]byte("LMOVE"), src, dst, sideArg(fromLeft), sideArg(toLeft)) // propagate.go
		_, err = tx.ListPush(dst, dm, toLeft, val)
		return err
	})
	if err != nil {
		return false, err
	}
	if absent {
		if !waitIfAbsent {
			w.Null()
		}
		return !waitIfAbsent, nil
	}
	w.Bulk(val)
	return true, nil
}

// popReply pops up to count elements (count < 0: one, answered as [key, element]; else
// [key, [elements...]]) from the first non-empty list of keys and writes the reply to w.
// WRONGTYPE on a key met before it is an error. When skipOther is set (a blocked client
// served for a ready key) a key of another type is passed over instead. It reports whether
// it answered.
func popReply(s *Server, db int, w *resp.Writer, keys [][]byte, left bool, count int64, skipOther bool) bool {
	var key []byte
	var vals [][]byte
	err := s.eng.Update(db, keys, func(tx *engine.Tx) error {
		for _, k := range keys {
			m, err := txList(tx, k)
			if err != nil {
				if skipOther && errors.As(err, new(replyError)) {
					continue
				}
				return err
			}
			if m == nil || m.Count == 0 {
				continue
			}
			vals, _, err = tx.ListPop(k, m, left, max(count, 1))
			key = k
			if err == nil {
				propagatePop(tx, k, left, count, len(vals)) // propagate.go
			}
			return err
		}
		return nil
	})
	if err != nil {
		s.replyStoreError(w, err)
		return true
	}
	if key == nil {
		return false
	}
	w.Array(2)
	w.Bulk(key)
	if count < 0 {
		w.Bulk(vals[0])
		return true
	}
	w.Array(len(vals))
	for _, v := range vals {
		w.Bulk(v)
	}
	return true
}

// mpopArgs parses [LB]MPOP's numkeys key... LEFT|RIGHT [COUNT n] from args[at:].
func (c *Client) mpopArgs(args [][]byte, at int) (keys [][]byte, left bool, count int64, ok bool) {
	const numkeysErr = "ERR numkeys should be greater than 0"
	n, ok := parseInt(args[at])
	if !ok || n < 1 {
		c.w.Error(numkeysErr)
		return nil, false, 0, false
	}
	whereIdx := int64(at) + n + 1
	if whereIdx >= int64(len(args)) || whereIdx < 0 {
		c.w.Error(errSyntax)
		return nil, false, 0, false
	}
	if left, ok = c.listWhere(args[whereIdx]); !ok {
		return nil, false, 0, false
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			v, ok := parseInt(args[j])
			if !ok || v < 1 {
				c.w.Error("ERR count should be greater than 0")
				return nil, false, 0, false
			}
			count = v
		} else {
			c.w.Error(errSyntax)
			return nil, false, 0, false
		}
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : whereIdx], left, count, true
}

func cmdLMPop(c *Client, args [][]byte, at int, blocking bool) {
	keys, left, count, ok := c.mpopArgs(args, at)
	if !ok {
		return
	}
	if !blocking {
		if !popReply(c.s, c.db, &c.w, keys, left, count, false) {
			c.w.NullArray()
		}
		return
	}
	// BLMPOP checks its timeout after the other arguments (lmpopGenericCommand).
	deadline, ok := c.timeoutArg(args[1])
	if !ok {
		return
	}
	s, db := c.s, c.db
	c.block(keys, deadline, func(w *resp.Writer, ready []byte) bool {
		if ready == nil {
			return popReply(s, db, w, keys, left, count, false)
		}
		return popReply(s, db, w, [][]byte{ready}, left, count, true)
	}, nil)
}

func cmdBPop(c *Client, args [][]byte, left bool) {
	deadline, ok := c.timeoutArg(args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	s, db := c.s, c.db
	c.block(keys, deadline, func(w *resp.Writer, ready []byte) bool {
		if ready == nil {
			return popReply(s, db, w, keys, left, -1, false)
		}
		return popReply(s, db, w, [][]byte{ready}, left, -1, true)
	}, nil)
}

func cmdBLMove(c *Client, args [][]byte) {
	from, to, ok := c.moveWheres(args[3], args[4])
	if !ok {
		return
	}
	deadline, ok := c.timeoutArg(args[5])
	if !ok {
		return
	}
	blmove(c, args[1], args[2], from, to, deadline)
}

func cmdBRPopLPush(c *Client, args [][]byte) {
	deadline, ok := c.timeoutArg(args[3])
	if !ok {
		return
	}
	blmove(c, args[1], args[2], false, true, deadline)
}

func blmove(c *Client, src, dst []byte, fromLeft, toLeft bool, deadline int64) {
	if c.denyBlocking() {
		lmove(c, src, dst, fromLeft, toLeft) // an absent source answers a null bulk here
		return
	}
	s, db := c.s, c.db
	c.block([][]byte{src}, deadline, func(w *resp.Writer, ready []byte) bool {
		// The first attempt answers WRONGTYPE for a source of another type; when serving,
		// such a source is passed over. A wrong-type destination unblocks the client with
		// WRONGTYPE, leaving the element (serveClientBlockedOnList).
		served, err := lmoveTx(s, db, w, src, dst, fromLeft, toLeft, true, ready != nil)
		if err != nil {
			s.replyStoreError(w, err)
			return true
		}
		return served
	}, nil)
}

// listMemory is objectComputeSize for a quicklist: the object and the quicklist header, then
// the average of the first samples nodes (node header and listpack allocation) times the
// number of nodes. Nodes are packed as RPUSH packs them (list-max-listpack-size -2: a node
// takes an element while its listpack stays within 8 KiB), which is exact for lists built by
// pushes at the tail and close otherwise; past the sampled nodes the node count is estimated.
func listMemory(e *engine.Engine, db int, key []byte, m *engine.Meta, samples int64) (int64, error) {
	const quicklistSize, nodeSize, nodeLimit, overhead = 40, 40, 8192, 8
	var nodes, elems, sum int64
	lp := int64(0) // bytes of the node being filled; 0 = none
	err := e.View(db, [][]byte{key}, func(tx *engine.Tx) error {
		return tx.ListScan(key, m, false, func(_ int64, v []byte) bool {
			if lp != 0 && lp+int64(len(v))+overhead > nodeLimit {
				sum += nodeSize + jemallocSize(int(lp))
				nodes++
				lp = 0
				if nodes >= samples {
					return false
				}
			}
			if lp == 0 {
				lp = 7 // listpack header and end byte
			}
			lp += listpackEntrySize(v)
			elems++
			return true
		})
	})
	if err != nil {
		return 0, err
	}
	if lp != 0 {
		sum += nodeSize + jemallocSize(int(lp))
		nodes++
	}
	total := nodes
	if elems < m.Count && elems > 0 { // not all scanned: nodes in proportion
		total = (m.Count*nodes + elems - 1) / elems
	}
	if nodes == 0 {
		return robjSize + quicklistSize, nil
	}
	return robjSize + quicklistSize + int64(float64(sum)/float64(nodes)*float64(total)), nil
}

// listpackEntrySize is the bytes an element takes in a listpack: integers in the smallest
// integer encoding, strings with a length prefix, then the back-length.
func listpackEntrySize(v []byte) int64 {
	var n int64
	if i, ok := parseInt(v); ok {
		switch {
		case i >= 0 && i <= 127:
			n = 1
		case i >= -4096 && i <= 4095:
			n = 2
		case i >= math.MinInt16 && i <= math.MaxInt16:
			n = 3
		case i >= -1<<23 && i < 1<<23:
			n = 4
		case i >= math.MinInt32 && i <= math.MaxInt32:
			n = 5
		default:
			n = 9
		}
	} else {
		l := int64(len(v))
		switch {
		case l < 64:
			n = 1 + l
		case l < 4096:
			n = 2 + l
		default:
			n = 5 + l
		}
	}
	switch {
	case n <= 127:
		return n + 1
	case n < 16383:
		return n + 2
	case n < 2097151:
		return n + 3
	case n < 268435455:
		return n + 4
	}
	return n + 5
}

// listDigest folds the elements in list order, as xorObjectDigest does for lists.
func listDigest(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error {
	return e.View(db, [][]byte{key}, func(tx *engine.Tx) error {
		cur, err := tx.Get(key)
		if err != nil || cur == nil {
			cur = m // expired or gone: digest the value as handed to us
		}
		return tx.ListScan(key, cur, false, func(_ int64, v []byte) bool {
			d.digestListElem(v)
			return true
		})
	})
}
