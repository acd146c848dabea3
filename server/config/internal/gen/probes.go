package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/server/config"
)

// DefaultArgs start the reference server for defaults and probes; tests
// load the same arguments ("$PORT" is recorded in the meta line).
var defaultArgs = []string{"--port", "$PORT", "--daemonize", "no"}

type setProbe struct {
	Args  []string    `json:"args"`
	Reply string      `json:"reply"`
	After [][2]string `json:"after"`
}

type getProbe struct {
	Patterns []string    `json:"patterns"`
	Result   [][2]string `json:"result"`
}

func (g *gen) defaultsAndProbes() error {
	dir, err := os.MkdirTemp("", "cfggen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := g.start(dir, append([]string(nil), defaultArgs...)...)
	if err != nil {
		return err
	}
	defer s.stop()
	port := strconv.Itoa(s.port)

	// Defaults: every non-hidden parameter, then each hidden one by name.
	var b strings.Builder
	b.WriteString("# CONFIG GET * of redis-server 7.0.15 started with: " + strings.Join(defaultArgs, " ") + "\n")
	b.WriteString("# $PORT and $DIR stand for the process's port and working directory.\n")
	for _, nv := range s.get("*") {
		if nv[0] == "port" {
			nv[1] = "$PORT"
		}
		b.WriteString(nv[0] + "\t" + nv[1] + "\n")
	}
	b.WriteString("# hidden parameters, CONFIG GET by exact name\n")
	for _, p := range config.Params() {
		if p.Has(config.Hidden) {
			for _, nv := range s.get(p.Name) {
				b.WriteString("hidden " + nv[0] + "\t" + nv[1] + "\n")
			}
		}
	}
	if err := os.WriteFile(g.out+"/get_defaults.txt", []byte(b.String()), 0o644); err != nil {
		return err
	}

	var gets []any
	for _, pats := range getPatterns {
		gets = append(gets, getProbe{pats, s.get(pats...)})
	}
	if err := writeJSONL(g.out+"/get_probes.jsonl", gets); err != nil {
		return err
	}

	var sets []any
	sets = append(sets, map[string]string{"port": port})
	for _, args := range setProbes() {
		r, err := s.cli.do(append([]string{"CONFIG", "SET"}, args...)...)
		if err != nil {
			return err
		}
		reply, _ := r.(string)
		var names []string
		for i := 0; i < len(args); i += 2 {
			names = append(names, args[i])
		}
		sets = append(sets, setProbe{args, reply, s.get(names...)})
	}
	return writeJSONL(g.out+"/set_probes.jsonl", sets)
}

var getPatterns = [][]string{
	{"maxmemory"}, {"MAXMEMORY"}, {"maxmemory", "MAXMEMORY"}, {"MAXMEM*", "maxmemory"},
	{"*max*"}, {"slave*"}, {"[a-c]*"}, {"*-?-*"}, {"nonexistent"}, {"rdb-key-save-delay"},
	{"*delay*"}, {"Slaveof", "replicaof"}, {"*", "port"}, {"[^a-r]*"}, {"s\\ave"}, {"sav[e"},
	{"client-*-limit"}, {"?ort"}, {"*LIST*"}, {"hz", "port", "hz"}, {"zset-max-*-entries"},
}

// setProbes lists CONFIG SET argument lists. Values that would make the
// reference server touch the system (listen, TLS, watchdog, AOF, oom score)
// are only probed with invalid values.
func setProbes() [][]string {
	noValid := map[string]bool{
		"port": true, "bind": true, "dir": true, "tls-port": true, "maxclients": true,
		"appendonly": true, "watchdog-period": true, "tls-cluster": true, "tls-replication": true,
		"oom-score-adj": true, "requirepass": true, "masterauth": true, "dbfilename": true,
	}
	var out [][]string
	add := func(vals ...string) {
		for i := 1; i < len(vals); i++ {
			out = append(out, []string{vals[0], vals[i]})
		}
	}
	for _, p := range config.Params() {
		name := p.Name
		if !p.Modifiable() {
			add(name, p.Default)
			continue
		}
		var vals []string
		switch p.Type {
		case config.Bool:
			vals = []string{"maybe", "", "1", "YES", "No", "yes", "no"}
		case config.Int, config.Octal, config.Memory, config.Percent:
			vals = []string{"abc", "", "-1", "007", "+5", "1k", "0x10", " 5", "5", "-0", "99999999999999999999",
				strconv.FormatInt(p.Min, 10), strconv.FormatInt(p.Max, 10)}
			if p.Min > -1<<63 {
				vals = append(vals, strconv.FormatInt(p.Min-1, 10))
			}
			if p.Max < 1<<63-1 && p.Max != -1 {
				vals = append(vals, strconv.FormatInt(p.Max+1, 10))
			}
			if p.Type == config.Memory || p.Type == config.Percent {
				vals = append(vals, "1kb", "1m", "1MB", "1g", "1gb", "2b", "kb", "1024mb", "10%", "18446744073709551615", "1048577")
			}
			if p.Type == config.Percent {
				vals = append(vals, "0%", "100%", "101%", "-5%", "%")
			}
		case config.Enum:
			for _, e := range p.Enum {
				vals = append(vals, e.Name)
			}
			vals = append(vals, strings.ToUpper(p.Enum[0].Name), "bogus", "", p.Enum[0].Name+" "+p.Enum[len(p.Enum)-1].Name)
		case config.String:
			vals = []string{"x", "", "a/b", "x y", "bad host!", "{title}", "{nope}", "a{", "{{x}"}
		}
		if noValid[name] {
			vals = []string{"abc", "", "-1", "99999999999999999999"}
		}
		vals = append(vals, p.Default)
		if p.Type != config.Special {
			add(append([]string{name}, vals...)...)
		}
	}
	add("save", "100 1  200 2", "100 1 200 2", "", "1", "0 1", "1 -1", "x 1", "  ", "100 1", "3600 1 300 100 60 10000")
	add("client-output-buffer-limit", "normal 1kb 2mb 3 replica 1gb 0 0", "master 1 1 1", "normal 1 1", "pubsub 1 1 -1",
		"normal x 1 1", "NORMAL 1 1 x", "normal 1 1 4294967296", "", "pubsub 32mb 8mb 60 slave 256mb 64mb 60 normal 0 0 0")
	add("oom-score-adj-values", "0 200 5000", "0 200", "1 2 3", "0 200 800")
	add("notify-keyspace-events", "KEA", "Ex", "Q", "gA", "$lshzxetdnKEm", "m", "")
	add("latency-tracking-info-percentiles", "50.5 99 100", "101", "x", "", " 1", "1e1", "inf", "0x10", "50 99 99.9")
	add("bind", strings.Repeat("127.0.0.1 ", 17))
	add("dir", "/nonexistent", "/etc/passwd")
	add("replicaof", "no one")
	add("shutdown-on-sigint", "save now", "save nosave", "now force", "default now", "save  now", "")
	add("lua-time-limit", "100", "5000")
	out = append(out,
		[]string{"maxmemory", "1", "MAXMEMORY", "2"},
		[]string{"foo", "1", "bar", "2"},
		[]string{"daemonize", "no", "foo", "1"},
		[]string{"maxmemory", "x", "foo", "1"},
		[]string{"maxmemory", "1mb", "timeout", "abc"},
		[]string{"maxmemory", "1mb", "timeout", "5"},
		[]string{"slave-priority", "x"},
		[]string{"Daemonize", "yes"},
		[]string{"maxmemory", "0", "timeout", "0"},
		[]string{"hz", "1000"}, []string{"hz", "0"}, []string{"hz", "10"},
	)
	return out
}
