package server

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// XREAD and XREADGROUP (xreadCommand).

func init() {
	register("xread", func(c *Client, a [][]byte) { xreadGeneric(c, a, false) })
	register("xreadgroup", func(c *Client, a [][]byte) { xreadGeneric(c, a, true) })
}

type xreadArgs struct {
	group       bool
	timeout     int64 // ms; -1 without BLOCK, 0 forever
	count       int64
	noack       bool
	groupName   []byte
	consumer    []byte
	keys, idArg [][]byte
	argv        [][]byte // the command as sent, for propagation
}

// greaterID marks ">" (serve new entries) in the resolved IDs.
var greaterID = engine.MaxStreamID

func (c *Client) parseXread(args [][]byte, group bool) (*xreadArgs, bool) {
	a := &xreadArgs{group: group, timeout: -1}
	streamsArg := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		switch o := args[i]; {
		case eqFold(o, "block") && more > 0:
			i++
			t, ok := parseInt(args[i])
			if !ok {
				c.w.Error("ERR timeout is not an integer or out of range")
				return nil, false
			}
			if t < 0 {
				c.w.Error("ERR timeout is negative")
				return nil, false
			}
			a.timeout = t
		case eqFold(o, "count") && more > 0:
			i++
			n, ok := c.intArg(args[i])
			if !ok {
				return nil, false
			}
			a.count = max(n, 0)
		case eqFold(o, "streams") && more > 0:
			streamsArg = i + 1
			n := len(args) - streamsArg
			if n%2 != 0 {
				// 7.0 names XREAD and '$' for XREADGROUP too.
				c.w.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return nil, false
			}
			a.keys, a.idArg = args[streamsArg:streamsArg+n/2], args[streamsArg+n/2:]
			i = len(args)
		case eqFold(o, "group") && more >= 2:
			if !group {
				c.w.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			a.groupName, a.consumer = args[i+1], args[i+2]
			i += 2
		case eqFold(o, "noack"):
			if !group {
				c.w.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			a.noack = true
		default:
			c.w.Error(errSyntax)
			return nil, false
		}
	}
	if streamsArg == 0 {
		c.w.Error(errSyntax)
		return nil, false
	}
	if group && a.groupName == nil {
		c.w.Error("ERR Missing GROUP option for XREADGROUP")
		return nil, false
	}
	return a, true
}

func xreadGeneric(c *Client, args [][]byte, group bool) {
	a, ok := c.parseXread(args, group)
	if !ok {
		return
	}
	a.argv = c.argv
	a = a.clone() // attempts may run on another goroutine after the argument buffer moved on
	s, db := c.s, c.db
	var ids []engine.StreamID // resolved by the first attempt, read by later ones under the waiter's lock
	try := func(w *resp.Writer, ready []byte) bool {
		if ready != nil {
			return xreadServeReady(s, db, w, a, ids, ready)
		}
		out := resp.Writer{Proto: w.Proto}
		served := 0
		run := func(tx *engine.Tx) error {
			out.Buf = out.Buf[:0]
			var err error
			if ids, err = resolveXreadIDs(tx, a); err != nil {
				return err
			}
			served, err = serveXread(tx, a, ids, &out)
			return err
		}
		var err error
		if group {
			err = s.eng.Update(db, a.keys, func(tx *engine.Tx) error {
				if err := run(tx); err != nil {
					return err
				}
				propagateXreadgroup(tx, a.argv, served) // propagate.go
				return nil
			})
		} else {
			err = s.eng.View(db, a.keys, run)
		}
		if err != nil {
			s.replyStoreError(w, err)
			return true
		}
		if served == 0 {
			return false
		}
		w.Raw(out.Buf)
		return true
	}
	if a.timeout < 0 {
		if !try(&c.w, nil) {
			c.w.NullArray()
		}
		return
	}
	var deadline int64
	if a.timeout > 0 {
		now := time.Now().UnixMilli()
		if a.timeout <= math.MaxInt64-now { // past that Redis's deadline wraps and is never reached
			deadline = now + a.timeout
		}
	}
	// XREADGROUP is also answered when its key goes or changes type, or its group goes.
	c.blockKeys(a.keys, deadline, try, nil, group)
}

// clone copies the arguments a blocked attempt keeps.
func (a *xreadArgs) clone() *xreadArgs {
	b := *a
	b.groupName, b.consumer = cloneBytes(a.groupName), cloneBytes(a.consumer)
	b.keys, b.idArg, b.argv = cloneArgs(a.keys), cloneArgs(a.idArg), cloneArgs(a.argv)
	return &b
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func cloneArgs(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = cloneBytes(b)
	}
	return out
}

// xreadServeReady serves a blocked XREAD or XREADGROUP from the stream at key, which was
// written, as serveClientsBlockedOnStreamKey and unblockDeletedStreamReadgroupClients do: the
// client is served when the stream's last ID passed the one it waits after (for a group,
// the group's last delivered ID), even if those entries were deleted since (an empty
// list); an XREADGROUP whose key was deleted or changed type, or whose group was destroyed,
// is answered with an error; XREAD keeps waiting on a key of another type.
func xreadServeReady(s *Server, db int, w *resp.Writer, a *xreadArgs, ids []engine.StreamID, key []byte) bool {
	at := -1
	for i, k := range a.keys {
		if string(k) == string(key) {
			at = i
			break
		}
	}
	if at < 0 || len(ids) != len(a.keys) {
		return false
	}
	out := resp.Writer{Proto: w.Proto}
	served := false
	run := func(tx *engine.Tx) error {
		out.Buf = out.Buf[:0]
		served = false
		m, err := tx.Get(key)
		if err != nil {
			return err
		}
		if m == nil || m.Type != engine.TypeStream {
			if a.group {
				out.Error("UNBLOCKED the stream key no longer exists")
				served = true
			}
			return nil
		}
		st, err := tx.OpenStream(key, m)
		if err != nil {
			return err
		}
		gt := ids[at]
		var g *engine.StreamGroup
		if a.group {
			if g, err = st.Group(a.groupName); err != nil {
				return err
			}
			if g == nil {
				out.Error("NOGROUP the consumer group this client was blocked on no longer exists")
				served = true
				return nil
			}
			gt = g.LastID
		}
		if !gt.Less(st.H.Last) {
			return nil
		}
		served = true
		if out.Proto == 2 {
			out.Array(1)
			out.Array(2)
		} else {
			out.Map(1)
		}
		out.Bulk(key)
		if !a.group {
			start, _ := gt.Incr()
			return writeRange(&out, st, start, engine.MaxStreamID, false, a.count)
		}
		cons, _, err := st.TouchConsumer(g, a.consumer, nowMs())
		if err != nil {
			return err
		}
		entries, err := st.ReadGroup(g, cons, a.count, a.noack, nowMs())
		if err != nil {
			return err
		}
		out.Array(len(entries))
		for _, e := range entries {
			writeEntry(&out, e.ID, e.Fields)
		}
		if err := st.Save(); err != nil {
			return err
		}
		propagateXreadgroup(tx, readgroupArgv(a, key), 1)
		return nil
	}
	var err error
	if a.group {
		err = s.eng.Update(db, [][]byte{key}, run)
	} else {
		err = s.eng.View(db, [][]byte{key}, run)
	}
	if err != nil {
		s.replyStoreError(w, err)
		return true
	}
	if served {
		w.Raw(out.Buf)
	}
	return served
}

// readgroupArgv is the XREADGROUP a blocked client served from key amounts to.
func readgroupArgv(a *xreadArgs, key []byte) [][]byte {
	argv := [][]byte{[]byte("XREADGROUP"), []byte("GROUP"), a.groupName, a.consumer}
	if a.count > 0 {
		argv = append(argv, []byte("COUNT"), strconv.AppendInt(nil, a.count, 10))
	}
	if a.noack {
		argv = append(argv, []byte("NOACK"))
	}
	return append(argv, []byte("STREAMS"), key, []byte(">"))
}

// resolveXreadIDs checks the keys and groups and turns the ID arguments into IDs: "$" is the
// stream's last ID, ">" is greaterID.
func resolveXreadIDs(tx *engine.Tx, a *xreadArgs) ([]engine.StreamID, error) {
	ids := make([]engine.StreamID, len(a.keys))
	for i, key := range a.keys {
		s, err := openStream(tx, key)
		if err != nil {
			return nil, err
		}
		if a.group {
			var g *engine.StreamGroup
			if s != nil {
				if g, err = s.Group(a.groupName); err != nil {
					return nil, err
				}
			}
			if g == nil {
				return nil, replyError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", cString(key), cString(a.groupName)))
			}
		}
		switch arg := a.idArg[i]; string(arg) {
		case "$":
			if a.group {
				return nil, replyError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
			}
			if s != nil {
				ids[i] = s.H.Last
			}
		case ">":
			if !a.group {
				return nil, replyError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
			}
			ids[i] = greaterID
		default:
			id, ok := strictID(arg)
			if !ok {
				return nil, replyError(errInvalidStreamID)
			}
			ids[i] = id
		}
	}
	return ids, nil
}

// serveXread writes the reply for the streams that have something to serve and returns how
// many did; nothing is written when none did.
func serveXread(tx *engine.Tx, a *xreadArgs, ids []engine.StreamID, w *resp.Writer) (int, error) {
	body := resp.Writer{Proto: w.Proto}
	served := 0
	now := nowMs()
	var toSave []*engine.Stream
	for i, key := range a.keys {
		s, err := openStream(tx, key)
		if err != nil {
			return 0, err
		}
		if s == nil {
			continue
		}
		gt := ids[i]
		history := false
		var g *engine.StreamGroup
		if a.group {
			if g, err = s.Group(a.groupName); err != nil {
				return 0, err
			}
			if g == nil {
				return 0, replyError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", cString(key), cString(a.groupName)))
			}
			if gt != greaterID {
				history = true
			} else if s.Len > 0 {
				top, err := s.LastLiveID()
				if err != nil {
					return 0, err
				}
				if !g.LastID.Less(top) {
					continue
				}
			} else {
				continue
			}
		} else {
			if s.Len == 0 {
				continue
			}
			top, err := s.LastLiveID()
			if err != nil {
				return 0, err
			}
			if !gt.Less(top) {
				continue
			}
		}
		served++
		if w.Proto == 2 {
			body.Array(2)
		}
		body.Bulk(key)
		if !a.group {
			start, _ := gt.Incr()
			if err := writeRange(&body, s, start, engine.MaxStreamID, false, a.count); err != nil {
				return 0, err
			}
			continue
		}
		cons, _, err := s.TouchConsumer(g, a.consumer, now)
		if err != nil {
			return 0, err
		}
		var entries []engine.StreamEntry
		if history {
			start, ok := gt.Incr()
			if ok || gt.Ms == math.MaxUint64 {
				entries, err = s.ReadHistory(g, cons, start, a.count, now)
			}
		} else {
			entries, err = s.ReadGroup(g, cons, a.count, a.noack, now)
		}
		if err != nil {
			return 0, err
		}
		body.Array(len(entries))
		for _, e := range entries {
			writeEntry(&body, e.ID, e.Fields)
		}
		toSave = append(toSave, s)
	}
	if served == 0 {
		return 0, nil
	}
	for _, s := range toSave {
		if err := s.Save(); err != nil {
			return 0, err
		}
	}
	if w.Proto == 2 {
		w.Array(served)
	} else {
		w.Map(served)
	}
	w.Raw(body.Buf)
	return served, nil
}
