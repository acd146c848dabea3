package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Directives Redis 7.0 still accepts (with exactly one argument) and ignores.
var deprecated = map[string]bool{
	"list-max-ziplist-entries": true, "list-max-ziplist-value": true, "lua-replicate-commands": true,
}

// LoadOptions are what the loader needs from the rest of the server.
type LoadOptions struct {
	// Stdin is read when Args.Stdin is set.
	Stdin io.Reader
	// CommandExists, when set, validates rename-command as Redis does
	// against its command table.
	CommandExists func(name string) bool
}

// Load builds the configuration from a parsed command line exactly as
// redis-server does: the config file, then stdin, then the options, parsed
// as one text. Errors are *FatalError, *OpenError or *StartupError; the
// caller prints (or logs) Error() and exits with status 1.
func Load(a Args, o LoadOptions) (*Config, error) {
	c := New()
	c.commands = o.CommandExists
	var text []byte
	if a.File != "" {
		c.file = absolutePath(c.cwd, a.File)
		b, err := readConfig(c.file)
		if err != nil {
			return nil, &OpenError{Path: c.file, Err: err}
		}
		text = b
	}
	if a.Stdin && o.Stdin != nil {
		b, err := io.ReadAll(o.Stdin)
		if err != nil {
			return nil, err
		}
		text = append(text, nulTruncate(b)...)
	}
	if a.Options != "" {
		text = append(text, '\n')
		text = append(text, a.Options...)
	}
	if err := c.LoadString(string(text)); err != nil {
		return nil, err
	}
	if len(c.modCfgs) > 0 {
		return nil, &StartupError{"Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"}
	}
	return c, nil
}

// readConfig reads a config file as Redis's fgets loop does: a directory
// reads as empty and each 1024-byte chunk stops at its first NUL.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		if errors.Is(err, syscall.EISDIR) {
			return nil, nil
		}
		return nil, err
	}
	return nulTruncate(b), nil
}

func nulTruncate(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 || n > 1024 {
			n = min(len(b), 1024)
		}
		chunk := b[:n]
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		out = append(out, chunk...)
		b = b[n:]
	}
	return out
}

// LoadString applies config text on top of the current values, as Redis's
// loadServerConfigFromString. It stops at the first error (*FatalError or
// *OpenError from an include).
func (c *Config) LoadString(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loadString(text, 0)
}

func (c *Config) loadString(text string, depth int) error {
	if depth > 64 { // Redis recurses until the stack dies; stop earlier
		return &FatalError{Msg: "include nesting too deep"}
	}
	c.readingFile = true
	lines := []string{}
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	for i, raw := range lines {
		line := trimLine(raw)
		if line == "" || line[0] == '#' {
			continue
		}
		fatal := func(msg string) error { return &FatalError{Line: i + 1, Text: line, Msg: msg} }
		argv, ok := SplitArgs(line)
		if !ok {
			return fatal("Unbalanced quotes in configuration line")
		}
		if len(argv) == 0 {
			continue
		}
		name := strings.ToLower(argv[0])
		if e := c.lookup(name); e != nil {
			if !e.p.Has(MultiArg) && len(argv) != 2 {
				return fatal("wrong number of arguments")
			}
			if err := c.loadSet(e, argv[1:]); err != "" {
				return fatal(err)
			}
			c.markPresent(e.p.Name, e.p.Applied)
			continue
		}
		if deprecated[name] && len(argv) == 2 {
			c.markPresent(name, false)
			continue
		}
		switch {
		case name == "include" && len(argv) == 2:
			if err := c.include(argv[1], depth); err != nil {
				return err
			}
		case name == "rename-command" && len(argv) == 3:
			if err := c.rename(argv[1], argv[2]); err != "" {
				return fatal(err)
			}
		case name == "user" && len(argv) >= 2:
			c.markPresent("user", false)
		case name == "loadmodule" && len(argv) >= 2:
			c.markPresent("loadmodule", false)
		case strings.Contains(name, "."):
			if len(argv) != 2 {
				return fatal("Module config specified without value")
			}
			c.modCfgs = append(c.modCfgs, name)
		case name == "sentinel":
			if len(argv) != 1 {
				return fatal("sentinel directive while not in sentinel mode")
			}
		default:
			return fatal("Bad directive or wrong number of arguments")
		}
	}
	if lf := c.lookup("logfile").v.(strVal).s; lf != "" {
		path := lf
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.cwd, path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			return &FatalError{Msg: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	if c.lookup("cluster-enabled").v.(bool) && c.lookup("replicaof").v.(*replicaOf) != nil {
		return &FatalError{Msg: "replicaof directive not allowed in cluster mode"}
	}
	// Redis clears its "reading the file" flag at the end of every (nested)
	// load, so save lines after an include replace instead of appending.
	c.readingFile = false
	return nil
}

// loadSet sets a value from the file, with Redis's special handling of
// repeated save lines: the first one drops the defaults, the next append.
func (c *Config) loadSet(e *entry, args []string) string {
	v, err := c.parse(e, args)
	if err != "" {
		return err
	}
	if e.p.Name == "save" && c.readingFile {
		if c.saveLoaded {
			v = append(append([]savePoint{}, e.v.([]savePoint)...), v.([]savePoint)...)
		}
		c.saveLoaded = true
	}
	if e.p.Name == "dir" {
		c.cwd = v.(string)
	}
	e.v = v
	return ""
}

func (c *Config) rename(from, to string) string {
	if c.commands == nil {
		c.renames = append(c.renames, Rename{from, to})
		return ""
	}
	exists := func(name string) bool {
		live := c.commands(name)
		for _, r := range c.renames {
			if strings.EqualFold(r.From, name) {
				live = false
			}
			if r.To != "" && strings.EqualFold(r.To, name) {
				live = true
			}
		}
		return live
	}
	if !exists(from) {
		return "No such command in rename-command"
	}
	if to != "" && !strings.EqualFold(from, to) && exists(to) {
		return "Target command name already exists"
	}
	c.renames = append(c.renames, Rename{from, to})
	return ""
}

// include loads another file relative to the current dir; a pattern with
// * ? or [ includes every match (none is fine), as Redis 7.0 does.
func (c *Config) include(name string, depth int) error {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.cwd, path)
	}
	if !strings.ContainsAny(name, "*?[") {
		b, err := readConfig(path)
		if err != nil {
			return &OpenError{Path: name, Err: err}
		}
		return c.loadString(string(b), depth+1)
	}
	pattern := name
	if !filepath.IsAbs(pattern) {
		pattern = escapeGlob(c.cwd) + "/" + name
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil // glob(3) reports no match for a malformed pattern
	}
	var text []byte
	for _, m := range matches {
		if hiddenMatch(pattern, m) {
			continue
		}
		b, err := readConfig(m)
		if err != nil {
			return &OpenError{Path: m, Err: err}
		}
		text = append(text, b...)
	}
	return c.loadString(string(text), depth+1)
}

// hiddenMatch reports a match glob(3) would not return: a wildcard matched a
// name starting with '.'.
func hiddenMatch(pattern, match string) bool {
	pp, mm := strings.Split(pattern, "/"), strings.Split(match, "/")
	if len(pp) != len(mm) {
		return false
	}
	for i := range mm {
		if strings.HasPrefix(mm[i], ".") && !strings.HasPrefix(pp[i], ".") {
			return true
		}
	}
	return false
}

func escapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
