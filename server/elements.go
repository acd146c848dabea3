package server

import (
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Pieces the hash, set, sorted set, list and string commands share, where t_hash.c, t_set.c,
// t_zset.c, t_list.c and t_string.c each write them out again with the same replies.

// typedMeta reads key in tx for a command on type t: nil (no error) when the key is missing,
// WRONGTYPE when it holds another type.
func typedMeta(tx *engine.Tx, key []byte, t engine.Type) (*engine.Meta, error) {
	m, err := tx.Get(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != t {
		return nil, replyError(errWrongType)
	}
	return m, nil
}

// elemStore is a collection as removeElems sees it.
type elemStore interface {
	Len() int64
	Save() error
}

// removeElems is the loop of HDEL, SREM and ZREM: remove each element in turn, stop once the
// collection is empty (Redis deletes the key there), and save only when something went.
func removeElems(s elemStore, elems [][]byte, remove func([]byte) (bool, error)) (int64, error) {
	var n int64
	for _, e := range elems {
		gone, err := remove(e)
		if err != nil {
			return 0, err
		}
		if gone {
			n++
			if s.Len() == 0 {
				break
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.Save()
}

// replyLen answers HLEN, SCARD and ZCARD: key's element count, 0 when it is missing.
func (c *Client) replyLen(key []byte, t engine.Type) {
	m, ok := c.lookup(key)
	if !ok {
		return
	}
	switch {
	case m == nil:
		c.w.Int(0)
	case m.Type != t:
		c.w.Error(errWrongType)
	default:
		c.w.Int(m.Count)
	}
}

// writeScanReply writes a collection SCAN's reply: the next cursor, then the elements.
func (c *Client) writeScanReply(next uint64, out [][]byte) {
	c.w.Array(2)
	c.w.BulkString(strconv.FormatUint(next, 10))
	c.w.Array(len(out))
	for _, b := range out {
		c.w.Bulk(b)
	}
}

// bulkOrNull writes b, or the null reply when it was not found.
func (c *Client) bulkOrNull(b []byte, found bool) {
	if found {
		c.w.Bulk(b)
	} else {
		c.w.Null()
	}
}

// indexArgs parses a start/end pair of indexes (LRANGE, LTRIM, GETRANGE, ZRANGE by rank), or
// writes the error for the first that is not an integer.
func (c *Client) indexArgs(start, end []byte) (int64, int64, bool) {
	s, ok := c.intArg(start)
	if !ok {
		return 0, 0, false
	}
	e, ok := c.intArg(end)
	return s, e, ok
}

// indexRange normalizes start and end (negative counts from the end) over n elements as
// LRANGE, LTRIM, ZRANGE and ZREMRANGEBYRANK do; false when the range is empty.
func indexRange(start, end, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	if start > end || start >= n {
		return 0, 0, false
	}
	return start, min(end, n-1), true
}
