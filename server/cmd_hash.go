package server

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/slotdb/slotdb/engine"
)

// Hash commands (t_hash.c). The hash itself lives in engine/hash.go: listpack-encoded hashes
// keep insertion order, hashtable ones are read in field order (Redis's is not reproducible).

func init() {
	register("hset", cmdHset)
	register("hmset", cmdHset)
	register("hsetnx", cmdHsetnx)
	register("hget", cmdHget)
	register("hmget", cmdHmget)
	register("hdel", cmdHdel)
	register("hexists", cmdHexists)
	register("hlen", cmdHlen)
	register("hstrlen", cmdHstrlen)
	register("hkeys", func(c *Client, a [][]byte) { hgetallGeneric(c, a[1], true, false) })
	register("hvals", func(c *Client, a [][]byte) { hgetallGeneric(c, a[1], false, true) })
	register("hgetall", func(c *Client, a [][]byte) { hgetallGeneric(c, a[1], true, true) })
	register("hincrby", cmdHincrby)
	register("hincrbyfloat", cmdHincrbyfloat)
	register("hrandfield", cmdHrandfield)
	register("hscan", cmdHscan)
	registerValueHooks(engine.TypeHash, valueHooks{
		encoding: func(_ *engine.Engine, _ int, _ []byte, m *engine.Meta) (string, error) {
			if m.Flags&engine.FlagConverted != 0 {
				return "hashtable", nil
			}
			return "listpack", nil
		},
		digest: func(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error {
			return e.View(db, [][]byte{key}, func(tx *engine.Tx) error {
				return tx.OpenHash(key, m, engine.DefaultHashLimits).Each(func(f, v []byte) bool {
					d.digestHashField(f, v)
					return true
				})
			})
		},
	})
}

// hashLimits are the live hash-max-listpack-entries / -value settings.
func (c *Client) hashLimits() engine.HashLimits {
	lim := engine.DefaultHashLimits
	if n, err := strconv.ParseInt(c.configValue("hash-max-listpack-entries"), 10, 64); err == nil {
		lim.MaxEntries = n
	}
	if n, err := strconv.ParseInt(c.configValue("hash-max-listpack-value"), 10, 64); err == nil {
		lim.MaxValue = int(min(n, math.MaxInt32))
	}
	return lim
}

// viewKeys runs a consistent read over keys; on failure it drops whatever fn had written and
// writes the error reply.
func (c *Client) viewKeys(keys [][]byte, fn func(tx *engine.Tx) error) bool {
	mark := len(c.w.Buf)
	err := c.s.eng.View(c.db, keys, fn)
	if err == nil {
		return true
	}
	c.w.Buf = c.w.Buf[:mark]
	c.storeError(err)
	return false
}

// openHash opens key's hash in tx: nil (and no error) when the key is missing, WRONGTYPE when it
// holds something else.
func openHash(tx *engine.Tx, key []byte, lim engine.HashLimits, create bool) (*engine.Hash, error) {
	m, err := typedMeta(tx, key, engine.TypeHash)
	if err != nil || (m == nil && !create) {
		return nil, err
	}
	return tx.OpenHash(key, m, lim), nil
}

// readHash runs fn over key's hash (nil when missing) in a consistent view.
func (c *Client) readHash(key []byte, fn func(h *engine.Hash) error) bool {
	return c.viewKeys([][]byte{key}, func(tx *engine.Tx) error {
		h, err := openHash(tx, key, engine.DefaultHashLimits, false)
		if err != nil {
			return err
		}
		return fn(h)
	})
}

// cmdHset is HSET (the number of new fields) and HMSET (OK).
func cmdHset(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.Error("ERR wrong number of arguments for '" + lowerArg(args[0]) + "' command")
		return
	}
	lim := c.hashLimits()
	var added int64
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		h, err := openHash(tx, args[1], lim, true)
		if err != nil {
			return err
		}
		for i := 2; i < len(args); i += 2 {
			n, err := h.Set(args[i], args[i+1])
			if err != nil {
				return err
			}
			added += int64(b2i(n))
		}
		return h.Save()
	})
	if !ok {
		return
	}
	if eqFold(args[0], "hmset") {
		c.w.OK()
	} else {
		c.w.Int(added)
	}
}

func lowerArg(b []byte) string {
	out := []byte(string(b))
	for i, ch := range out {
		if 'A' <= ch && ch <= 'Z' {
			out[i] = ch + 'a' - 'A'
		}
	}
	return string(out)
}

func cmdHsetnx(c *Client, args [][]byte) {
	lim := c.hashLimits()
	var set bool
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		h, err := openHash(tx, args[1], lim, true)
		if err != nil {
			return err
		}
		if found, err := h.Exists(args[2]); err != nil || found {
			return err
		}
		set = true
		if _, err := h.Set(args[2], args[3]); err != nil {
			return err
		}
		return h.Save()
	})
	if ok {
		c.w.Int(int64(b2i(set)))
	}
}

func cmdHget(c *Client, args [][]byte) {
	var v []byte
	var found bool
	ok := c.readHash(args[1], func(h *engine.Hash) (err error) {
		if h != nil {
			v, found, err = h.Get(args[2])
		}
		return err
	})
	if ok {
		c.bulkOrNull(v, found)
	}
}

func cmdHmget(c *Client, args [][]byte) {
	vals := make([][]byte, len(args)-2)
	oks := make([]bool, len(args)-2)
	ok := c.readHash(args[1], func(h *engine.Hash) error {
		if h == nil {
			return nil
		}
		for i, f := range args[2:] {
			v, found, err := h.Get(f)
			if err != nil {
				return err
			}
			vals[i], oks[i] = v, found
		}
		return nil
	})
	if !ok {
		return
	}
	c.w.Array(len(vals))
	for i, v := range vals {
		c.bulkOrNull(v, oks[i])
	}
}

func cmdHdel(c *Client, args [][]byte) {
	var n int64
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		h, err := openHash(tx, args[1], engine.DefaultHashLimits, false)
		if err != nil || h == nil {
			return err
		}
		n, err = removeElems(h, args[2:], h.Del)
		return err
	})
	if ok {
		c.w.Int(n)
	}
}

func cmdHexists(c *Client, args [][]byte) {
	var found bool
	ok := c.readHash(args[1], func(h *engine.Hash) (err error) {
		if h != nil {
			found, err = h.Exists(args[2])
		}
		return err
	})
	if ok {
		c.w.Int(int64(b2i(found)))
	}
}

func cmdHlen(c *Client, args [][]byte) { c.replyLen(args[1], engine.TypeHash) }

func cmdHstrlen(c *Client, args [][]byte) {
	var n int
	ok := c.readHash(args[1], func(h *engine.Hash) error {
		if h == nil {
			return nil
		}
		v, _, err := h.Get(args[2])
		n = len(v)
		return err
	})
	if ok {
		c.w.Int(int64(n))
	}
}

// hgetallGeneric is HKEYS, HVALS and HGETALL (a map in RESP3), streamed from the store.
func hgetallGeneric(c *Client, key []byte, fields, values bool) {
	c.readHash(key, func(h *engine.Hash) error {
		var n int
		if h != nil {
			n = int(h.Len())
		}
		if fields && values {
			c.w.Map(n)
		} else {
			c.w.Array(n)
		}
		if h == nil {
			return nil
		}
		written := 0
		err := h.Each(func(f, v []byte) bool {
			if written == n {
				return false
			}
			if fields {
				c.w.Bulk(f)
			}
			if values {
				c.w.Bulk(v)
			}
			written++
			return true
		})
		if err == nil && written != n {
			err = errCountMismatch
		}
		return err
	})
}

// errCountMismatch reports a collection whose records disagree with its element count; the
// reply header already promised that count, so the partial reply is dropped.
var errCountMismatch = replyError("ERR internal error: collection size mismatch")

// incrField is HINCRBY and HINCRBYFLOAT: in one change, it sets key's field to what next makes
// of its current value (found false: none), creating the hash when missing.
func (c *Client) incrField(key, field []byte, next func(tx *engine.Tx, v []byte, found bool) ([]byte, error)) bool {
	lim := c.hashLimits()
	return c.update([][]byte{key}, func(tx *engine.Tx) error {
		h, err := openHash(tx, key, lim, true)
		if err != nil {
			return err
		}
		v, found, err := h.Get(field)
		if err != nil {
			return err
		}
		if v, err = next(tx, v, found); err != nil {
			return err
		}
		if _, err := h.Set(field, v); err != nil {
			return err
		}
		return h.Save()
	})
}

func cmdHincrby(c *Client, args [][]byte) {
	incr, ok := c.intArg(args[3])
	if !ok {
		return
	}
	var out int64
	ok = c.incrField(args[1], args[2], func(_ *engine.Tx, v []byte, found bool) ([]byte, error) {
		var cur int64
		if found {
			n, ok := parseInt(v)
			if !ok {
				return nil, replyError("ERR hash value is not an integer")
			}
			cur = n
		}
		if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
			return nil, replyError(errOverflow)
		}
		out = cur + incr
		return strconv.AppendInt(nil, out, 10), nil
	})
	if ok {
		c.w.Int(out)
	}
}

func cmdHincrbyfloat(c *Client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.w.Error(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.w.Error("ERR value is NaN or Infinity")
		return
	}
	var out string
	ok = c.incrField(args[1], args[2], func(tx *engine.Tx, v []byte, found bool) ([]byte, error) {
		cur := new(big.Float).SetPrec(ldPrec)
		if found {
			f, ok := parseLongDouble(v)
			if !ok {
				return nil, replyError("ERR hash value is not a float")
			}
			cur = f
		}
		if cur.IsInf() {
			return nil, replyError("ERR increment would produce NaN or Infinity")
		}
		sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(cur, incr)
		if sum.MantExp(nil) > ldMaxExp {
			return nil, replyError("ERR increment would produce NaN or Infinity")
		}
		out = formatLongDouble(sum)
		tx.Propagate([]byte("HSET"), args[1], args[2], []byte(out)) // propagate.go
		return []byte(out), nil
	})
	if ok {
		c.w.BulkString(out)
	}
}

// maxRandomCount bounds the replies of HRANDFIELD, SRANDMEMBER and SPOP: Redis would try to
// build a reply of any size (and run out of memory); slotdb refuses past this many elements.
const maxRandomCount = 1 << 24

const errRandomTooBig = "ERR value is out of range"

func newRand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// parseRandCount is getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) for the count of the
// random commands.
func (c *Client) parseRandCount(b []byte) (int64, bool) {
	n, ok := c.intArg(b)
	if !ok {
		return 0, false
	}
	if n == math.MinInt64 {
		c.w.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, true
}

// cmdHrandfield is HRANDFIELD key [count [WITHVALUES]].
func cmdHrandfield(c *Client, args [][]byte) {
	if len(args) == 2 {
		var f []byte
		found := false
		ok := c.readHash(args[1], func(h *engine.Hash) error {
			if h == nil {
				return nil
			}
			es, err := h.Sample(1, true, newRand())
			if err == nil && len(es) == 1 {
				f, found = es[0].Sub, true
			}
			return err
		})
		if ok {
			c.bulkOrNull(f, found)
		}
		return
	}
	l, ok := c.parseRandCount(args[2])
	if !ok {
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withvalues")) {
		c.w.Error(errSyntax)
		return
	} else if len(args) == 4 {
		withValues = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.w.Error("ERR value is out of range")
			return
		}
	}
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	c.readHash(args[1], func(h *engine.Hash) error {
		if h == nil || count == 0 {
			c.w.Array(0)
			return nil
		}
		pair := func(f, v []byte) {
			if withValues && c.w.Proto == 3 {
				c.w.Array(2)
			}
			c.w.Bulk(f)
			if withValues {
				c.w.Bulk(v)
			}
		}
		header := func(n int64) {
			if withValues && c.w.Proto == 2 {
				c.w.Array(int(n * 2))
			} else {
				c.w.Array(int(n))
			}
		}
		if uniq && count >= h.Len() {
			// The whole hash, in its order.
			header(h.Len())
			written := int64(0)
			err := h.Each(func(f, v []byte) bool {
				if written == h.Len() {
					return false
				}
				pair(f, v)
				written++
				return true
			})
			if err == nil && written != h.Len() {
				err = errCountMismatch
			}
			return err
		}
		if count > maxRandomCount {
			return replyError(errRandomTooBig)
		}
		es, err := h.Sample(int(count), uniq, newRand())
		if err != nil {
			return err
		}
		header(int64(len(es)))
		for _, e := range es {
			pair(e.Sub, e.Value)
		}
		return nil
	})
}

// scanArgs are the options of HSCAN/SSCAN/ZSCAN: cursor [MATCH pattern] [COUNT count].
type scanArgs struct {
	cursor uint64
	count  int64
	pat    []byte // nil: everything

	// The walk of a hashtable collection (see page).
	visited int64
	last    []byte
	next    uint64 // the cursor to reply with
}

// parseScanArgs parses the cursor of a collection SCAN (args[1] is the key, args[2] the
// cursor) or writes the error. Redis checks the cursor, then the key, then the options: see
// scanOpts.
func (c *Client) parseScanArgs(args [][]byte) (scanArgs, bool) {
	sa := scanArgs{count: 10}
	cur, ok := parseScanCursor(args[2])
	if !ok {
		c.w.Error("ERR invalid cursor")
		return sa, false
	}
	sa.cursor = cur
	return sa, true
}

// scanOpts parses [MATCH pattern] [COUNT count] (args[3:]) once the key is known to exist with
// the right type (scanGenericCommand).
func (sa *scanArgs) scanOpts(args [][]byte) error {
	for i := 3; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "count") && more:
			n, ok := parseInt(args[i+1])
			if !ok {
				return replyError(errNotInt)
			}
			if n < 1 {
				return replyError(errSyntax)
			}
			sa.count = n
		case eqFold(args[i], "match") && more:
			sa.pat = args[i+1]
			if len(sa.pat) == 1 && sa.pat[0] == '*' {
				sa.pat = nil
			}
		default:
			return replyError(errSyntax)
		}
	}
	return nil
}

func (sa scanArgs) match(b []byte) bool { return sa.pat == nil || stringMatch(sa.pat, b, false) }

// elemCursors remember where a hashtable collection's SCAN stopped: the cursor is an opaque
// token for the last element returned, and the next call resumes just after it, whatever was
// added or removed meanwhile. An unknown token restarts from the beginning (SCAN allows
// duplicates, never misses). Compact encodings are returned whole with cursor 0, as in Redis.
var elemCursors = struct {
	mu    sync.Mutex
	next  uint64
	last  map[uint64][]byte
	order []uint64
}{last: map[uint64][]byte{}}

const maxElemCursors = 1 << 16

func saveElemCursor(sub []byte) uint64 {
	elemCursors.mu.Lock()
	defer elemCursors.mu.Unlock()
	elemCursors.next++
	t := elemCursors.next
	elemCursors.last[t] = append([]byte(nil), sub...)
	elemCursors.order = append(elemCursors.order, t)
	if len(elemCursors.order) > maxElemCursors {
		delete(elemCursors.last, elemCursors.order[0])
		elemCursors.order = elemCursors.order[1:]
	}
	return t
}

// resumeFrom is the first sub-key a cursor resumes at (nil: the beginning).
func resumeFrom(cursor uint64) []byte {
	if cursor == 0 {
		return nil
	}
	elemCursors.mu.Lock()
	defer elemCursors.mu.Unlock()
	last, ok := elemCursors.last[cursor]
	if !ok {
		return nil
	}
	return append(append([]byte(nil), last...), 0) // just after last
}

// page reports whether a hashtable collection's SCAN, walking from resumeFrom(sa.cursor), takes
// e, the next element: after count of them, more remain, and sa.next resumes after the last.
func (sa *scanArgs) page(e []byte) bool {
	if sa.visited == sa.count {
		sa.next = saveElemCursor(sa.last)
		return false
	}
	sa.visited++
	sa.last = append(sa.last[:0], e...)
	return true
}

// cmdHscan is HSCAN key cursor [MATCH pattern] [COUNT count].
func cmdHscan(c *Client, args [][]byte) {
	sa, ok := c.parseScanArgs(args)
	if !ok {
		return
	}
	var out [][]byte
	ok = c.readHash(args[1], func(h *engine.Hash) error {
		if h == nil {
			return nil
		}
		if err := sa.scanOpts(args); err != nil {
			return err
		}
		add := func(f, v []byte) bool {
			if sa.match(f) {
				out = append(out, append([]byte(nil), f...), append([]byte(nil), v...))
			}
			return true
		}
		if h.Listpack() {
			return h.Each(add)
		}
		return h.EachFrom(resumeFrom(sa.cursor), func(f, v []byte) bool { return sa.page(f) && add(f, v) })
	})
	if ok {
		c.writeScanReply(sa.next, out)
	}
}
