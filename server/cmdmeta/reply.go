package cmdmeta

import (
	"bytes"
	"strings"

	"github.com/slotdb/slotdb/server/resp"
)

// The reply builders take implemented, which reports whether the server implements a
// command, by lowercase full name ("get", "config|get"); nil means every command. A
// command it rejects is absent everywhere, exactly like a command Redis does not have, and
// a rejected subcommand disappears from its container's entry.

func isImpl(c *Command, implemented func(string) bool) bool {
	return c != nil && (implemented == nil || implemented(c.Name))
}

// Count is COMMAND COUNT: the number of implemented top-level commands.
func Count(implemented func(string) bool) int {
	n := 0
	for _, c := range all {
		if isImpl(c, implemented) {
			n++
		}
	}
	return n
}

// WriteCommandInfo is COMMAND INFO name...: one entry per name, a null for an unknown or
// unimplemented one. No names means every command, like COMMAND.
func WriteCommandInfo(w *resp.Writer, names [][]byte, implemented func(string) bool) {
	if len(names) == 0 {
		WriteAllCommandInfo(w, implemented)
		return
	}
	w.Array(len(names))
	for _, n := range names {
		c := Lookup(string(n))
		if !isImpl(c, implemented) {
			w.Null() // "$-1" in RESP2, like Redis
			continue
		}
		writeInfo(w, c, implemented)
	}
}

// WriteAllCommandInfo is COMMAND with no arguments: every implemented command's entry.
func WriteAllCommandInfo(w *resp.Writer, implemented func(string) bool) {
	w.Array(Count(implemented))
	for _, c := range all {
		if isImpl(c, implemented) {
			writeInfo(w, c, implemented)
		}
	}
}

func writeInfo(w *resp.Writer, c *Command, implemented func(string) bool) {
	if c.Subcommands == nil || implemented == nil {
		w.WriteValue(c.Info)
		return
	}
	info := c.Info
	info.Elems = append([]resp.Value(nil), info.Elems...)
	info.Elems[infoSubcommands] = filterSubs(info.Elems[infoSubcommands], 1, func(v resp.Value) string {
		return v.Elems[infoName].Str
	}, implemented)
	w.WriteValue(info)
}

// filterSubs keeps the entries (of group elements each) of an array, set or map whose
// name (from the entry's first element) is implemented, in their captured order.
func filterSubs(v resp.Value, group int, name func(resp.Value) string, implemented func(string) bool) resp.Value {
	out := resp.Value{Kind: v.Kind}
	for i := 0; i+group <= len(v.Elems); i += group {
		if implemented(name(v.Elems[i])) {
			out.Elems = append(out.Elems, v.Elems[i:i+group]...)
		}
	}
	return out
}

// WriteCommandDocs is COMMAND DOCS name...: a map from full name to docs, leaving out
// unknown and unimplemented names. No names means every command.
func WriteCommandDocs(w *resp.Writer, names [][]byte, implemented func(string) bool) {
	var cmds []*Command
	if len(names) == 0 {
		for _, c := range all {
			if isImpl(c, implemented) {
				cmds = append(cmds, c)
			}
		}
	} else {
		for _, n := range names {
			if c := Lookup(string(n)); isImpl(c, implemented) {
				cmds = append(cmds, c)
			}
		}
	}
	w.Map(len(cmds))
	for _, c := range cmds {
		w.BulkString(c.Name)
		writeDocs(w, c, implemented)
	}
}

func writeDocs(w *resp.Writer, c *Command, implemented func(string) bool) {
	if c.Subcommands == nil || implemented == nil {
		w.WriteValue(c.Docs)
		return
	}
	docs := c.Docs
	docs.Elems = append([]resp.Value(nil), docs.Elems...)
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		if docs.Elems[i].Str == "subcommands" {
			docs.Elems[i+1] = filterSubs(docs.Elems[i+1], 2, func(v resp.Value) string { return v.Str }, implemented)
		}
	}
	w.WriteValue(docs)
}

// WriteCommandList is COMMAND LIST [FILTERBY MODULE name|ACLCAT cat|PATTERN glob], args
// being what follows LIST. Names include subcommands ("config|get").
func WriteCommandList(w *resp.Writer, args [][]byte, implemented func(string) bool) {
	match := func(*Command) bool { return true }
	for i := 0; i < len(args); i++ {
		if !equalFoldASCII(args[i], "filterby") || len(args)-1-i != 2 {
			w.Error("ERR syntax error")
			return
		}
		arg := string(args[i+2])
		switch {
		case equalFoldASCII(args[i+1], "module"):
			match = func(*Command) bool { return false } // no module commands here
		case equalFoldASCII(args[i+1], "aclcat"):
			match = func(c *Command) bool { return c.HasACLCategory(arg) }
		case equalFoldASCII(args[i+1], "pattern"):
			match = func(c *Command) bool { return globMatch(arg, c.Name, true) }
		default:
			w.Error("ERR syntax error")
			return
		}
		i += 2
	}
	var names []string
	for _, c := range all {
		if !isImpl(c, implemented) {
			continue
		}
		if match(c) {
			names = append(names, c.Name)
		}
		for _, s := range c.SortedSubcommands() {
			if isImpl(s, implemented) && match(s) {
				names = append(names, s.Name)
			}
		}
	}
	w.Array(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
}

// WriteGetKeys is COMMAND GETKEYS (withFlags false) or COMMAND GETKEYSANDFLAGS, argv being
// the full command that follows.
func WriteGetKeys(w *resp.Writer, argv [][]byte, withFlags bool, implemented func(string) bool) {
	refs, err := GetKeys(argv, implemented)
	if err != nil {
		w.Error(err.Error())
		return
	}
	w.Array(len(refs))
	for _, r := range refs {
		if !withFlags {
			w.Bulk(argv[r.Pos])
			continue
		}
		w.Array(2)
		w.Bulk(argv[r.Pos])
		names := r.Flags.Names()
		w.Set(len(names))
		for _, n := range names {
			w.Simple(n)
		}
	}
}

var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

// WriteCommand answers a whole COMMAND argv (args[0] is "COMMAND"), including Redis's
// unknown-subcommand and arity errors for its subcommands.
func WriteCommand(w *resp.Writer, args [][]byte, implemented func(string) bool) {
	if len(args) < 2 {
		WriteAllCommandInfo(w, implemented)
		return
	}
	sub := Lookup("command|" + string(args[1]))
	if sub == nil || strings.Contains(string(args[1]), "|") {
		w.Error("ERR unknown subcommand '" + truncForError(args[1]) + "'. Try COMMAND HELP.")
		return
	}
	if !sub.CheckArity(len(args)) {
		w.Error("ERR wrong number of arguments for '" + sub.Name + "' command")
		return
	}
	switch sub.SubName {
	case "count":
		w.Int(int64(Count(implemented)))
	case "info":
		WriteCommandInfo(w, args[2:], implemented)
	case "docs":
		WriteCommandDocs(w, args[2:], implemented)
	case "list":
		WriteCommandList(w, args[2:], implemented)
	case "getkeys":
		WriteGetKeys(w, args[2:], false, implemented)
	case "getkeysandflags":
		WriteGetKeys(w, args[2:], true, implemented)
	case "help":
		w.Array(len(commandHelp))
		for _, l := range commandHelp {
			w.Simple(l)
		}
	}
}

// truncForError is Redis's "%.128s" of a user argument in an error (a C string: it ends
// at a NUL), with CR and LF turned into spaces so the error stays one line.
func truncForError(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > 128 {
		b = b[:128]
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(string(b))
}
