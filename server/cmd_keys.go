package server

import (
	"github.com/slotdb/slotdb/engine"
)

func init() {
	register("del", cmdDel)
	register("unlink", cmdDel)
	register("exists", cmdExists)
	register("touch", cmdTouch)
	register("type", cmdType)
	register("expire", func(c *Client, a [][]byte) { expireGeneric(c, a, true, true) })
	register("pexpire", func(c *Client, a [][]byte) { expireGeneric(c, a, false, true) })
	register("expireat", func(c *Client, a [][]byte) { expireGeneric(c, a, true, false) })
	register("pexpireat", func(c *Client, a [][]byte) { expireGeneric(c, a, false, false) })
	register("ttl", func(c *Client, a [][]byte) { ttlGeneric(c, a[1], true, false) })
	register("pttl", func(c *Client, a [][]byte) { ttlGeneric(c, a[1], false, false) })
	register("expiretime", func(c *Client, a [][]byte) { ttlGeneric(c, a[1], true, true) })
	register("pexpiretime", func(c *Client, a [][]byte) { ttlGeneric(c, a[1], false, true) })
	register("persist", cmdPersist)
}

func cmdDel(c *Client, args [][]byte) {
	var n int64
	ok := c.update(args[1:], func(tx *engine.Tx) error {
		for _, k := range args[1:] {
			m, err := tx.Get(k)
			if err != nil {
				return err
			}
			if m == nil {
				continue
			}
			if _, err := tx.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if ok {
		c.w.Int(n)
	}
}

// cmdExists counts live keys, a key named twice counting twice. EXISTS leaves the keys' access
// data alone; TOUCH is the same count with an access of each key.
func cmdExists(c *Client, args [][]byte) { countKeys(c, args, c.lookupNoTouch) }
func cmdTouch(c *Client, args [][]byte)  { countKeys(c, args, c.lookup) }

func countKeys(c *Client, args [][]byte, lookup func([]byte) (*engine.Meta, bool)) {
	var n int64
	for _, k := range args[1:] {
		m, ok := lookup(k)
		if !ok {
			return
		}
		if m != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdType(c *Client, args [][]byte) {
	m, ok := c.lookupNoTouch(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Simple("none")
		return
	}
	c.w.Simple(m.Type.String())
}

// Flags of EXPIRE's NX/XX/GT/LT (expire.c expireGenericCommand).
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

func expireGeneric(c *Client, args [][]byte, seconds, relative bool) {
	key := args[1]
	flags := 0
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			flags |= expNX
		case eqFold(a, "xx"):
			flags |= expXX
		case eqFold(a, "gt"):
			flags |= expGT
		case eqFold(a, "lt"):
			flags |= expLT
		default:
			c.w.Error("ERR Unsupported option " + string(a))
			return
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		c.w.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		c.w.Error("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.intArg(args[2])
	if !ok {
		return
	}
	now := c.s.eng.Now()
	// Overflow checks as Redis: the unit conversion, then adding the base time.
	if seconds {
		if when > maxInt64/1000 || when < minInt64/1000 {
			c.w.Error("ERR invalid expire time in '" + c.lastCmd + "' command")
			return
		}
		when *= 1000
	}
	if relative {
		if when > maxInt64-now {
			c.w.Error("ERR invalid expire time in '" + c.lastCmd + "' command")
			return
		}
		when += now
	}
	var res int64
	ok = c.update([][]byte{key}, func(tx *engine.Tx) error {
		m, err := tx.Get(key)
		if err != nil || m == nil {
			return err
		}
		cur := m.ExpireAt
		switch {
		case flags&expNX != 0 && cur != 0,
			flags&expXX != 0 && cur == 0,
			flags&expGT != 0 && (cur == 0 || when <= cur),
			flags&expLT != 0 && cur != 0 && when >= cur:
			return nil
		}
		res = 1
		if when <= tx.Now() {
			propagateDel(tx, key) // propagate.go
			_, err = tx.Delete(key)
			return err
		}
		n := *m
		n.ExpireAt = when
		propagateExpireAt(tx, key, when)
		return tx.Put(key, &n)
	})
	if ok {
		c.w.Int(res)
	}
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// ttlGeneric answers TTL/PTTL (remaining) or EXPIRETIME/PEXPIRETIME (absolute): -2 when the
// key is missing, -1 when it has no expiry.
func ttlGeneric(c *Client, key []byte, seconds, absolute bool) {
	m, ok := c.lookupNoTouch(key)
	if !ok {
		return
	}
	switch {
	case m == nil:
		c.w.Int(-2)
	case m.ExpireAt == 0:
		c.w.Int(-1)
	default:
		v := m.ExpireAt
		if !absolute {
			v = max(v-c.s.eng.Now(), 0)
		}
		if seconds {
			if absolute {
				v /= 1000
			} else {
				v = (v + 500) / 1000
			}
		}
		c.w.Int(v)
	}
}

func cmdPersist(c *Client, args [][]byte) {
	var res int64
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := tx.Get(args[1])
		if err != nil || m == nil || m.ExpireAt == 0 {
			return err
		}
		res = 1
		n := *m
		n.ExpireAt = 0
		return tx.Put(args[1], &n)
	})
	if ok {
		c.w.Int(res)
	}
}
