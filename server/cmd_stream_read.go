package server

import (
	"fmt"
	"math"
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
	var ids []engine.StreamID
	var deadline time.Time
	if a.timeout > 0 {
		deadline = time.Now().Add(time.Duration(a.timeout) * time.Millisecond)
	}
	for first := true; ; first = false {
		w := &resp.Writer{Proto: c.w.Proto}
		var served int
		run := func(tx *engine.Tx) error {
			w.Buf = w.Buf[:0]
			var err error
			if first {
				if ids, err = resolveXreadIDs(tx, a); err != nil {
					return err
				}
			}
			served, err = serveXread(tx, a, ids, w)
			return err
		}
		var err error
		if group {
			err = c.s.eng.Update(c.db, a.keys, func(tx *engine.Tx) error {
				if err := run(tx); err != nil {
					return err
				}
				propagateXreadgroup(tx, c.argv, served) // propagate.go
				return nil
			})
		} else {
			err = c.s.eng.View(c.db, a.keys, run)
		}
		if err != nil {
			c.storeError(err)
			return
		}
		if served > 0 {
			c.w.Raw(w.Buf)
			return
		}
		if a.timeout < 0 || !c.waitForStreams(deadline) {
			c.w.NullArray()
			return
		}
	}
}

// waitForStreams parks a blocked XREAD until the next check is due; false when the timeout
// passed or the client was unblocked or closed.
// TODO: hang off the server's blocking machinery (server/blocking.go) when it exists; until
// then a blocked reader re-checks its streams every few milliseconds.
func (c *Client) waitForStreams(deadline time.Time) bool {
	if c.denyBlocking() || !deadline.IsZero() && !time.Now().Before(deadline) {
		return false
	}
	defer c.reacquireWorld(c.releaseWorld()) // a waiting client must not hold off EXEC: atomic.go
	c.blocked.Store(true)
	defer c.blocked.Store(false)
	woken := make(chan struct{}, 1)
	wake := func(bool) {
		select {
		case woken <- struct{}{}:
		default:
		}
	}
	c.wake.Store(&wake)
	defer c.wake.Store(nil)
	d := 5 * time.Millisecond
	if !deadline.IsZero() {
		d = min(d, time.Until(deadline))
	}
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return !c.closed.Load()
	case <-woken:
		return false
	case <-c.done:
		return false
	}
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
