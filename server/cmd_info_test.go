package server

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// infoBody returns the text of an INFO reply (RESP2 bulk or RESP3 verbatim).
func infoBody(t *testing.T, raw string) string {
	t.Helper()
	i := strings.Index(raw, "\r\n")
	if i < 0 || raw[0] != '$' && raw[0] != '=' || !strings.HasSuffix(raw, "\r\n") {
		t.Fatalf("not a bulk reply: %q", raw)
	}
	body := raw[i+2 : len(raw)-2]
	if n, _ := strconv.Atoi(raw[1:i]); n != len(body) {
		t.Fatalf("length %d, body %d bytes", n, len(body))
	}
	if raw[0] == '=' {
		body = strings.TrimPrefix(body, "txt:")
	}
	return body
}

type infoSection struct {
	title  string
	fields []string          // names in order
	values map[string]string // by name
	lines  []string
}

// parseInfo splits INFO text into sections, checking the layout Redis uses: CRLF line ends,
// "# Title" headers, one empty line between sections, none at the end.
func parseInfo(t *testing.T, body string) []infoSection {
	t.Helper()
	if body == "" {
		return nil
	}
	if !strings.HasSuffix(body, "\r\n") || strings.HasSuffix(body, "\r\n\r\n") {
		t.Fatalf("INFO must end with exactly one CRLF: %q", body[max(0, len(body)-20):])
	}
	var out []infoSection
	for i, block := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n\r\n") {
		lines := strings.Split(block, "\r\n")
		if !strings.HasPrefix(lines[0], "# ") {
			t.Fatalf("section %d starts with %q", i, lines[0])
		}
		sec := infoSection{title: lines[0][2:], values: map[string]string{}}
		for _, l := range lines[1:] {
			if strings.ContainsAny(l, "\r\n") || l == "" {
				t.Fatalf("bad line %q in %s", l, sec.title)
			}
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				t.Fatalf("line without ':' in %s: %q", sec.title, l)
			}
			sec.fields = append(sec.fields, k)
			sec.values[k] = v
			sec.lines = append(sec.lines, l)
		}
		out = append(out, sec)
	}
	return out
}

func titles(secs []infoSection) string {
	var t []string
	for _, s := range secs {
		t = append(t, s.title)
	}
	return strings.Join(t, ",")
}

// infoExtra are fields slotdb adds to Redis's sections, with the reason.
var infoExtra = map[string]string{
	"slotdb_version": "slotdb's own version, next to the Redis version it answers as",
}

// infoMissing are Redis fields slotdb cannot provide, with the reason. None so far: every
// field is printed, with zero or Redis's default where slotdb has no such state.
var infoMissing = map[string]string{}

// Sections whose field lists do not depend on what ran before.
var fixedSections = map[string]bool{"Server": true, "Clients": true, "Memory": true,
	"Persistence": true, "Stats": true, "Replication": true, "CPU": true, "Modules": true, "Cluster": true}

func compareFieldNames(t *testing.T, section string, ref, got []string) {
	t.Helper()
	var g []string
	for _, f := range got {
		if infoExtra[f] == "" {
			g = append(g, f)
		}
	}
	var r []string
	for _, f := range ref {
		if infoMissing[f] == "" {
			r = append(r, f)
		}
	}
	if strings.Join(r, " ") != strings.Join(g, " ") {
		t.Errorf("%s fields differ:\nredis:  %v\nslotdb: %v", section, r, g)
	}
}

var infoArgCases = [][]string{
	{}, {"all"}, {"default"}, {"everything"}, {"server", "clients"}, {"foo"}, {"commandstats"},
	{"default", "commandstats"}, {"all", "modules"}, {"SERVER"}, {"keyspace", "server"}, {"modules"},
	{"module_list"}, {"cluster", "modules"}, {"server", "server"}, {"latencystats", "errorstats", "foo"},
}

// TestInfoMatchesRedis compares INFO's sections and field names with a real redis-server
// 7.0.15 for every way of choosing sections, over RESP2 and RESP3.
func TestInfoMatchesRedis(t *testing.T) {
	ref := proctest.StartRedis(t, "--appendonly", "yes")
	ls := startLive(t, nil)
	ls.cfg["appendonly"] = "yes"
	rc, gc := ref.Dial(t), ls.dial(t)
	for _, proto := range []string{"2", "3"} {
		do(t, rc, "HELLO", proto)
		do(t, gc, "HELLO", proto)
		for _, args := range infoArgCases {
			cmd := append([]string{"INFO"}, args...)
			rraw, graw := do(t, rc, cmd...), do(t, gc, cmd...)
			if len(args) == 1 && args[0] == "foo" && rraw != graw {
				t.Errorf("RESP%s unknown section: %q, want %q", proto, graw, rraw)
			}
			if rraw[0] != graw[0] {
				t.Errorf("RESP%s %v: reply type %q, want %q", proto, args, graw[0], rraw[0])
			}
			rs, gs := parseInfo(t, infoBody(t, rraw)), parseInfo(t, infoBody(t, graw))
			if titles(rs) != titles(gs) {
				t.Errorf("RESP%s %v: sections %s, want %s", proto, args, titles(gs), titles(rs))
				continue
			}
			for i := range rs {
				if fixedSections[rs[i].title] {
					compareFieldNames(t, rs[i].title, rs[i].fields, gs[i].fields)
				}
			}
		}
	}
}

// statsNorm masks the timing values of commandstats and latencystats lines.
var statsNorm = regexp.MustCompile(`(usec|usec_per_call|p[0-9.]+)=[0-9.]+`)

func sortedSection(t *testing.T, body, title string) []string {
	for _, s := range parseInfo(t, body) {
		if s.title == title {
			l := make([]string, len(s.lines))
			for i, x := range s.lines {
				l[i] = statsNorm.ReplaceAllString(x, "$1=*")
			}
			sort.Strings(l) // Redis lists commands in hash-table order
			return l
		}
	}
	t.Fatalf("no section %s", title)
	return nil
}

// TestInfoStatsMatchRedis runs the same commands on both servers and compares command, error
// and latency statistics (timings masked) and the keyspace counters.
func TestInfoStatsMatchRedis(t *testing.T) {
	ref := proctest.StartRedis(t)
	ls := startLive(t, nil)
	rc, gc := ref.Dial(t), ls.dial(t)
	script := [][]string{
		{"CONFIG", "RESETSTAT"}, {"SET", "a", "1"}, {"GET", "a"}, {"GET", "b"}, {"INCR", "a", "x"},
		{"NOSUCH"}, {"CLIENT", "LIST", "ID", "1", "x"}, {"CLIENT", "NOSUCH"}, {"GET"},
		{"SET", "k", "v", "EX", "100"}, {"SET", "s", "v", "PX", "1"}, {"INCR", "k"}, {"EXISTS", "a", "b"},
		{"CLIENT", "SETNAME", "a b"},
	}
	for _, c := range [](*proctest.Conn){rc, gc} {
		for _, args := range script {
			do(t, c, args...)
		}
	}
	time.Sleep(20 * time.Millisecond)
	do(t, rc, "GET", "s") // expires it on access on both
	do(t, gc, "GET", "s")
	rb := infoBody(t, do(t, rc, "INFO", "commandstats", "errorstats", "latencystats", "keyspace", "stats"))
	gb := infoBody(t, do(t, gc, "INFO", "commandstats", "errorstats", "latencystats", "keyspace", "stats"))
	for _, sec := range []string{"Commandstats", "Errorstats", "Latencystats", "Keyspace"} {
		r, g := sortedSection(t, rb, sec), sortedSection(t, gb, sec)
		if sec == "Keyspace" { // avg_ttl is Redis's sampled estimate; slotdb prints 0 (a known gap)
			r, g = zeroAvgTTL(r), zeroAvgTTL(g)
		}
		if strings.Join(r, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s:\nredis:\n%s\nslotdb:\n%s", sec, strings.Join(r, "\n"), strings.Join(g, "\n"))
		}
	}
	rs, gs := parseInfo(t, rb), parseInfo(t, gb)
	for _, f := range []string{"keyspace_hits", "keyspace_misses", "total_error_replies", "expired_keys"} {
		if rv, gv := rs[len(rs)-1].values[f], gs[len(gs)-1].values[f]; rv != gv {
			t.Errorf("%s: slotdb %s, redis %s", f, gv, rv)
		}
	}
}

func TestInfoServerValues(t *testing.T) {
	ls := startLive(t, nil)
	ls.s.cfg.SetClusterEnabled(true)
	ls.s.intro.configFile = "/etc/slotdb/redis.conf"
	c := ls.dial(t)
	for i := 0; i < 3; i++ {
		do(t, c, "SET", "k"+strconv.Itoa(i), "v", "EX", "100")
	}
	do(t, c, "SET", "p", "v")
	do(t, c, "SELECT", "0")
	secs := parseInfo(t, infoBody(t, do(t, c, "INFO", "everything")))
	v := map[string]string{}
	for _, s := range secs {
		for k, x := range s.values {
			v[k] = x
		}
	}
	_, port, _ := strings.Cut(ls.addr, ":")
	exe, _ := os.Executable()
	want := map[string]string{
		"redis_version": "7.0.15", "slotdb_version": SlotdbVersion, "redis_mode": "cluster",
		"cluster_enabled": "1", "process_id": strconv.Itoa(os.Getpid()), "tcp_port": port,
		"run_id": ls.s.runID, "executable": exe, "config_file": "/etc/slotdb/redis.conf",
		"connected_clients": "1", "role": "master", "connected_slaves": "0", "arch_bits": "64",
		"db0": "keys=4,expires=3,avg_ttl=0", "total_connections_received": "1",
		"maxclients": "10000", "hz": "10", "uptime_in_days": "0", "master_replid2": strings.Repeat("0", 40),
		"cmdstat_set": v["cmdstat_set"], "mem_allocator": v["mem_allocator"],
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s:%s, want %s", k, v[k], w)
		}
	}
	if !strings.HasPrefix(v["cmdstat_set"], "calls=4,") {
		t.Errorf("cmdstat_set:%s", v["cmdstat_set"])
	}
	hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)
	if !hex40.MatchString(v["master_replid"]) || v["master_replid"] == v["run_id"] {
		t.Errorf("master_replid:%s", v["master_replid"])
	}
	if n, err := strconv.ParseInt(v["used_memory"], 10, 64); err != nil || n <= 0 {
		t.Errorf("used_memory:%s", v["used_memory"])
	}
	if !regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(v["used_cpu_user"]) {
		t.Errorf("used_cpu_user:%s", v["used_cpu_user"])
	}
	if us, _ := strconv.ParseInt(v["server_time_usec"], 10, 64); time.Since(time.UnixMicro(us)).Abs() > time.Minute {
		t.Errorf("server_time_usec:%s", v["server_time_usec"])
	}
	if _, ok := v["db1"]; ok {
		t.Error("empty databases are not listed")
	}
}

func TestInfoConfigFileIsAbsolute(t *testing.T) {
	var in introspection
	in.init(Options{ConfigFile: "redis.conf"})
	wd, _ := os.Getwd()
	if in.configFile != filepath.Join(wd, "redis.conf") {
		t.Errorf("config_file %q", in.configFile)
	}
}

func TestInstantaneousOps(t *testing.T) {
	var m instMetric
	m.track(1000, 0)
	for i := 1; i <= metricSamples; i++ {
		m.track(1000+int64(i)*100, int64(i)*50) // 50 per 100 ms
	}
	if got := m.get(); got != 500 {
		t.Errorf("rate %d, want 500", got)
	}
	for i := 1; i <= metricSamples/2; i++ {
		m.track(2600+int64(i)*100, 800) // idle half the window
	}
	if got := m.get(); got != 250 {
		t.Errorf("rate %d, want 250", got)
	}
}

func TestBytesToHuman(t *testing.T) {
	// Values and texts from a real redis-server's INFO memory.
	for n, want := range map[uint64]string{
		0: "0B", 200: "200B", 1023: "1023B", 1024: "1.00K", 32768: "32.00K", 916248: "894.77K",
		11911168: "11.36M", 25276510208: "23.54G", 1 << 40: "1.00T", 1 << 50: "1.00P", 1 << 60: "1152921504606846976B",
	} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("%d: %s, want %s", n, got, want)
		}
	}
}

// TestLatencyPercentilesMatchRedis replays durations whose INFO latencystats lines a real
// redis-server printed: SET took 4 and 7 µs, GET 0 and 3 µs, FLUSHALL 21 µs.
func TestLatencyPercentilesMatchRedis(t *testing.T) {
	for _, tc := range []struct {
		us   []int64
		want string
	}{
		{[]int64{4, 7}, "p50=4.015,p99=7.007,p99.9=7.007"},
		{[]int64{0, 3}, "p50=0.001,p99=3.007,p99.9=3.007"},
		{[]int64{21}, "p50=21.119,p99=21.119,p99.9=21.119"},
		{[]int64{1}, "p50=1.003,p99=1.003,p99.9=1.003"},
		{[]int64{2_000_000}, "p50=1002438.655,p99=1002438.655,p99.9=1002438.655"}, // clamped to 1 s
	} {
		var st cmdStat
		for _, us := range tc.us {
			st.record(time.Duration(us)*time.Microsecond, false)
		}
		var parts []string
		for _, p := range parsePercentiles("50 99 99.9") {
			parts = append(parts, "p"+trimDouble(p)+"="+strconv.FormatFloat(float64(st.hist.Load().valueAt(p))/1000, 'f', 3, 64))
		}
		if got := strings.Join(parts, ","); got != tc.want {
			t.Errorf("%v µs: %s, want %s", tc.us, got, tc.want)
		}
	}
	// Every slot maps back to a value inside it.
	for _, v := range []int64{1, 127, 128, 255, 256, 257, 1000, 65535, 1 << 20, 999_999_999} {
		i := histIndex(v)
		if lo, hi := histValueAt(i), histHighest(histValueAt(i)); v < lo || v > hi || i >= histLen {
			t.Errorf("%d: slot %d holds [%d,%d]", v, i, lo, hi)
		}
	}
}

func TestErrorCode(t *testing.T) {
	for msg, want := range map[string]string{
		"ERR syntax error":                  "ERR",
		"WRONGTYPE Operation against a key": "WRONGTYPE",
		"NOAUTH Authentication required.":   "NOAUTH",
		"MOVED 3999 127.0.0.1:6381":         "MOVED",
		"NOSPACE":                           "ERR", // no space: Redis falls back to ERR
		strings.Repeat("X", 30) + " tail":   strings.Repeat("X", 30),
		strings.Repeat("X", 31) + " tail":   "ERR", // the space is past Redis's 32-byte window
	} {
		if got := errorCode([]byte(msg)); got != want {
			t.Errorf("%q: %s, want %s", msg, got, want)
		}
	}
}

func TestInfoSectionsParsing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		all  bool
	}{
		{nil, "clients cluster cpu errorstats keyspace memory module_list persistence replication server stats", false},
		{[]string{"Default", "FOO"}, "clients cluster cpu errorstats foo keyspace memory module_list persistence replication server stats", false},
		{[]string{"everything"}, "", true},
		{[]string{"ALL", "keyspace"}, "keyspace", true},
	} {
		var argv [][]byte
		for _, a := range tc.args {
			argv = append(argv, []byte(a))
		}
		want, all := infoSections(argv)
		var names []string
		for k := range want {
			names = append(names, k)
		}
		sort.Strings(names)
		if strings.Join(names, " ") != tc.want || all != tc.all {
			t.Errorf("%v: %v %v", tc.args, names, all)
		}
	}
}

var avgTTL = regexp.MustCompile(`avg_ttl=\d+`)

func zeroAvgTTL(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = avgTTL.ReplaceAllString(l, "avg_ttl=0")
	}
	return out
}
