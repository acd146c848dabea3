package server

func init() {
	register("config|get", cmdConfigGet)
	register("config|set", cmdConfigSet)
	register("config|resetstat", cmdConfigResetStat)
	register("config|rewrite", cmdConfigRewrite)
	register("config|help", cmdConfigHelp)
}

func cmdConfigGet(c *Client, args [][]byte) {
	pats := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		pats = append(pats, string(a))
	}
	pairs := c.s.cfg.Get(pats)
	c.w.Map(len(pairs))
	for _, p := range pairs {
		c.w.BulkString(p[0])
		c.w.BulkString(p[1])
	}
}

func cmdConfigSet(c *Client, args [][]byte) {
	vals := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		vals = append(vals, string(a))
	}
	if err := c.s.cfg.Set(vals); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}

func cmdConfigResetStat(c *Client, args [][]byte) {
	c.s.resetStats()
	c.w.OK()
}

func cmdConfigRewrite(c *Client, args [][]byte) {
	if err := c.s.cfg.Rewrite(); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}

var configHelp = []string{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

func cmdConfigHelp(c *Client, args [][]byte) {
	c.w.Array(len(configHelp))
	for _, l := range configHelp {
		c.w.Simple(l)
	}
}

func (s *Server) resetStats() {
	s.stats.connectionsReceived.Store(0)
	s.stats.commandsProcessed.Store(0)
	s.stats.rejectedConns.Store(0)
	s.stats.netInput.Store(0)
	s.stats.netOutput.Store(0)
	s.stats.protoErrors.Store(0)
	st := s.eng.Stats()
	st.ExpiredKeys.Store(0)
	st.KeyspaceHits.Store(0)
	st.KeyspaceMisses.Store(0)
	s.resetCommandStats()
}
