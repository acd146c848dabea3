package server

func init() {
	register("slowlog|get", cmdSlowlogGet)
	register("slowlog|len", func(c *Client, a [][]byte) { c.w.Int(int64(c.s.slowlog.len())) })
	register("slowlog|reset", func(c *Client, a [][]byte) { c.s.slowlog.reset(); c.w.OK() })
	register("slowlog|help", func(c *Client, a [][]byte) { writeHelp(c, slowlogHelp) })
}

func cmdSlowlogGet(c *Client, args [][]byte) {
	if len(args) > 3 {
		subcommandSyntaxError(c, args)
		return
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < -1 {
			c.w.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	entries := c.s.slowlog.get(count)
	c.w.Array(len(entries))
	for _, e := range entries {
		c.w.Array(6)
		c.w.Int(e.id)
		c.w.Int(e.unix)
		c.w.Int(e.micros)
		c.w.Array(len(e.args))
		for _, a := range e.args {
			c.w.BulkString(a)
		}
		c.w.BulkString(e.addr)
		c.w.BulkString(e.name)
	}
}

var slowlogHelp = []string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}
