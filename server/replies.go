package server

import (
	"errors"
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Shared error replies, worded as Redis 7.0's shared objects.
const (
	errWrongType  = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errSyntax     = "ERR syntax error"
	errNotInt     = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errOverflow   = "ERR increment or decrement would overflow"
	errDBIndex    = "ERR DB index is out of range"
	errNoSuchKey  = "ERR no such key"
	errStringSize = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errSameObject = "ERR source and destination objects are the same"
)

// replyError aborts a transaction with a reply for the client; nothing is written.
type replyError string

func (e replyError) Error() string { return string(e) }

// update runs fn as one atomic change over keys and reports success; on failure it has
// written the error reply.
func (c *Client) update(keys [][]byte, fn func(tx *engine.Tx) error) bool {
	run := func(tx *engine.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		c.propagateDefault(tx) // propagate.go
		return nil
	}
	var err error
	if c.group != nil {
		err = c.group.Update(keys, run) // a pipelined SET: pipeline.go
	} else if c.applyRun != nil {
		err = c.applyRun.Update(c.db, keys, run) // the master's stream on a replica: repl_apply.go
	} else {
		err = c.s.eng.Update(c.db, keys, run)
	}
	if err == nil {
		return true
	}
	c.storeError(err)
	return false
}

func (c *Client) storeError(err error) {
	var re replyError
	if errors.As(err, &re) {
		c.w.Error(string(re))
		return
	}
	c.s.log.Warn("store error: " + err.Error())
	c.w.Error("ERR " + err.Error())
}

// lookup reads key's live metadata for a read command; ok is false after an error reply.
func (c *Client) lookup(key []byte) (*engine.Meta, bool) {
	m, err := c.s.eng.Lookup(c.db, key)
	if err != nil {
		c.storeError(err)
		return nil, false
	}
	return m, true
}

// parseInt is Redis's string2ll: the strict integer syntax of getLongLongFromObject.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	if b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// intArg parses an integer argument or writes Redis's error.
func (c *Client) intArg(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.w.Error(errNotInt)
	}
	return n, ok
}

func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}
