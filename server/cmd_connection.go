package server

import (
	"crypto/subtle"
	"strconv"
)

func init() {
	register("ping", cmdPing)
	register("echo", func(c *Client, a [][]byte) { c.w.Bulk(a[1]) })
	register("quit", func(c *Client, a [][]byte) { c.w.OK(); c.closeAfterReply = true })
	register("auth", cmdAuth)
	register("hello", cmdHello)
	register("select", cmdSelect)
	register("reset", cmdReset)
}

func cmdPing(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.w.Error("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.pubsubPing(args) { // RESP2 subscribed context: cmd_pubsub.go
		return
	}
	if len(args) == 2 {
		c.w.Bulk(args[1])
		return
	}
	c.w.Simple("PONG")
}

// checkPassword authenticates user/pass against requirepass (the default user is the only one).
func (c *Client) checkPassword(user, pass []byte) bool {
	want := c.s.cfg.RequirePass()
	if user != nil && string(user) != "default" {
		return false
	}
	if want == "" {
		return true // nopass default user accepts any password
	}
	return subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	var user []byte
	pass := args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if c.s.cfg.RequirePass() == "" {
		c.w.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !c.checkPassword(user, pass) {
		c.w.Error(errWrongPass)
		return
	}
	c.authed = true
	c.w.OK()
}

func cmdHello(c *Client, args [][]byte) {
	proto := c.w.Proto
	next := 1
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		next = 2
		if v < 2 || v > 3 {
			c.w.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var name []byte
	authed := false
	for j := next; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case eqFold(args[j], "auth") && more >= 2:
			if !c.checkPassword(args[j+1], args[j+2]) {
				c.w.Error(errWrongPass)
				return
			}
			authed = true
			j += 2
		case eqFold(args[j], "setname") && more >= 1:
			name = args[j+1]
			if !validClientName(name) {
				c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			j++
		default:
			c.w.Error("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if !c.authed && !authed {
		c.w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if authed {
		c.authed = true
	}
	if name != nil {
		c.name = string(name)
	}
	c.w.Proto = proto
	mode := "standalone"
	if c.s.cfg.ClusterEnabled() {
		mode = "cluster"
	}
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString(mode)
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.Array(0)
}

func cmdSelect(c *Client, args [][]byte) {
	n, ok := parseInt(args[1])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	if c.s.cfg.ClusterEnabled() && n != 0 {
		c.w.Error("ERR SELECT is not allowed in cluster mode")
		return
	}
	if n < 0 || n >= int64(c.s.eng.Databases()) {
		c.w.Error(errDBIndex)
		return
	}
	c.db = int(n)
	c.w.OK()
}

func cmdReset(c *Client, args [][]byte) {
	c.resetTransaction() // MULTI, WATCH, subscriptions: cmd_multi.go
	c.db = 0
	c.w.Proto = 2
	c.name = ""
	c.replyMode = replyOn
	c.skipThis = false
	c.noEvict = false
	c.readonly, c.asking = false, false // clearClientConnectionState drops READONLY and ASKING
	c.authed = c.s.cfg.RequirePass() == ""
	if c.isMonitor {
		c.isMonitor = false
		c.s.removeMonitor(c)
	}
	c.w.Simple("RESET")
}

func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
