// Package cmdmeta is Redis 7.0.15's command table as Redis itself describes it: name,
// arity, flags, legacy key range, ACL categories, tips, key specs, subcommands and the full
// COMMAND DOCS entry of every command, captured from a real redis-server into commands.json
// (see internal/gen). It answers COMMAND and its subcommands byte for byte, and finds the
// key arguments of any argv the way Redis does, for the dispatcher and the cluster router.
package cmdmeta

import (
	"sort"
	"strings"

	"github.com/slotdb/slotdb/server/resp"
)

// Command is one command or subcommand. Everything is read-only after init.
type Command struct {
	// Name is the lowercase full name: "get", or "config|get" for a subcommand.
	Name string
	// SubName is the part after '|' for a subcommand, else equal to Name.
	SubName                 string
	Arity                   int
	Flags                   []string // as COMMAND INFO lists them: "write", "readonly", ...
	FirstKey, LastKey, Step int
	ACLCategories           []string // with '@': "@read", "@string", ...
	Tips                    []string // "nondeterministic_output", "request_policy:all_shards", ...
	KeySpecs                []KeySpec
	Subcommands             map[string]*Command // by lowercase SubName; nil for a leaf
	Parent                  *Command            // nil for a top-level command
	Group                   string              // COMMAND DOCS group: "string", "generic", ...

	// Info is this command's COMMAND INFO entry, Docs its COMMAND DOCS value (the map
	// after the name), both exactly as Redis replied over RESP3.
	Info resp.Value
	Docs resp.Value

	// Flag booleans, one per entry of Flags.
	Write, ReadOnly, DenyOOM, Admin, PubSub, NoScript, Blocking, Loading, Stale,
	SkipMonitor, SkipSlowlog, Asking, Fast, NoAuth, MayReplicate, NoMandatoryKeys,
	NoAsyncLoading, NoMulti, MovableKeys, AllowBusy bool

	getkeys getkeysProc // Redis's getkeys_proc, used only where the key specs fall short
}

var (
	commands map[string]*Command // top-level, by lowercase name
	all      []*Command          // top-level, sorted by name
)

// Lookup finds a command by name, case-insensitively. "container|sub" finds a subcommand,
// as COMMAND INFO and COMMAND DOCS accept it.
func Lookup(name string) *Command {
	parent, sub, isSub := strings.Cut(name, "|")
	c := commands[lower(parent)]
	if !isSub {
		return c
	}
	if c == nil || c.Subcommands == nil || strings.Contains(sub, "|") {
		return nil
	}
	return c.Subcommands[lower(sub)]
}

// LookupArgv resolves an argv the way Redis's lookupCommand does: args[0] names the
// command; for a container with more than one argument args[1] names the subcommand, and an
// unknown subcommand gives nil. A container alone (len(args) == 1) gives the container.
func LookupArgv(args [][]byte) *Command {
	if len(args) == 0 {
		return nil
	}
	c := commands[lower(string(args[0]))]
	if c == nil || c.Subcommands == nil || len(args) == 1 {
		return c
	}
	return c.Subcommands[lower(string(args[1]))]
}

// All returns the top-level commands sorted by name. Callers must not modify the slice.
func All() []*Command { return all }

// SortedSubcommands returns c's subcommands sorted by name (nil for a leaf).
func (c *Command) SortedSubcommands() []*Command {
	if c.Subcommands == nil {
		return nil
	}
	out := make([]*Command, 0, len(c.Subcommands))
	for _, s := range c.Subcommands {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// HasFlag reports whether COMMAND INFO lists flag (e.g. "write") for c.
func (c *Command) HasFlag(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// HasACLCategory reports whether c is in category cat, named without '@' ("read"),
// case-insensitively, as COMMAND LIST FILTERBY ACLCAT matches it.
func (c *Command) HasACLCategory(cat string) bool {
	cat = "@" + lower(cat)
	for _, a := range c.ACLCategories {
		if a == cat {
			return true
		}
	}
	return false
}

// CheckArity reports whether argc (including the command name, and the subcommand name for
// a subcommand) fits c's arity as Redis checks it.
func (c *Command) CheckArity(argc int) bool {
	if c.Arity > 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// lower folds ASCII only, like Redis's strcasecmp: a Unicode fold could turn a non-ASCII
// name into a real one (the Kelvin sign lowercases to 'k').
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
