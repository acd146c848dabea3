package server

import (
	"errors"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// DUMP and RESTORE (cluster.c dumpCommand / restoreCommand of 7.0.15). Payloads are the rdb
// package's object codec: RDB version 10 footers and type bytes a Redis 7.0 loads. RESTORE's
// IDLETIME or FREQ sets the new key's access data as objectSetLRUOrLFU does: IDLETIME under
// an LRU (or no-eviction) policy, FREQ under an LFU one, the other ignored. DUMP payloads
// carry neither, as in Redis.

func init() {
	register("dump", cmdDump)
	register("restore", cmdRestore)
	register("restore-asking", cmdRestore)
}

const errBusyKey = "BUSYKEY Target key name already exists."

func cmdDump(c *Client, args [][]byte) {
	key := args[1]
	var payload []byte
	ok := c.viewKeys([][]byte{key}, func(tx *engine.Tx) error {
		m, err := tx.Get(key)
		if err != nil || m == nil {
			return err
		}
		o, err := tx.ReadObject(key, m)
		if err != nil {
			return err
		}
		payload = rdb.EncodeDump(o)
		return nil
	})
	if !ok {
		return
	}
	if payload == nil {
		c.w.Null()
		return
	}
	c.w.Bulk(payload)
}

// objectLimits are the live encoding thresholds values are built with.
func (c *Client) objectLimits() engine.ObjectLimits {
	return engine.ObjectLimits{Hash: c.hashLimits(), Set: c.setLimits(), ZSet: c.zsetLimits(), Stream: c.streamLimits()}
}

func cmdRestore(c *Client, args [][]byte) {
	key := args[1]
	var replace, absTTL bool
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case eqFold(args[j], "replace"):
			replace = true
		case eqFold(args[j], "absttl"):
			absTTL = true
		case eqFold(args[j], "idletime") && more >= 1 && freq == -1:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 {
				c.w.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			j++
		case eqFold(args[j], "freq") && more >= 1 && idle == -1:
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.w.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			j++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	// Redis checks the key first, then the TTL, then the payload: the later errors are
	// found now and reported in that order inside the transaction.
	ttl, ttlOK := parseInt(args[2])
	var later error
	switch {
	case !ttlOK:
		later = replyError(errNotInt)
	case ttl < 0:
		later = replyError("ERR Invalid TTL value, must be >= 0")
	}
	var obj rdb.Object
	if later == nil {
		var err error
		if obj, err = rdb.DecodeDump(args[3]); err != nil {
			var de *rdb.DumpError
			if errors.As(err, &de) {
				later = replyError("ERR " + de.Error())
			} else {
				later = replyError("ERR Bad data format")
			}
		}
	}
	lim := c.objectLimits()
	ok := c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := tx.Get(key)
		if err != nil {
			return err
		}
		if m != nil && !replace {
			return replyError(errBusyKey)
		}
		if later != nil {
			return later
		}
		at := int64(0)
		if ttl > 0 {
			at = ttl
			if !absTTL {
				at += tx.Now()
			}
			if at <= tx.Now() { // already expired: OK, and the old key is gone (REPLACE)
				if m != nil {
					propagateDel(tx, key) // propagate.go
					_, err := tx.Delete(key)
					return err
				}
				return nil
			}
			if !absTTL { // a relative TTL propagates as absolute, as Redis rewrites it
				argv := append([][]byte{}, c.argv...)
				argv[2] = msArg(at)
				tx.Propagate(append(argv, []byte("ABSTTL"))...)
			}
		}
		if err := tx.PutObject(key, &obj, at, lim); err != nil {
			return err
		}
		tx.RestoredAccess(key, idle, int(freq)) // engine/access.go
		return nil
	})
	if ok {
		c.w.OK()
	}
}
