package server

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/slotdb/slotdb/server/cmdmeta"
)

// handler runs one command; it writes its reply to c.
type handler func(c *Client, args [][]byte)

// command is an implemented command: Redis's metadata plus our handler.
type command struct {
	meta *cmdmeta.Command
	fn   handler
	subs map[string]*command // container commands (CONFIG, CLIENT, ...)
	stat cmdStat             // INFO commandstats / latencystats
}

// registry collects handlers from the cmd_*.go files' init functions.
var registry = map[string]handler{}

// register declares the handler for a command ("get") or subcommand ("config|get").
func register(name string, fn handler) {
	if cmdmeta.Lookup(name) == nil {
		panic("register: Redis has no command " + name)
	}
	registry[name] = fn
}

func buildCommandTable() map[string]*command {
	table := map[string]*command{}
	node := func(name string) *command {
		if table[name] == nil {
			c := &command{meta: cmdmeta.Lookup(name)}
			if c.meta.Subcommands != nil {
				c.subs = map[string]*command{}
			}
			table[name] = c
		}
		return table[name]
	}
	for name, fn := range registry {
		parent, sub, isSub := strings.Cut(name, "|")
		if isSub {
			node(parent).subs[sub] = &command{meta: cmdmeta.Lookup(name), fn: fn}
		} else {
			node(name).fn = fn
		}
	}
	return table
}

// implemented reports whether a command name ("get", "config|get") is served, for COMMAND.
func (s *Server) implemented(name string) bool {
	parent, sub, isSub := strings.Cut(name, "|")
	c := s.commands[parent]
	if c == nil {
		return false
	}
	if !isSub {
		return true
	}
	return c.subs[sub] != nil
}

// lookup resolves argv to a command, or writes Redis's error and returns nil.
func (s *Server) lookup(c *Client, args [][]byte) *command {
	var buf [32]byte
	cmd := s.commands[string(lowerInto(buf[:0], args[0]))]
	if cmd == nil {
		var b strings.Builder
		for i := 1; i < len(args) && b.Len() < 128; i++ {
			fmt.Fprintf(&b, "'%.*s' ", 128-b.Len(), cString(args[i]))
		}
		c.w.Error(sanitize(fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", cString(args[0]), b.String())))
		return nil
	}
	if cmd.meta.Subcommands != nil && len(args) >= 2 {
		sub := cmd.subs[string(lowerInto(buf[:0], args[1]))]
		if sub == nil {
			c.w.Error(sanitize(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", cString(args[1]), strings.ToUpper(string(cString(args[0]))))))
			return nil
		}
		cmd = sub
	}
	if !cmd.meta.CheckArity(len(args)) {
		c.w.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.meta.Name))
		return nil
	}
	return cmd
}

// lowerInto lowercases ASCII into buf; converted at a map index it does not allocate.
func lowerInto(buf []byte, b []byte) []byte {
	for _, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf = append(buf, ch)
	}
	return buf
}

// cString cuts b at its first NUL, as Redis's "%s" formatting of an argument does.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sanitize replaces newlines as addReplyErrorFormat does, keeping the reply one line.
func sanitize(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
