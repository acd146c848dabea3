package server

import (
	"errors"
	"strconv"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/hll"
)

// HyperLogLogs are strings holding Redis's own HYLL representation (internal/hll), so GET,
// SET, DUMP and RESTORE of them are byte-identical to Redis.

func init() {
	register("pfadd", cmdPFAdd)
	register("pfcount", cmdPFCount)
	register("pfmerge", cmdPFMerge)
	register("pfdebug", cmdPFDebug)
	register("pfselftest", cmdPFSelfTest)
}

const (
	errHLLWrongType = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLCorrupt   = "INVALIDOBJ Corrupted HLL object detected"
)

// hllSparseMax reads hll-sparse-max-bytes (its default when the config is not wired).
func (c *Client) hllSparseMax() int {
	if c.s.cfg.Get != nil {
		for _, nv := range c.s.cfg.Get([]string{"hll-sparse-max-bytes"}) {
			if n, err := strconv.ParseInt(nv[1], 10, 64); err == nil && n >= 0 {
				return int(min(n, 1<<40))
			}
		}
	}
	return hll.DefaultSparseMaxBytes
}

// hllError maps the hll package's errors to Redis's replies.
func hllError(err error) error {
	if errors.Is(err, hll.ErrNotHLL) {
		return replyError(errHLLWrongType)
	}
	if errors.Is(err, hll.ErrCorrupt) {
		return replyError(errHLLCorrupt)
	}
	return err
}

// txHLLValues reads keys' string values for a multi-key PF command (nil when absent). Redis
// checks each key in turn (type, HLL header, body), so a key of another type fails the
// command only when the keys before it are valid HLLs: check reports what they would fail on.
func txHLLValues(tx *engine.Tx, keys [][]byte, check func(vs [][]byte) error) ([][]byte, error) {
	vs := make([][]byte, len(keys))
	for i, k := range keys {
		m, err := tx.Get(k)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		if m.Type != engine.TypeString {
			if err := check(vs[:i]); err != nil {
				return nil, hllError(err)
			}
			return nil, replyError(errWrongType)
		}
		vs[i] = m.Value
	}
	return vs, nil
}

func unionCheck(vs [][]byte) error { _, err := hll.PFCountUnion(vs); return err }

// putHLL stores v under key as a raw string (Redis edits HLLs in place, unsharing them),
// keeping old's TTL.
func putHLL(tx *engine.Tx, key []byte, old *engine.Meta, v []byte) error {
	var exp int64
	if old != nil {
		exp = old.ExpireAt
	}
	return tx.Put(key, &engine.Meta{Type: engine.TypeString, Value: v, ExpireAt: exp, Flags: engine.FlagRaw})
}

// isRaw reports whether m already is what dbUnshareStringValue would leave.
func isRaw(m *engine.Meta) bool { return m.Flags&engine.FlagRaw != 0 }

func cmdPFAdd(c *Client, args [][]byte) {
	sparseMax := c.hllSparseMax()
	var updated, corrupt bool
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil {
			return err
		}
		var v []byte
		if m != nil {
			v = m.Value
		}
		out, upd, err := hll.PFAdd(v, args[2:], sparseMax)
		if errors.Is(err, hll.ErrNotHLL) {
			return hllError(err)
		}
		// A corrupt sparse body fails the command but Redis keeps, in place, the registers
		// set before the failure.
		updated, corrupt = upd, err != nil
		if m != nil && isRaw(m) && string(out) == string(v) {
			return nil
		}
		return putHLL(tx, args[1], m, out)
	})
	switch {
	case !ok:
	case corrupt:
		c.w.Error(errHLLCorrupt)
	default:
		c.w.Int(b2i(updated))
	}
}

func cmdPFCount(c *Client, args [][]byte) {
	if len(args) > 2 {
		pfCountUnion(c, args[1:])
		return
	}
	var card uint64
	var corrupt bool
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil || m == nil {
			return err
		}
		if err := hll.Check(m.Value); err != nil {
			return hllError(err)
		}
		// The value is unshared (made raw) before the count, and a fresh count is cached in
		// it: a write, as in Redis, although PFCOUNT is flagged read-only. A corrupt body
		// fails the count, but the unsharing stays.
		n, out, err := hll.PFCount(m.Value)
		card, corrupt = n, err != nil
		if out == nil {
			if isRaw(m) {
				return nil
			}
			out = m.Value
		}
		return putHLL(tx, args[1], m, out)
	})
	switch {
	case !ok:
	case corrupt:
		c.w.Error(errHLLCorrupt)
	default:
		c.w.Int(int64(card))
	}
}

// pfCountUnion is PFCOUNT of several keys: a read of all of them at once.
func pfCountUnion(c *Client, keys [][]byte) {
	var card uint64
	err := c.s.eng.View(c.db, keys, func(tx *engine.Tx) error {
		vs, err := txHLLValues(tx, keys, unionCheck)
		if err != nil {
			return err
		}
		card, err = hll.PFCountUnion(vs)
		return hllError(err)
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Int(int64(card))
}

func cmdPFMerge(c *Client, args [][]byte) {
	sparseMax := c.hllSparseMax()
	ok := c.update(args[1:], func(tx *engine.Tx) error {
		vs, err := txHLLValues(tx, args[1:], unionCheck)
		if err != nil {
			return err
		}
		out, err := hll.PFMerge(vs, sparseMax)
		if err != nil {
			return hllError(err)
		}
		dest, err := tx.Get(args[1]) // already read: live and a string, or nil
		if err != nil {
			return err
		}
		return putHLL(tx, args[1], dest, out)
	})
	if ok {
		c.w.OK()
	}
}

// cmdPFDebug is PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
func cmdPFDebug(c *Client, args [][]byte) {
	sub := args[1]
	var reply func()
	ok := c.update(args[2:3], func(tx *engine.Tx) error {
		m, err := tx.Get(args[2])
		if err != nil {
			return err
		}
		if m == nil {
			return replyError("ERR The specified key does not exist")
		}
		if m.Type != engine.TypeString {
			return replyError(errWrongType)
		}
		s, err := hll.Open(m.Value)
		if err != nil {
			return hllError(err)
		}
		// The key is unshared (raw) whatever the subcommand; GETREG and TODENSE convert it.
		save := !isRaw(m)
		switch {
		case eqFold(sub, "getreg"), eqFold(sub, "todense"):
			conv, err := s.ToDense()
			if err != nil {
				reply = func() { c.w.Error(errHLLCorrupt) }
				break
			}
			save = save || conv
			if eqFold(sub, "todense") {
				reply = func() { c.w.Int(b2i(conv)) }
				break
			}
			regs := s.Registers()
			reply = func() {
				c.w.Array(len(regs))
				for _, r := range regs {
					c.w.Int(int64(r))
				}
			}
		case eqFold(sub, "decode"):
			if s.Encoding() != hll.Sparse {
				reply = func() { c.w.Error("ERR HLL encoding is not sparse") }
				break
			}
			d := hll.Decode(s.Bytes())
			reply = func() { c.w.BulkString(d) }
		case eqFold(sub, "encoding"):
			enc := "dense"
			if s.Encoding() == hll.Sparse {
				enc = "sparse"
			}
			reply = func() { c.w.Simple(enc) }
		default:
			reply = func() { c.w.Error("ERR Unknown PFDEBUG subcommand '" + string(sub) + "'") }
		}
		if !save {
			return nil
		}
		return putHLL(tx, args[2], m, s.Bytes())
	})
	if ok {
		reply()
	}
}

func cmdPFSelfTest(c *Client, args [][]byte) {
	if err := hll.SelfTest(c.hllSparseMax()); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}
