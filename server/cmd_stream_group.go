package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server/resp"
)

// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO.

func init() {
	for _, sub := range []string{"create", "setid", "destroy", "createconsumer", "delconsumer"} {
		register("xgroup|"+sub, cmdXgroup)
	}
	register("xgroup|help", func(c *Client, a [][]byte) { writeHelpLines(c, xgroupHelp) })
	register("xinfo|help", func(c *Client, a [][]byte) { writeHelpLines(c, xinfoHelp) })
	register("xinfo|stream", cmdXinfo)
	register("xinfo|groups", cmdXinfo)
	register("xinfo|consumers", cmdXinfo)
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

func streamSubSyntaxError(args [][]byte) replyError {
	return replyError(sanitize(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		cString(args[1]), strings.ToUpper(string(args[0])))))
}

func noGroupError(key, group []byte) replyError {
	return replyError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", cString(key), cString(group)))
}

// nowMs is the real clock, which Redis uses for delivery and seen times.
func nowMs() int64 { return time.Now().UnixMilli() }

func cmdXgroup(c *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	mkstream := false
	entriesRead := int64(engine.InvalidEntriesRead)
	for i := 5; i < len(args); {
		switch {
		case sub == "create" && eqFold(args[i], "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && eqFold(args[i], "entriesread") && i+1 < len(args):
			n, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			if n < 0 && n != engine.InvalidEntriesRead {
				c.w.Error("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = n
			i += 2
		default:
			c.w.Error(string(streamSubSyntaxError(args)))
			return
		}
	}
	key, name := args[2], args[3]
	now := nowMs()
	c.streamTx([][]byte{key}, func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		var g *engine.StreamGroup
		if !mkstream {
			if s == nil {
				return replyError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			}
			var err error
			if g, err = s.Group(name); err != nil {
				return err
			}
			if g == nil && sub != "create" && sub != "destroy" {
				return replyError(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", cString(name), cString(key)))
			}
		}
		switch {
		case sub == "create" && len(args) >= 5 && len(args) <= 8:
			var id engine.StreamID
			if string(args[4]) == "$" {
				if s != nil {
					id = s.H.Last
				}
			} else {
				var ok bool
				if id, ok = strictID(args[4]); !ok {
					return replyError(errInvalidStreamID)
				}
			}
			if s == nil {
				s = tx.NewStream(key)
			}
			g, err := s.CreateGroup(name, id, entriesRead)
			if err != nil {
				return err
			}
			if g == nil {
				return replyError("BUSYGROUP Consumer Group name already exists")
			}
			w.OK()
		case sub == "setid" && (len(args) == 5 || len(args) == 7):
			var id engine.StreamID
			if string(args[4]) == "$" {
				id = s.H.Last
			} else {
				var ok bool
				if id, ok = parseStreamID(args[4], 0, false, nil); !ok {
					return replyError(errInvalidStreamID)
				}
			}
			g.LastID = id
			g.EntriesRead = entriesRead
			s.MarkGroup(g)
			w.OK()
		case sub == "destroy" && len(args) == 4:
			ok, err := s.DestroyGroup(name)
			if err != nil {
				return err
			}
			w.Int(b2i(ok))
		case sub == "createconsumer" && len(args) == 5:
			cons, err := s.CreateConsumer(g, args[4], now)
			if err != nil {
				return err
			}
			w.Int(b2i(cons != nil))
		case sub == "delconsumer" && len(args) == 5:
			cons, err := s.Consumer(g, args[4])
			if err != nil {
				return err
			}
			var n int64
			if cons != nil {
				if n, err = s.DeleteConsumer(g, cons); err != nil {
					return err
				}
			}
			w.Int(n)
		default:
			return streamSubSyntaxError(args)
		}
		return s.Save()
	})
}

// streamGroup is s's group called name: nil when the stream (s nil) or the group is missing.
func streamGroup(s *engine.Stream, name []byte) (*engine.StreamGroup, error) {
	if s == nil {
		return nil, nil
	}
	return s.Group(name)
}

func cmdXack(c *Client, args [][]byte) {
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		g, err := streamGroup(s, args[2])
		if err != nil {
			return err
		}
		if g == nil {
			w.Int(0)
			return nil
		}
		ids := make([]engine.StreamID, 0, len(args)-3)
		for _, a := range args[3:] {
			id, ok := strictID(a)
			if !ok {
				return replyError(errInvalidStreamID)
			}
			ids = append(ids, id)
		}
		var n int64
		for _, id := range ids {
			ok, err := s.Ack(g, id)
			if err != nil {
				return err
			}
			n += int64(b2i(ok))
		}
		w.Int(n)
		return s.Save()
	})
}

var errStopIter = errors.New("stop")

func cmdXpending(c *Client, args [][]byte) {
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.w.Error(errSyntax)
		return
	}
	var start, end engine.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		si := 3
		if eqFold(args[3], "idle") {
			n, ok := c.intArg(args[4])
			if !ok {
				return
			}
			minIdle = n
			if len(args) < 8 {
				c.w.Error(errSyntax)
				return
			}
			si += 2
		}
		n, ok := c.intArg(args[si+2])
		if !ok {
			return
		}
		count = max(n, 0)
		if start, end, ok = c.parseRange(args[si], args[si+1]); !ok {
			return
		}
		if si+3 < len(args) {
			consumer = args[si+3]
		}
	}
	now := nowMs()
	c.streamView(args[1], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		g, err := streamGroup(s, args[2])
		if err != nil {
			return err
		}
		if g == nil {
			return noGroupError(args[1], args[2])
		}
		if justInfo {
			w.Array(4)
			w.Int(g.Pending)
			if g.Pending == 0 {
				w.Null()
				w.Null()
				w.NullArray()
				return nil
			}
			first, last, err := s.PELEdges(g)
			if err != nil {
				return err
			}
			writeID(w, first)
			writeID(w, last)
			pend := newDeferredArray(w.Proto)
			err = s.EachConsumer(g, func(cs *engine.StreamConsumer) error {
				if cs.Pending > 0 {
					e := pend.add()
					e.Array(2)
					e.Bulk(cs.Name)
					e.BulkInt(cs.Pending)
				}
				return nil
			})
			if err != nil {
				return err
			}
			pend.writeTo(w)
			return nil
		}
		if consumer != nil {
			cs, err := s.Consumer(g, consumer)
			if err != nil {
				return err
			}
			if cs == nil {
				w.Array(0)
				return nil
			}
		}
		pend := newDeferredArray(w.Proto)
		if count > 0 {
			err := s.PELRange(g, consumer, start, end, 0, func(nk *engine.StreamNACK) error {
				idle := now - nk.DeliveryTime
				if minIdle != 0 && idle < minIdle {
					return nil
				}
				e := pend.add()
				e.Array(4)
				writeID(e, nk.ID)
				e.Bulk(nk.Consumer)
				e.Int(max(idle, 0))
				e.Int(nk.DeliveryCount)
				if int64(pend.n) == count {
					return errStopIter
				}
				return nil
			})
			if err != nil && err != errStopIter {
				return err
			}
		}
		pend.writeTo(w)
		return nil
	})
}

func cmdXclaim(c *Client, args [][]byte) {
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		g, err := streamGroup(s, args[2])
		if err != nil {
			return err
		}
		if g == nil {
			return noGroupError(args[1], args[2])
		}
		minIdle, ok := parseInt(args[4])
		if !ok {
			return replyError("ERR Invalid min-idle-time argument for XCLAIM")
		}
		minIdle = max(minIdle, 0)
		j := 5
		var ids []engine.StreamID
		for ; j < len(args); j++ {
			id, ok := strictID(args[j])
			if !ok {
				break
			}
			ids = append(ids, id)
		}
		now := nowMs()
		a := engine.ClaimArgs{MinIdle: minIdle, DeliveryTime: -1, RetryCount: -1, Now: now}
		var lastID engine.StreamID
		for ; j < len(args); j++ {
			more := j+1 < len(args)
			opt := args[j]
			switch {
			case eqFold(opt, "force"):
				a.Force = true
			case eqFold(opt, "justid"):
				a.JustID = true
			case eqFold(opt, "idle") && more:
				j++
				n, ok := parseInt(args[j])
				if !ok {
					return replyError("ERR Invalid IDLE option argument for XCLAIM")
				}
				a.DeliveryTime = now - n
			case eqFold(opt, "time") && more:
				j++
				n, ok := parseInt(args[j])
				if !ok {
					return replyError("ERR Invalid TIME option argument for XCLAIM")
				}
				a.DeliveryTime = n
			case eqFold(opt, "retrycount") && more:
				j++
				n, ok := parseInt(args[j])
				if !ok {
					return replyError("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				}
				a.RetryCount = n
			case eqFold(opt, "lastid") && more:
				j++
				id, ok := strictID(args[j])
				if !ok {
					return replyError(errInvalidStreamID)
				}
				lastID = id
			default:
				return replyError(sanitize(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", cString(opt))))
			}
		}
		if g.LastID.Less(lastID) {
			g.LastID = lastID
			s.MarkGroup(g)
		}
		if a.DeliveryTime < 0 || a.DeliveryTime > now {
			a.DeliveryTime = now
		}
		claimed, err := s.Claim(g, args[3], ids, a)
		if err != nil {
			return err
		}
		w.Array(len(claimed))
		for _, e := range claimed {
			if a.JustID {
				writeID(w, e.ID)
			} else {
				writeEntry(w, e.ID, e.Fields)
			}
		}
		return s.Save()
	})
}

func cmdXautoclaim(c *Client, args [][]byte) {
	c.streamTx(args[1:2], func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		g, err := streamGroup(s, args[2])
		if err != nil {
			return err
		}
		minIdle, ok := parseInt(args[4])
		if !ok {
			return replyError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		}
		minIdle = max(minIdle, 0)
		start, ex, ok := parseIntervalID(args[5], 0)
		if !ok {
			return replyError(errInvalidStreamID)
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				return replyError(errStreamStartID)
			}
		}
		count := int64(100)
		justID := false
		for j := 6; j < len(args); j++ {
			switch {
			case eqFold(args[j], "count") && j+1 < len(args):
				n, ok := parseInt(args[j+1])
				const maxCount = (1<<63 - 1) / 16 // LONG_MAX / max(sizeof(streamID), attempts factor)
				if !ok || n < 1 || n > maxCount {
					return replyError("ERR COUNT must be > 0")
				}
				count = n
				j++
			case eqFold(args[j], "justid"):
				justID = true
			default:
				return replyError(errSyntax)
			}
		}
		if g == nil {
			return noGroupError(args[1], args[2])
		}
		claimed, next, deleted, err := s.AutoClaim(g, args[3], start, count, minIdle, justID, nowMs())
		if err != nil {
			return err
		}
		w.Array(3)
		writeID(w, next)
		w.Array(len(claimed))
		for _, e := range claimed {
			if justID {
				writeID(w, e.ID)
			} else {
				writeEntry(w, e.ID, e.Fields)
			}
		}
		w.Array(len(deleted))
		for _, id := range deleted {
			writeID(w, id)
		}
		return s.Save()
	})
}

func cmdXinfo(c *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	key := args[2]
	c.streamView(key, func(tx *engine.Tx, s *engine.Stream, w *resp.Writer) error {
		if s == nil {
			return replyError(errNoSuchKey)
		}
		switch {
		case sub == "consumers" && len(args) == 4:
			g, err := s.Group(args[3])
			if err != nil {
				return err
			}
			if g == nil {
				return replyError(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", cString(args[3]), cString(key)))
			}
			now := nowMs()
			w.Array(int(g.Consumers))
			return s.EachConsumer(g, func(cs *engine.StreamConsumer) error {
				w.Map(3)
				w.BulkString("name")
				w.Bulk(cs.Name)
				w.BulkString("pending")
				w.Int(cs.Pending)
				w.BulkString("idle")
				w.Int(max(now-cs.SeenTime, 0))
				return nil
			})
		case sub == "groups" && len(args) == 3:
			w.Array(int(s.H.Groups))
			return s.EachGroup(func(g *engine.StreamGroup) error {
				w.Map(6)
				w.BulkString("name")
				w.Bulk(g.Name)
				w.BulkString("consumers")
				w.Int(g.Consumers)
				w.BulkString("pending")
				w.Int(g.Pending)
				w.BulkString("last-delivered-id")
				writeID(w, g.LastID)
				writeGroupCounters(w, s, g)
				return nil
			})
		case sub == "stream":
			return xinfoStream(w, s, args)
		}
		return streamSubSyntaxError(args)
	})
}

func writeGroupCounters(w *resp.Writer, s *engine.Stream, g *engine.StreamGroup) {
	w.BulkString("entries-read")
	if g.EntriesRead != engine.InvalidEntriesRead {
		w.Int(g.EntriesRead)
	} else {
		w.Null()
	}
	w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		w.Int(lag)
	} else {
		w.Null()
	}
}

func xinfoStream(w *resp.Writer, s *engine.Stream, args [][]byte) error {
	opts := args[3:]
	full := len(opts) > 0
	count := int64(10)
	if full {
		if !eqFold(opts[0], "full") {
			return streamSubSyntaxError(args)
		}
		if len(opts) > 1 {
			if len(opts) != 3 || !eqFold(opts[1], "count") {
				return streamSubSyntaxError(args)
			}
			n, ok := parseInt(opts[2])
			if !ok {
				return replyError(errNotInt)
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
	}
	raxNodes, err := s.RaxNodes()
	if err != nil {
		return err
	}
	if full {
		w.Map(9)
	} else {
		w.Map(10)
	}
	w.BulkString("length")
	w.Int(s.Len)
	w.BulkString("radix-tree-keys")
	w.Int(s.H.Nodes)
	w.BulkString("radix-tree-nodes")
	w.Int(raxNodes)
	w.BulkString("last-generated-id")
	writeID(w, s.H.Last)
	w.BulkString("max-deleted-entry-id")
	writeID(w, s.H.MaxDeleted)
	w.BulkString("entries-added")
	w.Int(int64(s.H.EntriesAdded))
	w.BulkString("recorded-first-entry-id")
	writeID(w, s.H.First)
	if !full {
		w.BulkString("groups")
		w.Int(s.H.Groups)
		for _, rev := range []bool{false, true} {
			if rev {
				w.BulkString("last-entry")
			} else {
				w.BulkString("first-entry")
			}
			n, err := s.Range(engine.StreamID{}, engine.MaxStreamID, rev, 1, func(id engine.StreamID, fv [][]byte) error {
				writeEntry(w, id, fv)
				return nil
			})
			if err != nil {
				return err
			}
			if n == 0 {
				w.Null()
			}
		}
		return nil
	}
	w.BulkString("entries")
	if err := writeRange(w, s, engine.StreamID{}, engine.MaxStreamID, false, count); err != nil {
		return err
	}
	w.BulkString("groups")
	w.Array(int(s.H.Groups))
	return s.EachGroup(func(g *engine.StreamGroup) error {
		w.Map(7)
		w.BulkString("name")
		w.Bulk(g.Name)
		w.BulkString("last-delivered-id")
		writeID(w, g.LastID)
		writeGroupCounters(w, s, g)
		w.BulkString("pel-count")
		w.Int(g.Pending)
		w.BulkString("pending")
		if err := writeFullPEL(w, s, g, nil, count); err != nil {
			return err
		}
		w.BulkString("consumers")
		w.Array(int(g.Consumers))
		return s.EachConsumer(g, func(cs *engine.StreamConsumer) error {
			w.Map(4)
			w.BulkString("name")
			w.Bulk(cs.Name)
			w.BulkString("seen-time")
			w.Int(cs.SeenTime)
			w.BulkString("pel-count")
			w.Int(cs.Pending)
			w.BulkString("pending")
			return writeFullPEL(w, s, g, cs.Name, count)
		})
	})
}

// writeFullPEL writes XINFO STREAM FULL's "pending" list: up to count (0: all) of g's pending
// entries, or of consumer's when it is set, which then leaves the consumer name out.
func writeFullPEL(w *resp.Writer, s *engine.Stream, g *engine.StreamGroup, consumer []byte, count int64) error {
	pend := newDeferredArray(w.Proto)
	err := s.PELRange(g, consumer, engine.StreamID{}, engine.MaxStreamID, count, func(nk *engine.StreamNACK) error {
		e := pend.add()
		if consumer == nil {
			e.Array(4)
			writeID(e, nk.ID)
			e.Bulk(nk.Consumer)
		} else {
			e.Array(3)
			writeID(e, nk.ID)
		}
		e.Int(nk.DeliveryTime)
		e.Int(nk.DeliveryCount)
		return nil
	})
	if err != nil {
		return err
	}
	pend.writeTo(w)
	return nil
}
