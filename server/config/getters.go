package config

import "strings"

// The typed getters panic on an unknown name or a parameter of another type:
// names are constants in the caller, so that is a programming error.

func (c *Config) get(name string) any {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.lookup(name)
	if e == nil {
		panic("config: unknown parameter " + name)
	}
	return e.v
}

// Bool returns a yes/no parameter.
func (c *Config) Bool(name string) bool { return c.get(name).(bool) }

// Int returns a numeric parameter (Int, Octal, Memory; a Percent parameter
// set as "n%" returns -n, as Redis stores it).
func (c *Config) Int(name string) int64 { return c.get(name).(int64) }

// Memory returns a memory parameter in bytes (unsigned: maxmemory may exceed
// the int64 range).
func (c *Config) Memory(name string) uint64 { return uint64(c.get(name).(int64)) }

// String returns a String or Enum parameter as CONFIG GET shows it, or any
// special parameter's CONFIG GET text.
func (c *Config) String(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.lookup(name)
	if e == nil {
		panic("config: unknown parameter " + name)
	}
	return format(e.p, e.v)
}

// Dir returns the data directory (absolute).
func (c *Config) Dir() string { return c.get("dir").(string) }

// SavePoint is one "save <seconds> <changes>" rule.
type SavePoint struct {
	Seconds int64
	Changes int
}

// Save returns the snapshotting rules; none means snapshots are off.
func (c *Config) Save() []SavePoint {
	v := c.get("save").([]savePoint)
	out := make([]SavePoint, len(v))
	for i, s := range v {
		out[i] = SavePoint{s.Seconds, int(s.Changes)}
	}
	return out
}

// Bind returns the addresses to listen on (empty: none).
func (c *Config) Bind() []string { return append([]string(nil), c.get("bind").([]string)...) }

// ReplicaOf returns the master to replicate from; ok is false for none.
func (c *Config) ReplicaOf() (host string, port int, ok bool) {
	r := c.get("replicaof").(*replicaOf)
	if r == nil {
		return "", 0, false
	}
	return r.Host, int(r.Port), true
}

// OutputBufferLimit is one class of client-output-buffer-limit.
type OutputBufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int
}

// ClientOutputBufferLimit returns the limits of "normal", "replica" (or
// "slave") or "pubsub" clients.
func (c *Config) ClientOutputBufferLimit(class string) OutputBufferLimit {
	v := c.get("client-output-buffer-limit").([3]obufLimit)
	i := map[string]int{"normal": 0, "slave": 1, "replica": 1, "pubsub": 2}[strings.ToLower(class)]
	return OutputBufferLimit{v[i].Hard, v[i].Soft, int(v[i].SoftSeconds)}
}

// Applied holds the values slotdb acts on, read at once.
type Applied struct {
	Port                   int
	Bind                   []string
	ProtectedMode          bool
	RequirePass            string // "" for none
	Dir                    string
	Databases              int
	MaxClients             int64
	Timeout                int64 // seconds, 0 = never
	TCPKeepAlive           int64
	LogLevel               string
	LogFile                string
	PidFile                string
	Daemonize              bool
	AppendOnly             bool
	AppendFsync            string
	MaxMemory              uint64
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	ClusterEnabled         bool
	ClusterConfigFile      string
	ClusterNodeTimeout     int64
	ClusterPort            int
	Save                   []SavePoint
	DBFilename             string
	AppendFilename         string
	AppendDirname          string
	AOFLoadTruncated       bool
}

// Snapshot returns the applied values. cluster-* and repl* parameters not in
// the struct are read with the typed getters.
func (c *Config) Snapshot() Applied {
	return Applied{
		Port:                   int(c.Int("port")),
		Bind:                   c.Bind(),
		ProtectedMode:          c.Bool("protected-mode"),
		RequirePass:            c.String("requirepass"),
		Dir:                    c.Dir(),
		Databases:              int(c.Int("databases")),
		MaxClients:             c.Int("maxclients"),
		Timeout:                c.Int("timeout"),
		TCPKeepAlive:           c.Int("tcp-keepalive"),
		LogLevel:               c.String("loglevel"),
		LogFile:                c.String("logfile"),
		PidFile:                c.String("pidfile"),
		Daemonize:              c.Bool("daemonize"),
		AppendOnly:             c.Bool("appendonly"),
		AppendFsync:            c.String("appendfsync"),
		MaxMemory:              c.Memory("maxmemory"),
		ProtoMaxBulkLen:        c.Int("proto-max-bulk-len"),
		ClientQueryBufferLimit: c.Int("client-query-buffer-limit"),
		ClusterEnabled:         c.Bool("cluster-enabled"),
		ClusterConfigFile:      c.String("cluster-config-file"),
		ClusterNodeTimeout:     c.Int("cluster-node-timeout"),
		ClusterPort:            int(c.Int("cluster-port")),
		Save:                   c.Save(),
		DBFilename:             c.String("dbfilename"),
		AppendFilename:         c.String("appendfilename"),
		AppendDirname:          c.String("appenddirname"),
		AOFLoadTruncated:       c.Bool("aof-load-truncated"),
	}
}
