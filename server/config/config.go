package config

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Config holds the current value of every parameter. It is safe for
// concurrent use.
type Config struct {
	mu      sync.RWMutex
	entries []*entry          // registry order, primary names only
	byName  map[string]*entry // lower-case name or alias
	file    string            // absolute config file path, "" without one
	cwd     string            // current "dir"
	hooks   map[*entry][]func(string) error

	// Loading state (config.c's reading_config_file and save_loaded statics).
	readingFile bool
	saveLoaded  bool

	present  map[string]bool // names seen in the file or arguments
	ignored  []string
	renames  []Rename
	modCfgs  []string
	commands func(string) bool
}

type entry struct {
	p   *Param
	v   any
	def any
}

// Rename is one rename-command directive; To is "" to disable the command.
type Rename struct{ From, To string }

// NameValue is one CONFIG GET result.
type NameValue struct{ Name, Value string }

// New returns a Config holding Redis's defaults, with dir set to the
// process's working directory.
func New() *Config {
	c := &Config{byName: map[string]*entry{}, hooks: map[*entry][]func(string) error{}, present: map[string]bool{}}
	c.cwd, _ = os.Getwd()
	for i := range registry {
		p := &registry[i]
		e := &entry{p: p}
		switch p.Name {
		case "dir":
			e.def = c.cwd
		case "replicaof":
			e.def = (*replicaOf)(nil)
		default:
			v, err := c.parse(e, defaultArgs(p))
			if err != "" {
				panic("config: bad default for " + p.Name + ": " + err)
			}
			e.def = v
		}
		e.v = e.def
		c.entries = append(c.entries, e)
		c.byName[p.Name] = e
		if p.Alias != "" {
			c.byName[p.Alias] = e
		}
	}
	return c
}

func defaultArgs(p *Param) []string {
	if p.Has(MultiArg) {
		return splitSpace(p.Default)
	}
	return []string{p.Default}
}

// splitSpace is sdssplitlen(v, " "): "" gives no argument, runs of spaces
// give empty ones.
func splitSpace(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// Params returns the registry: every parameter Redis 7.0.15 knows.
func Params() []Param { return append([]Param(nil), registry...) }

// Lookup finds a parameter by name or alias, case-insensitively.
func Lookup(name string) (Param, bool) {
	for i := range registry {
		if strings.EqualFold(registry[i].Name, name) || (registry[i].Alias != "" && strings.EqualFold(registry[i].Alias, name)) {
			return registry[i], true
		}
	}
	return Param{}, false
}

func (c *Config) lookup(name string) *entry { return c.byName[strings.ToLower(name)] }

// parse validates args for e and returns the new value; err is Redis's text.
func (c *Config) parse(e *entry, args []string) (any, string) {
	p := e.p
	switch p.Type {
	case Bool:
		switch strings.ToLower(args[0]) {
		case "yes":
			if p.Name == "activedefrag" { // Debian's redis-server is built without it
				return nil, "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
			}
			return true, ""
		case "no":
			return false, ""
		}
		return nil, "argument must be 'yes' or 'no'"
	case Int, Octal, Memory, Percent:
		v, err := parseNumeric(p, args[0])
		if err != "" {
			return nil, err
		}
		switch p.Name {
		case "hz": // updateHZ: out-of-range hz is clamped, not refused
			v = min(max(v, 1), 500)
		case "repl-backlog-size": // resizeReplicationBacklog's 16kb floor
			v = max(v, 16*1024)
		}
		return v, ""
	case Enum:
		v, err := enumValue(p, args)
		if err != "" {
			return nil, err
		}
		return v, ""
	case String:
		if err := c.validString(p, args[0]); err != "" {
			return nil, err
		}
		return strVal{s: args[0], null: p.Has(EmptyIsNull) && args[0] == ""}, ""
	}
	return c.parseSpecial(e, args)
}

// format is the CONFIG GET text of v.
func format(p *Param, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case int64:
		return formatNumeric(p, x)
	case int:
		if p.Name == "notify-keyspace-events" {
			return keyspaceEventsString(x)
		}
		return enumName(p, x)
	case strVal:
		return x.s
	case string: // dir
		return x
	case []savePoint:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = strconv.FormatInt(s.Seconds, 10) + " " + strconv.Itoa(int(s.Changes))
		}
		return strings.Join(parts, " ")
	case []string: // bind
		return strings.Join(x, " ")
	case [3]obufLimit:
		parts := make([]string, 3)
		for i, l := range x {
			parts[i] = obufClasses[i] + " " + strconv.FormatUint(l.Hard, 10) + " " + strconv.FormatUint(l.Soft, 10) + " " + strconv.Itoa(int(l.SoftSeconds))
		}
		return strings.Join(parts, " ")
	case [3]int:
		return strconv.Itoa(x[0]) + " " + strconv.Itoa(x[1]) + " " + strconv.Itoa(x[2])
	case *replicaOf:
		if x == nil {
			return ""
		}
		return x.Host + " " + strconv.FormatInt(x.Port, 10)
	case []float64:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = formatPercentile(f)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// Get returns the parameters matching any of the patterns as CONFIG GET
// does: a pattern without glob characters is an exact, case-insensitive
// name (reported as given); others match every non-hidden name and alias
// case-insensitively. Each parameter name appears once; results are sorted
// by name (Redis's order is its hash table's, which clients must not rely on).
func (c *Config) Get(patterns ...string) []NameValue {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	var out []NameValue
	add := func(key string, e *entry) {
		seen[strings.ToLower(key)] = true
		out = append(out, NameValue{key, format(e.p, e.v)})
	}
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "[*?") {
			if seen[strings.ToLower(pat)] {
				continue
			}
			if e := c.lookup(pat); e != nil {
				add(pat, e)
			}
			continue
		}
		for _, e := range c.entries {
			if e.p.Has(Hidden) {
				continue
			}
			for _, name := range []string{e.p.Name, e.p.Alias} {
				if name != "" && !seen[name] && StringMatch(pat, name, true) {
					add(name, e)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Value returns the CONFIG GET text of one parameter (name or alias).
func (c *Config) Value(name string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.lookup(name)
	if e == nil {
		return "", false
	}
	return format(e.p, e.v), true
}

// OnChange registers fn to run when CONFIG SET changes name (or its alias).
// fn gets the new value as CONFIG GET shows it; an error makes the whole SET
// roll back and is reported as Redis reports a failed apply.
func (c *Config) OnChange(name string, fn func(value string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.lookup(name)
	if e == nil {
		panic("config: OnChange on unknown parameter " + name)
	}
	c.hooks[e] = append(c.hooks[e], fn)
}

// File returns the absolute path of the config file, "" when none.
func (c *Config) File() string { return c.file }

// Ignored lists, once each and in order of appearance, the directives the
// configuration set that slotdb accepts and stores but does not act on.
func (c *Config) Ignored() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.ignored...)
}

// Renames returns the rename-command directives in file order.
func (c *Config) Renames() []Rename {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]Rename(nil), c.renames...)
}

func (c *Config) markPresent(name string, applied bool) {
	if c.present[name] {
		return
	}
	c.present[name] = true
	if !applied {
		c.ignored = append(c.ignored, name)
	}
}
