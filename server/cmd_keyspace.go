package server

import (
	"bytes"
	"github.com/slotdb/slotdb/internal/glob"
	"math"
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Keyspace commands of db.c: RENAME, RENAMENX, COPY, MOVE, KEYS, SCAN, RANDOMKEY.

func init() {
	register("rename", func(c *Client, a [][]byte) { renameGeneric(c, a, false) })
	register("renamenx", func(c *Client, a [][]byte) { renameGeneric(c, a, true) })
	register("copy", cmdCopy)
	register("move", cmdMove)
	register("keys", cmdKeys)
	register("scan", cmdScan)
	register("randomkey", cmdRandomKey)
}

// renameGeneric is RENAME / RENAMENX. The value, collections' elements included, moves to the
// new name with its TTL, in one batch.
func renameGeneric(c *Client, args [][]byte, nx bool) {
	src, dst := args[1], args[2]
	same := bytes.Equal(src, dst)
	renamed, missing := false, false
	ok := c.update([][]byte{src, dst}, func(tx *engine.Tx) error {
		m, err := tx.Get(src)
		if err != nil {
			return err
		}
		if m == nil {
			// Replied after the commit, so that a lazily expired source is deleted.
			missing = true // even when src == dst
			return nil
		}
		if same {
			return nil // RENAME answers OK, RENAMENX 0
		}
		if nx {
			d, err := tx.Get(dst)
			if err != nil || d != nil {
				return err
			}
		}
		if err := tx.CopyFrom(tx, src, m, dst); err != nil {
			return err
		}
		if _, err := tx.Delete(src); err != nil {
			return err
		}
		renamed = true
		return nil
	})
	if !ok {
		return
	}
	switch {
	case missing:
		c.w.Error(errNoSuchKey)
	case !nx:
		c.w.OK()
	case renamed:
		c.w.Int(1)
	default:
		c.w.Int(0)
	}
}

// dbIndexArg parses a database number as getIntFromObjectOrReply and selectDb do; it writes
// the error reply and returns false when the argument is not a valid database.
func (c *Client) dbIndexArg(b []byte) (int, bool) {
	n, ok := c.intArg(b)
	if !ok {
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.w.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return 0, false
	}
	if n < 0 || n >= int64(c.s.eng.Databases()) {
		c.w.Error(errDBIndex)
		return 0, false
	}
	return int(n), true
}

// cmdCopy is COPY source destination [DB n] [REPLACE]: an independent copy, TTL included.
func cmdCopy(c *Client, args [][]byte) {
	src, dst := args[1], args[2]
	dstDB, replace := c.db, false
	for j := 3; j < len(args); j++ {
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "db") && j+1 < len(args):
			n, ok := c.dbIndexArg(args[j+1])
			if !ok {
				return
			}
			dstDB = n
			j++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if c.s.cfg.ClusterEnabled() && (c.db != 0 || dstDB != 0) {
		c.w.Error("ERR Copying to another database is not allowed in cluster mode")
		return
	}
	if dstDB == c.db && bytes.Equal(src, dst) {
		c.w.Error(errSameObject)
		return
	}
	var copied int64
	err := c.s.eng.UpdatePair(c.db, [][]byte{src}, dstDB, [][]byte{dst}, func(ts, td *engine.Tx) error {
		m, err := ts.Get(src)
		if err != nil || m == nil {
			return err
		}
		d, err := td.Get(dst)
		if err != nil || (d != nil && !replace) {
			return err
		}
		if err := td.CopyFrom(ts, src, m, dst); err != nil {
			return err
		}
		td.FreshAccess(dst) // a new object: RENAME and MOVE keep the source's access data
		copied = 1
		ts.Propagate(c.argv...) // propagate.go
		return nil
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Int(copied)
}

// cmdMove is MOVE key db: the key leaves this database for db unless db already has it.
func cmdMove(c *Client, args [][]byte) {
	if c.s.cfg.ClusterEnabled() {
		c.w.Error("ERR MOVE is not allowed in cluster mode")
		return
	}
	key := args[1]
	dstDB, ok := c.dbIndexArg(args[2])
	if !ok {
		return
	}
	if dstDB == c.db {
		c.w.Error(errSameObject)
		return
	}
	var moved int64
	err := c.s.eng.UpdatePair(c.db, [][]byte{key}, dstDB, [][]byte{key}, func(ts, td *engine.Tx) error {
		m, err := ts.Get(key)
		if err != nil || m == nil {
			return err
		}
		d, err := td.Get(key)
		if err != nil || d != nil {
			return err
		}
		if err := td.CopyFrom(ts, key, m, key); err != nil {
			return err
		}
		if _, err := ts.Delete(key); err != nil {
			return err
		}
		moved = 1
		ts.Propagate(c.argv...) // propagate.go
		return nil
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Int(moved)
}

func cmdKeys(c *Client, args [][]byte) {
	pat := args[1]
	var match func([]byte) bool
	if !(len(pat) == 1 && pat[0] == '*') {
		match = func(k []byte) bool { return stringMatch(pat, k, false) }
	}
	keys, err := c.s.eng.Keys(c.db, match)
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

// cmdScan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursors are the engine's
// opaque positions; any unsigned number is accepted, as Redis does.
func cmdScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.w.Error("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pat, typ []byte
	usePat, useType := false, false
	for i := 2; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "count") && more:
			n, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			if n < 1 {
				c.w.Error(errSyntax)
				return
			}
			count = n
		case eqFold(args[i], "match") && more:
			pat = args[i+1]
			usePat = !(len(pat) == 1 && pat[0] == '*')
		case eqFold(args[i], "type") && more:
			typ, useType = args[i+1], true
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	var filter func([]byte, engine.Type) bool
	if usePat || useType {
		filter = func(k []byte, t engine.Type) bool {
			if usePat && !stringMatch(pat, k, false) {
				return false
			}
			// An unknown type name filters everything out, without an error (7.0).
			return !useType || eqFoldString(typ, t.String())
		}
	}
	next, keys, err := c.s.eng.Scan(c.db, cursor, int(min(count, math.MaxInt32)), filter)
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Array(2)
	c.w.BulkString(strconv.FormatUint(next, 10))
	c.w.Array(len(keys))
	for _, k := range keys {
		c.w.Bulk(k)
	}
}

// eqFoldString compares b and s ignoring ASCII case (strcasecmp).
func eqFoldString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseScanCursor is parseScanCursorOrReply: strtoul base 10 (optional sign, a '-' negates
// modulo 2^64), no leading space, nothing after the digits, no overflow. As with strtoul, an
// argument with no digits at all parses as 0 only when it is empty (or starts with a NUL).
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) > 0 && isCSpace(b[0]) {
		return 0, false
	}
	i, neg := 0, false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if i == start { // no conversion: strtoul's end pointer is the start of the string
		return 0, len(b) == 0 || b[0] == 0
	}
	if (i < len(b) && b[i] != 0) || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func cmdRandomKey(c *Client, args [][]byte) {
	k, err := c.s.eng.RandomKey(c.db)
	if err != nil {
		c.storeError(err)
		return
	}
	if k == nil {
		c.w.Null()
		return
	}
	c.w.Bulk(k)
}

// stringMatch is Redis's stringmatchlen (internal/glob).
func stringMatch(pattern, s []byte, nocase bool) bool { return glob.Match(pattern, s, nocase) }
