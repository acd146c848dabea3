package server

import (
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// Stream commands (t_stream.c, Redis 7.0.15). The engine keeps the stream (engine/stream.go);
// these handlers parse, check in Redis's order, and reply. Replies are built in a side
// writer inside the transaction and sent once it committed.

func init() {
	register("xadd", cmdXadd)
	register("xlen", cmdXlen)
	register("xrange", func(c *Client, a [][]byte) { xrangeGeneric(c, a, false) })
	register("xrevrange", func(c *Client, a [][]byte) { xrangeGeneric(c, a, true) })
	register("xdel", cmdXdel)
	register("xtrim", cmdXtrim)
	register("xsetid", cmdXsetid)
	register("xack", cmdXack)
	register("xpending", cmdXpending)
	register("xclaim", cmdXclaim)
	register("xautoclaim", cmdXautoclaim)
}

const errNoKeyStream = errNoSuchKey

// streamTx runs fn over key's stream in a write transaction and sends the reply fn built.
// fn gets nil when the key is missing; a key of another type is a WRONGTYPE error.
func (c *Client) streamTx(keys [][]byte, fn func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error) {
	w := &resp.Writer{Proto: c.w.Proto}
	ok := c.update(keys, func(tx *engine.Tx) error {
		w.Buf = w.Buf[:0]
		s, err := openStream(tx, keys[0])
		if err != nil {
			return err
		}
		return fn(tx, s, w)
	})
	if ok {
		c.w.Raw(w.Buf)
	}
}

// streamView is streamTx for reads.
func (c *Client) streamView(key []byte, fn func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error) {
	w := &resp.Writer{Proto: c.w.Proto}
	err := c.s.eng.View(c.db, [][]byte{key}, func(tx *engine.Tx) error {
		s, err := openStream(tx, key)
		if err != nil {
			return err
		}
		return fn(tx, s, w)
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Raw(w.Buf)
}

func openStream(tx *engine.Tx, key []byte) (*engine.Stream, error) {
	m, err := tx.Get(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != engine.TypeStream {
		return nil, replyError(errWrongType)
	}
	return tx.OpenStream(key, m)
}

func writeID(w *resp.Writer, id engine.StreamID) {
	var buf [48]byte
	w.Bulk(id.Append(buf[:0]))
}

// writeEntry writes [id, [field, value, ...]] (a nil field list as a null array).
func writeEntry(w *resp.Writer, id engine.StreamID, fv [][]byte) {
	w.Array(2)
	writeID(w, id)
	if fv == nil {
		w.NullArray()
		return
	}
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
}

// writeRange writes the entries of [start, end] as an array.
func writeRange(w *resp.Writer, s *engine.Stream, start, end engine.StreamID, rev bool, count int64) error {
	body := resp.Writer{Proto: w.Proto}
	n, err := s.Range(start, end, rev, count, func(id engine.StreamID, fv [][]byte) error {
		writeEntry(&body, id, fv)
		return nil
	})
	if err != nil {
		return err
	}
	w.Array(int(n))
	w.Raw(body.Buf)
	return nil
}

func cmdXadd(c *Client, args [][]byte) {
	var a addTrimArgs
	idPos := c.parseAddTrimArgs(args, true, &a)
	if idPos < 0 {
		return
	}
	fieldPos := idPos + 1
	if n := len(args) - fieldPos; n < 2 || n%2 == 1 {
		c.w.Error("ERR wrong number of arguments for 'xadd' command")
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.w.Error("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	fv := args[fieldPos:]
	var tot int
	for _, b := range fv {
		tot += len(b)
	}
	lim := c.streamLimits()
	key := args[1]
	c.streamTx([][]byte{key}, func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		if s == nil {
			if a.noMkstream {
				w.Null()
				return nil
			}
			s = tx.NewStream(key)
		}
		if s.H.Last == engine.MaxStreamID {
			return replyError("ERR The stream has exhausted the last possible ID, unable to add more items")
		}
		var id engine.StreamID
		ok := true
		switch {
		case !a.idGiven:
			id, ok = s.NextID(uint64(time.Now().UnixMilli()))
		case a.seqGiven:
			id = a.id
		case s.H.Last.Ms == a.id.Ms:
			id, ok = s.H.Last.Incr()
			ok = ok && id.Ms == a.id.Ms
		default:
			id = a.id
		}
		if !ok || !s.H.Last.Less(id) {
			return replyError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
		}
		if tot > 1<<30 {
			return replyError("ERR Elements are too large to be stored")
		}
		if err := s.Add(id, fv, lim); err != nil {
			return err
		}
		trimmed, err := s.Trim(a.TrimArgs)
		if err != nil {
			return err
		}
		propagateXadd(tx, key, id, fv, trimmed, s.Len) // propagate.go
		writeID(w, id)
		return s.Save()
	})
}

func cmdXlen(c *Client, args [][]byte) {
	m, ok := c.lookup(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Int(0)
		return
	}
	if m.Type != engine.TypeStream {
		c.w.Error(errWrongType)
		return
	}
	c.w.Int(m.Count)
}

func xrangeGeneric(c *Client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, end, ok := c.parseRange(startArg, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if eqFold(args[j], "count") && j+1 < len(args) {
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			count = max(n, 0)
			j++
		} else {
			c.w.Error(errSyntax)
			return
		}
	}
	c.streamView(args[1], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		switch {
		case s == nil:
			w.Array(0)
		case count == 0:
			w.NullArray()
		default:
			return writeRange(w, s, start, end, rev, max(count, 0))
		}
		return nil
	})
}

func cmdXdel(c *Client, args [][]byte) {
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		if s == nil {
			w.Int(0)
			return nil
		}
		ids := make([]engine.StreamID, 0, len(args)-2)
		for _, a := range args[2:] {
			id, ok := strictID(a)
			if !ok {
				return replyError(errInvalidStreamID)
			}
			ids = append(ids, id)
		}
		var n int64
		for _, id := range ids {
			ok, err := s.Delete(id)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		w.Int(n)
		return s.Save()
	})
}

func cmdXtrim(c *Client, args [][]byte) {
	var a addTrimArgs
	if c.parseAddTrimArgs(args, false, &a) < 0 {
		return
	}
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		if s == nil {
			w.Int(0)
			return nil
		}
		n, err := s.Trim(a.TrimArgs)
		if err != nil {
			return err
		}
		w.Int(n)
		return s.Save()
	})
}

func cmdXsetid(c *Client, args [][]byte) {
	id, ok := strictID(args[2])
	if !ok {
		c.w.Error(errInvalidStreamID)
		return
	}
	entriesAdded := int64(-1)
	var maxDel engine.StreamID
	for i := 3; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "entriesadded") && more:
			n, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.w.Error("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
		case eqFold(args[i], "maxdeletedid") && more:
			if maxDel, ok = strictID(args[i+1]); !ok {
				c.w.Error(errInvalidStreamID)
				return
			}
			if id.Less(maxDel) {
				c.w.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		if s == nil {
			return replyError(errNoKeyStream)
		}
		if s.Len > 0 {
			top, err := s.LastLiveID()
			if err != nil {
				return err
			}
			if id.Less(top) {
				return replyError("ERR The ID specified in XSETID is smaller than the target stream top item")
			}
			if entriesAdded != -1 && s.Len > entriesAdded {
				return replyError("ERR The entries_added specified in XSETID is smaller than the target stream length")
			}
		}
		s.H.Last = id
		if entriesAdded != -1 {
			s.H.EntriesAdded = uint64(entriesAdded)
		}
		if !maxDel.IsZero() {
			s.H.MaxDeleted = maxDel
		}
		s.Touch()
		w.OK()
		return s.Save()
	})
}
