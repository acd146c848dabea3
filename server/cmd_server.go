package server

import (
	"strconv"
	"time"

	"github.com/slotdb/slotdb/server/cmdmeta"
)

func init() {
	register("dbsize", func(c *Client, a [][]byte) { c.w.Int(c.s.eng.DBSize(c.db)) })
	register("flushdb", cmdFlushDB)
	register("flushall", cmdFlushAll)
	register("swapdb", cmdSwapDB)
	register("time", cmdTime)
	register("lastsave", func(c *Client, a [][]byte) { c.w.Int(c.s.lastSave.Load()) })
	register("shutdown", cmdShutdown)
	register("monitor", cmdMonitor)
	register("command", cmdCommand)
	for _, sub := range []string{"count", "info", "docs", "list", "getkeys", "getkeysandflags", "help"} {
		register("command|"+sub, cmdCommand)
	}
}

// flushMode parses the optional SYNC/ASYNC argument. Both are instant here: a flush is a
// range tombstone.
func flushMode(c *Client, args [][]byte) bool {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "sync") && !eqFold(args[1], "async")) {
		c.w.Error(errSyntax)
		return false
	}
	return true
}

func cmdFlushDB(c *Client, args [][]byte) {
	if !flushMode(c, args) {
		return
	}
	c.s.touchWatchedOnFlush(c.db)    // WATCH: cmd_multi.go
	c.s.migrationsFlushed("flushdb") // slot migrations: migrateslots_flush.go
	if err := c.s.eng.FlushDB(c.db); err != nil {
		c.storeError(err)
		return
	}
	c.s.signalDB(c.db)            // blocked XREADGROUP clients learn their stream is gone: blocking.go
	c.s.propagateArgv(c.db, args) // propagate.go
	c.w.OK()
}

func cmdFlushAll(c *Client, args [][]byte) {
	if !flushMode(c, args) {
		return
	}
	c.s.touchWatchedOnFlush(-1)
	c.s.migrationsFlushed("flushall") // slot migrations: migrateslots_flush.go
	if err := c.s.eng.FlushAll(); err != nil {
		c.storeError(err)
		return
	}
	for db := range c.s.eng.Databases() {
		c.s.signalDB(db)
	}
	c.s.propagateArgv(-1, args) // propagate.go
	c.w.OK()
}

func cmdSwapDB(c *Client, args [][]byte) {
	a, ok1 := parseInt(args[1])
	if !ok1 {
		c.w.Error("ERR invalid first DB index")
		return
	}
	b, ok2 := parseInt(args[2])
	if !ok2 {
		c.w.Error("ERR invalid second DB index")
		return
	}
	if c.s.cfg.ClusterEnabled() {
		c.w.Error("ERR SWAPDB is not allowed in cluster mode")
		return
	}
	n := int64(c.s.eng.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.w.Error(errDBIndex)
		return
	}
	if a != b {
		c.s.touchWatchedOnSwap(int(a), int(b))
		if err := c.s.eng.SwapDB(int(a), int(b)); err != nil {
			c.storeError(err)
			return
		}
		c.s.signalDB(int(a)) // scanDatabaseForReadyKeys: blocked clients see the other data
		c.s.signalDB(int(b))
	}
	c.s.propagateArgv(c.db, args) // propagate.go
	c.w.OK()
}

func cmdTime(c *Client, args [][]byte) {
	now := time.Now()
	c.w.Array(2)
	c.w.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.BulkString(strconv.Itoa(now.Nanosecond() / 1000))
}

func cmdShutdown(c *Client, args [][]byte) {
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"), eqFold(a, "save"), eqFold(a, "now"), eqFold(a, "force"), eqFold(a, "abort"):
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	for _, a := range args[1:] {
		if eqFold(a, "abort") {
			c.w.Error("ERR No shutdown in progress.")
			return
		}
	}
	// The client gets no reply: the connection closes, as with Redis.
	c.s.log.Warn("User requested shutdown...")
	go c.s.Shutdown("Shutting down")
	c.closeAfterReply = true
}

func cmdMonitor(c *Client, args [][]byte) {
	if c.isMonitor {
		return
	}
	c.isMonitor = true
	c.w.OK()
	c.s.addMonitor(c)
}

func cmdCommand(c *Client, args [][]byte) {
	cmdmeta.WriteCommand(&c.w, args, c.s.implemented)
}
