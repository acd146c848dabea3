package server

import (
	"math"

	"github.com/slotdb/slotdb/engine"
)

func init() {
	register("get", cmdGet)
	register("set", cmdSet)
	register("setnx", cmdSetNX)
	register("setex", func(c *Client, a [][]byte) { setWithTTL(c, a, 1000) })
	register("psetex", func(c *Client, a [][]byte) { setWithTTL(c, a, 1) })
	register("getset", cmdGetSet)
	register("getdel", cmdGetDel)
	register("getex", cmdGetEx)
	register("mget", cmdMGet)
	register("mset", func(c *Client, a [][]byte) { msetGeneric(c, a, false) })
	register("msetnx", func(c *Client, a [][]byte) { msetGeneric(c, a, true) })
	register("append", cmdAppend)
	register("strlen", cmdStrlen)
	register("getrange", cmdGetRange)
	register("substr", cmdGetRange)
	register("setrange", cmdSetRange)
}

// getString reads a string key: (nil, true) when absent; ok is false after an error reply.
func (c *Client) getString(key []byte) ([]byte, bool) {
	m, ok := c.lookup(key)
	if !ok || m == nil {
		return nil, ok
	}
	if m.Type != engine.TypeString {
		c.w.Error(errWrongType)
		return nil, false
	}
	return m.Value, true
}

// txString reads a string key inside a transaction; absent gives (nil, nil).
func txString(tx *engine.Tx, key []byte) (*engine.Meta, error) {
	m, err := tx.Get(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != engine.TypeString {
		return nil, replyError(errWrongType)
	}
	return m, nil
}

func cmdGet(c *Client, args [][]byte) {
	v, ok := c.getString(args[1])
	if !ok {
		return
	}
	if v == nil {
		c.w.Null()
		return
	}
	c.w.Bulk(v)
}

// Flags of SET/GETEX option parsing (t_string.c parseExtendedStringArgumentsOrReply).
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT
	setExpireMask = setEX | setPX | setEXAT | setPXAT
)

// parseSetOptions parses SET (isSet) or GETEX options from args[from:], returning the flags
// and the expire argument.
func parseSetOptions(c *Client, args [][]byte, from int, isSet bool) (flags int, expire []byte, ok bool) {
	for j := from; j < len(args); j++ {
		opt := args[j]
		var next []byte
		if j < len(args)-1 {
			next = args[j+1]
		}
		switch {
		case isSet && eqFold(opt, "nx") && flags&setXX == 0:
			flags |= setNX
		case isSet && eqFold(opt, "xx") && flags&setNX == 0:
			flags |= setXX
		case isSet && eqFold(opt, "get"):
			flags |= setGet
		case isSet && eqFold(opt, "keepttl") && flags&(setPersist|setExpireMask) == 0:
			flags |= setKeepTTL
		case !isSet && eqFold(opt, "persist") && flags&(setExpireMask|setKeepTTL) == 0:
			flags |= setPersist
		case eqFold(opt, "ex") && flags&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0 && next != nil:
			flags |= setEX
			expire = next
			j++
		case eqFold(opt, "px") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && next != nil:
			flags |= setPX
			expire = next
			j++
		case eqFold(opt, "exat") && flags&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && next != nil:
			flags |= setEXAT
			expire = next
			j++
		case eqFold(opt, "pxat") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0 && next != nil:
			flags |= setPXAT
			expire = next
			j++
		default:
			c.w.Error(errSyntax)
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// expireAt converts an expire argument to an absolute unix ms time, with Redis's checks
// (getExpireMillisecondsOrReply). cmdName is the name in the error text.
func expireAt(c *Client, arg []byte, seconds, relative bool, now int64) (int64, bool) {
	ms, ok := c.intArg(arg)
	if !ok {
		return 0, false
	}
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.w.Error("ERR invalid expire time in '" + c.lastCmd + "' command")
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if relative {
		if ms > math.MaxInt64-now {
			c.w.Error("ERR invalid expire time in '" + c.lastCmd + "' command")
			return 0, false
		}
		ms += now
	}
	return ms, true
}

func cmdSet(c *Client, args [][]byte) {
	flags, expire, ok := parseSetOptions(c, args, 3, true)
	if !ok {
		return
	}
	var at int64
	if expire != nil {
		at, ok = expireAt(c, expire, flags&(setEX|setEXAT) != 0, flags&(setEX|setPX) != 0, c.s.eng.Now())
		if !ok {
			return
		}
	}
	setGeneric(c, args[1], args[2], flags, at)
}

func setGeneric(c *Client, key, val []byte, flags int, at int64) {
	var old *engine.Meta
	aborted := false
	ok := c.update([][]byte{key}, func(tx *engine.Tx) error {
		cur, err := tx.Get(key)
		if err != nil {
			return err
		}
		if flags&setGet != 0 && cur != nil && cur.Type != engine.TypeString {
			return replyError(errWrongType)
		}
		if flags&setGet != 0 && cur != nil {
			tx.Touch(key) // Redis looks the key up twice: getGenericCommand, then for the write
		}
		old = cur
		if (flags&setNX != 0 && cur != nil) || (flags&setXX != 0 && cur == nil) {
			aborted = true
			return nil
		}
		m := &engine.Meta{Type: engine.TypeString, Value: val, ExpireAt: at}
		if flags&setKeepTTL != 0 && cur != nil {
			m.ExpireAt = cur.ExpireAt
		}
		if at != 0 {
			tx.Propagate([]byte("SET"), key, val, []byte("PXAT"), msArg(at)) // propagate.go
		}
		return tx.Put(key, m)
	})
	if !ok {
		return
	}
	switch {
	case flags&setGet != 0:
		if old == nil {
			c.w.Null()
		} else {
			c.w.Bulk(old.Value)
		}
	case aborted:
		c.w.Null()
	default:
		c.w.OK()
	}
}

func cmdSetNX(c *Client, args [][]byte) {
	created := false
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		cur, err := tx.Get(args[1])
		if err != nil || cur != nil {
			return err
		}
		created = true
		return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: args[2]})
	})
	if ok {
		c.w.Int(b2i(created))
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func setWithTTL(c *Client, args [][]byte, unit int64) {
	at, ok := expireAt(c, args[2], unit == 1000, true, c.s.eng.Now())
	if !ok {
		return
	}
	setGeneric(c, args[1], args[3], 0, at)
}

func cmdGetSet(c *Client, args [][]byte) { setGeneric(c, args[1], args[2], setGet, 0) }

func cmdGetDel(c *Client, args [][]byte) {
	var old *engine.Meta
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil || m == nil {
			return err
		}
		old = m
		_, err = tx.Delete(args[1])
		return err
	})
	if !ok {
		return
	}
	if old == nil {
		c.w.Null()
	} else {
		c.w.Bulk(old.Value)
	}
}

func cmdGetEx(c *Client, args [][]byte) {
	flags, expire, ok := parseSetOptions(c, args, 2, false)
	if !ok {
		return
	}
	// Redis looks the key up before it validates the expire time.
	m, ok := c.lookup(args[1])
	if !ok {
		return
	}
	if m == nil {
		c.w.Null()
		return
	}
	if m.Type != engine.TypeString {
		c.w.Error(errWrongType)
		return
	}
	var at int64
	if expire != nil {
		at, ok = expireAt(c, expire, flags&(setEX|setEXAT) != 0, flags&(setEX|setPX) != 0, c.s.eng.Now())
		if !ok {
			return
		}
	}
	var val []byte
	ok = c.update(args[1:2], func(tx *engine.Tx) error {
		tx.SkipTouch() // the lookup above was the command's access
		m, err := txString(tx, args[1])
		if err != nil || m == nil {
			return err
		}
		val = m.Value
		switch {
		case expire != nil && at <= tx.Now():
			// An expiry already in the past deletes the key, as Redis does.
			propagateDel(tx, args[1])
			_, err = tx.Delete(args[1])
		case expire != nil:
			n := *m
			n.ExpireAt = at
			propagateExpireAt(tx, args[1], at)
			err = tx.Put(args[1], &n)
		case flags&setPersist != 0 && m.ExpireAt != 0:
			n := *m
			n.ExpireAt = 0
			tx.Propagate([]byte("PERSIST"), args[1])
			err = tx.Put(args[1], &n)
		}
		return err
	})
	if !ok {
		return
	}
	if val == nil {
		c.w.Null()
	} else {
		c.w.Bulk(val)
	}
}

func cmdMGet(c *Client, args [][]byte) {
	c.w.Array(len(args) - 1)
	for _, k := range args[1:] {
		m, err := c.s.eng.Lookup(c.db, k)
		if err != nil || m == nil || m.Type != engine.TypeString {
			c.w.Null()
			continue
		}
		c.w.Bulk(m.Value)
	}
}

func msetGeneric(c *Client, args [][]byte, nx bool) {
	if len(args)%2 == 0 {
		c.w.Error("ERR wrong number of arguments for '" + c.lastCmd + "' command")
		return
	}
	keys := make([][]byte, 0, len(args)/2)
	for i := 1; i < len(args); i += 2 {
		keys = append(keys, args[i])
	}
	set := true
	ok := c.update(keys, func(tx *engine.Tx) error {
		if nx {
			for _, k := range keys {
				if m, err := tx.Get(k); err != nil {
					return err
				} else if m != nil {
					set = false
					return nil
				}
			}
		}
		for i := 1; i < len(args); i += 2 {
			if err := tx.Put(args[i], &engine.Meta{Type: engine.TypeString, Value: args[i+1]}); err != nil {
				return err
			}
		}
		return nil
	})
	if !ok {
		return
	}
	if nx {
		c.w.Int(b2i(set))
	} else {
		c.w.OK()
	}
}

func cmdAppend(c *Client, args [][]byte) {
	var n int
	ok := c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil {
			return err
		}
		if m == nil {
			n = len(args[2])
			return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: args[2]})
		}
		if int64(len(m.Value)+len(args[2])) > c.s.cfg.ProtoMaxBulk() {
			return replyError(errStringSize)
		}
		v := make([]byte, 0, len(m.Value)+len(args[2]))
		v = append(append(v, m.Value...), args[2]...)
		n = len(v)
		return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: v, ExpireAt: m.ExpireAt, Flags: engine.FlagRaw})
	})
	if ok {
		c.w.Int(int64(n))
	}
}

func cmdStrlen(c *Client, args [][]byte) {
	if v, ok := c.getString(args[1]); ok {
		c.w.Int(int64(len(v)))
	}
}

func cmdGetRange(c *Client, args [][]byte) {
	start, end, ok := c.indexArgs(args[2], args[3])
	if !ok {
		return
	}
	v, ok := c.getString(args[1])
	if !ok {
		return
	}
	if v == nil {
		c.w.BulkString("")
		return
	}
	// t_string.c getrangeCommand.
	if start < 0 && end < 0 && start > end {
		c.w.BulkString("")
		return
	}
	n := int64(len(v))
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.w.BulkString("")
		return
	}
	c.w.Bulk(v[start : end+1])
}

func cmdSetRange(c *Client, args [][]byte) {
	off, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if off < 0 {
		c.w.Error("ERR offset is out of range")
		return
	}
	val := args[3]
	var n int
	ok = c.update(args[1:2], func(tx *engine.Tx) error {
		m, err := txString(tx, args[1])
		if err != nil {
			return err
		}
		if m == nil && len(val) == 0 {
			return nil
		}
		var cur []byte
		var exp int64
		if m != nil {
			cur, exp = m.Value, m.ExpireAt
			if len(val) == 0 {
				n = len(cur)
				return nil
			}
		}
		if off > c.s.cfg.ProtoMaxBulk()-int64(len(val)) {
			return replyError(errStringSize)
		}
		size := max(int64(len(cur)), off+int64(len(val)))
		v := make([]byte, size)
		copy(v, cur)
		copy(v[off:], val)
		n = len(v)
		return tx.Put(args[1], &engine.Meta{Type: engine.TypeString, Value: v, ExpireAt: exp, Flags: engine.FlagRaw})
	})
	if ok {
		c.w.Int(int64(n))
	}
}
