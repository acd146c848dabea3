package server

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func init() {
	register("info", cmdInfo)
}

// introspection is the server-wide state behind INFO, CLIENT and SLOWLOG that the core
// Server struct does not carry.
type introspection struct {
	configFile string
	executable string
	replID     string
	buildID    string
	startHeap  uint64

	pause pauseState

	mu        sync.Mutex
	ops       instMetric // commands
	netIn     instMetric // bytes read
	netOut    instMetric // bytes written
	peakHeap  uint64
	errors    map[string]int64 // errorstats, by code
	errTotal  int64
	providers map[string]func() []InfoField

	reads, writes atomic.Int64 // total_reads_processed / total_writes_processed
}

// InfoField is one "name:value" line of an INFO section.
type InfoField struct{ Name, Value string }

func (in *introspection) init(o Options) {
	if o.ConfigFile != "" {
		if abs, err := filepath.Abs(o.ConfigFile); err == nil {
			in.configFile = abs
		} else {
			in.configFile = o.ConfigFile
		}
	}
	if exe, err := os.Executable(); err == nil {
		in.executable = exe
	}
	in.replID = randomHex(40)
	h := fnv.New64a()
	h.Write([]byte("slotdb " + SlotdbVersion + " " + runtime.Version()))
	in.buildID = strconv.FormatUint(h.Sum64(), 16)
	in.startHeap = heapBytes()
	in.peakHeap = in.startHeap
	in.errors = map[string]int64{}
	in.pause.changed = make(chan struct{})
}

// SetInfoSection makes fn supply the fields of an INFO section ("replication", "cluster")
// instead of slotdb's defaults, for the packages that own that state.
func (s *Server) SetInfoSection(section string, fn func() []InfoField) {
	s.intro.mu.Lock()
	defer s.intro.mu.Unlock()
	if s.intro.providers == nil {
		s.intro.providers = map[string]func() []InfoField{}
	}
	s.intro.providers[section] = fn
}

func (s *Server) infoProvider(section string) func() []InfoField {
	s.intro.mu.Lock()
	defer s.intro.mu.Unlock()
	return s.intro.providers[section]
}

func cmdInfo(c *Client, args [][]byte) {
	c.w.Verbatim(c.s.Info(args[1:]...))
}

// defaultInfoSections are what INFO without arguments (or "default") prints, in 7.0.
var defaultInfoSections = []string{"server", "clients", "memory", "persistence", "stats",
	"replication", "cpu", "module_list", "errorstats", "cluster", "keyspace"}

// infoSections parses INFO's arguments as 7.0's genInfoSectionDict does.
func infoSections(args [][]byte) (want map[string]bool, all bool) {
	want = map[string]bool{}
	if len(args) == 0 {
		for _, s := range defaultInfoSections {
			want[s] = true
		}
		return want, false
	}
	for _, a := range args {
		switch {
		case eqFold(a, "default"):
			for _, s := range defaultInfoSections {
				want[s] = true
			}
		case eqFold(a, "all"), eqFold(a, "everything"):
			all = true
		default:
			want[strings.ToLower(string(a))] = true
		}
	}
	return want, all
}

// Info renders the INFO text for the given section arguments, with CRLF line endings.
func (s *Server) Info(args ...[]byte) string {
	want, all := infoSections(args)
	var b strings.Builder
	n := 0
	section := func(name, title string, fields func() []InfoField) {
		if !all && !want[name] {
			return
		}
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		b.WriteString("# " + title + "\r\n")
		if p := s.infoProvider(name); p != nil {
			fields = p
		}
		for _, f := range fields() {
			b.WriteString(f.Name)
			b.WriteByte(':')
			b.WriteString(f.Value)
			b.WriteString("\r\n")
		}
	}
	section("server", "Server", s.infoServer)
	section("clients", "Clients", s.infoClients)
	section("memory", "Memory", s.infoMemory)
	section("persistence", "Persistence", s.infoPersistence)
	section("stats", "Stats", s.infoStats)
	section("replication", "Replication", s.infoReplication)
	section("cpu", "CPU", infoCPU)
	if want["modules"] {
		want["module_list"] = true
	}
	section("module_list", "Modules", func() []InfoField { return nil })
	section("commandstats", "Commandstats", s.infoCommandStats)
	section("errorstats", "Errorstats", s.infoErrorStats)
	section("latencystats", "Latencystats", s.infoLatencyStats)
	section("cluster", "Cluster", s.infoCluster)
	section("keyspace", "Keyspace", s.infoKeyspace)
	return b.String()
}

func kv(name string, v any) InfoField {
	switch x := v.(type) {
	case string:
		return InfoField{name, x}
	case int:
		return InfoField{name, strconv.Itoa(x)}
	case int64:
		return InfoField{name, strconv.FormatInt(x, 10)}
	case uint64:
		return InfoField{name, strconv.FormatUint(x, 10)}
	case float64: // Redis prints ratios and rates with "%.2f"
		return InfoField{name, strconv.FormatFloat(x, 'f', 2, 64)}
	}
	return InfoField{name, fmt.Sprint(v)}
}

// configValue reads a directive's current value through CONFIG GET, or def when the server
// runs without the config package (tests).
func (s *Server) configValue(name, def string) string {
	if s.cfg.Get == nil {
		return def
	}
	for _, p := range s.cfg.Get([]string{name}) {
		if p[0] == name {
			return p[1]
		}
	}
	return def
}

func (s *Server) infoServer() []InfoField {
	now := time.Now()
	mode := "standalone"
	if s.cfg.ClusterEnabled() {
		mode = "cluster"
	}
	up := int64(now.Sub(s.started) / time.Second)
	hz := s.configValue("hz", "10")
	return []InfoField{
		kv("redis_version", Version),
		kv("redis_git_sha1", "00000000"),
		kv("redis_git_dirty", 0),
		kv("redis_build_id", s.intro.buildID),
		kv("redis_mode", mode),
		kv("os", osString()),
		kv("arch_bits", strconv.Itoa(bits.UintSize)),
		kv("monotonic_clock", "POSIX clock_gettime"),
		kv("multiplexing_api", multiplexingAPI()),
		kv("atomicvar_api", "c11-builtin"),
		kv("gcc_version", "0.0.0"), // not built with GCC: Redis prints 0.0.0 then
		kv("process_id", os.Getpid()),
		kv("process_supervised", "no"),
		kv("run_id", s.runID),
		kv("tcp_port", s.cfg.Port()),
		kv("server_time_usec", now.UnixMicro()),
		kv("uptime_in_seconds", up),
		kv("uptime_in_days", up/86400),
		kv("hz", hz),
		kv("configured_hz", hz),
		kv("lru_clock", (now.UnixMilli()/1000)&(1<<24-1)),
		kv("executable", s.intro.executable),
		kv("config_file", s.intro.configFile),
		kv("io_threads_active", 0),
		kv("slotdb_version", SlotdbVersion),
	}
}

// osString is uname's "sysname release machine", as Redis prints it.
func osString() string {
	if runtime.GOOS == "linux" {
		rel, err := os.ReadFile("/proc/sys/kernel/osrelease")
		if err == nil {
			return "Linux " + strings.TrimSpace(string(rel)) + " " + unameMachine()
		}
	}
	return runtime.GOOS + " " + unameMachine()
}

func unameMachine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	}
	return runtime.GOARCH
}

// multiplexingAPI names the poller Go's netpoller uses on this OS.
func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	case "solaris", "illumos":
		return "evport"
	}
	return "select"
}

func (s *Server) infoClients() []InfoField {
	var connected, blocked, maxQbuf int
	for _, c := range s.clientList() {
		connected++
		if c.blocked.Load() {
			blocked++
		}
		if p := c.snapshot(); p.qbuf > maxQbuf {
			maxQbuf = p.qbuf
		}
	}
	_, timed := s.blockedCounts() // blocked clients with a deadline: blocking.go
	return []InfoField{
		kv("connected_clients", connected),
		kv("cluster_connections", 0),
		kv("maxclients", s.cfg.MaxClients()),
		kv("client_recent_max_input_buffer", maxQbuf),
		kv("client_recent_max_output_buffer", 0),
		kv("blocked_clients", blocked),
		kv("tracking_clients", 0),
		kv("clients_in_timeout_table", timed),
	}
}

// bytesToHuman formats n as Redis's bytesToHuman: B, then K/M/G/T/P with two decimals.
func bytesToHuman(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	unit := uint64(1024)
	for _, u := range "KMGTP" {
		if n < unit*1024 {
			return strconv.FormatFloat(float64(n)/float64(unit), 'f', 2, 64) + string(u)
		}
		unit *= 1024
	}
	return strconv.FormatUint(n, 10) + "B"
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func diff(a, b uint64) int64 { return int64(a) - int64(b) }

// heapBytes is the Go heap in use (live and not yet swept objects), read without stopping
// the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// rssBytes reads the resident set size from /proc; 0 where there is none.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func systemMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (s *Server) infoMemory() []InfoField {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := ms.HeapAlloc
	s.intro.mu.Lock()
	if used > s.intro.peakHeap {
		s.intro.peakHeap = used
	}
	peak := s.intro.peakHeap
	startup := s.intro.startHeap
	s.intro.mu.Unlock()
	var clientMem uint64
	for _, c := range s.clientList() {
		clientMem += uint64(c.snapshot().totMem())
	}
	overhead := min(startup+clientMem, used)
	dataset := used - overhead
	rss := rssBytes()
	if rss == 0 {
		rss = ms.Sys
	}
	active, resident := ms.HeapInuse, ms.HeapSys-ms.HeapReleased
	sysMem := systemMemory()
	maxmem, _ := strconv.ParseUint(s.configValue("maxmemory", "0"), 10, 64)
	return []InfoField{
		kv("used_memory", used),
		kv("used_memory_human", bytesToHuman(used)),
		kv("used_memory_rss", rss),
		kv("used_memory_rss_human", bytesToHuman(rss)),
		kv("used_memory_peak", peak),
		kv("used_memory_peak_human", bytesToHuman(peak)),
		kv("used_memory_peak_perc", strconv.FormatFloat(ratio(used, peak)*100, 'f', 2, 64)+"%"),
		kv("used_memory_overhead", overhead),
		kv("used_memory_startup", startup),
		kv("used_memory_dataset", dataset),
		kv("used_memory_dataset_perc", strconv.FormatFloat(ratio(dataset, used-min(startup, used))*100, 'f', 2, 64)+"%"),
		kv("allocator_allocated", ms.HeapAlloc),
		kv("allocator_active", active),
		kv("allocator_resident", resident),
		kv("total_system_memory", sysMem),
		kv("total_system_memory_human", bytesToHuman(sysMem)),
		// No scripting engine yet: the Lua and function figures are zero.
		kv("used_memory_lua", 0),
		kv("used_memory_vm_eval", 0),
		kv("used_memory_lua_human", "0B"),
		kv("used_memory_scripts_eval", 0),
		kv("number_of_cached_scripts", 0),
		kv("number_of_functions", 0),
		kv("number_of_libraries", 0),
		kv("used_memory_vm_functions", 0),
		kv("used_memory_vm_total", 0),
		kv("used_memory_vm_total_human", "0B"),
		kv("used_memory_functions", 0),
		kv("used_memory_scripts", 0),
		kv("used_memory_scripts_human", "0B"),
		kv("maxmemory", maxmem),
		kv("maxmemory_human", bytesToHuman(maxmem)),
		kv("maxmemory_policy", s.configValue("maxmemory-policy", "noeviction")),
		kv("allocator_frag_ratio", ratio(active, ms.HeapAlloc)),
		kv("allocator_frag_bytes", diff(active, ms.HeapAlloc)),
		kv("allocator_rss_ratio", ratio(resident, active)),
		kv("allocator_rss_bytes", diff(resident, active)),
		kv("rss_overhead_ratio", ratio(rss, resident)),
		kv("rss_overhead_bytes", diff(rss, resident)),
		kv("mem_fragmentation_ratio", ratio(rss, used)),
		kv("mem_fragmentation_bytes", diff(rss, used)),
		kv("mem_not_counted_for_evict", 0),
		kv("mem_replication_backlog", 0),
		kv("mem_total_replication_buffers", 0),
		kv("mem_clients_slaves", 0),
		kv("mem_clients_normal", clientMem),
		kv("mem_cluster_links", 0),
		kv("mem_aof_buffer", 0),
		kv("mem_allocator", runtime.Version()),
		kv("active_defrag_running", 0),
		kv("lazyfree_pending_objects", 0),
		kv("lazyfreed_objects", 0),
	}
}

func (s *Server) infoPersistence() []InfoField {
	aof := s.configValue("appendonly", "no") == "yes"
	f := []InfoField{
		kv("loading", 0),
		kv("async_loading", 0),
		kv("current_cow_peak", 0),
		kv("current_cow_size", 0),
		kv("current_cow_size_age", 0),
		kv("current_fork_perc", "0.00"),
		kv("current_save_keys_processed", 0),
		kv("current_save_keys_total", 0),
		kv("rdb_changes_since_last_save", 0),
		kv("rdb_bgsave_in_progress", 0),
		kv("rdb_last_save_time", s.lastSave.Load()),
		kv("rdb_last_bgsave_status", "ok"),
		kv("rdb_last_bgsave_time_sec", -1),
		kv("rdb_current_bgsave_time_sec", -1),
		kv("rdb_saves", 0),
		kv("rdb_last_cow_size", 0),
		kv("rdb_last_load_keys_expired", 0),
		kv("rdb_last_load_keys_loaded", 0),
		kv("aof_enabled", b2i(aof)),
		kv("aof_rewrite_in_progress", 0),
		kv("aof_rewrite_scheduled", 0),
		kv("aof_last_rewrite_time_sec", -1),
		kv("aof_current_rewrite_time_sec", -1),
		kv("aof_last_bgrewrite_status", "ok"),
		kv("aof_rewrites", 0),
		kv("aof_rewrites_consecutive_failures", 0),
		kv("aof_last_write_status", "ok"),
		kv("aof_last_cow_size", 0),
		kv("module_fork_in_progress", 0),
		kv("module_fork_last_cow_size", 0),
	}
	if aof {
		f = append(f, kv("aof_current_size", 0), kv("aof_base_size", 0), kv("aof_pending_rewrite", 0),
			kv("aof_buffer_length", 0), kv("aof_pending_bio_fsync", 0), kv("aof_delayed_fsync", 0))
	}
	return f
}

func (s *Server) infoStats() []InfoField {
	st := s.eng.Stats()
	psChannels, psPatterns, psShard := s.pubsubCounts() // pubsub.go
	s.intro.mu.Lock()
	ops, in, out := s.intro.ops.get(), s.intro.netIn.get(), s.intro.netOut.get()
	errTotal := s.intro.errTotal
	s.intro.mu.Unlock()
	return []InfoField{
		kv("total_connections_received", s.stats.connectionsReceived.Load()),
		kv("total_commands_processed", s.stats.commandsProcessed.Load()),
		kv("instantaneous_ops_per_sec", ops),
		kv("total_net_input_bytes", s.stats.netInput.Load()),
		kv("total_net_output_bytes", s.stats.netOutput.Load()),
		kv("total_net_repl_input_bytes", 0),
		kv("total_net_repl_output_bytes", 0),
		kv("instantaneous_input_kbps", float64(in)/1024),
		kv("instantaneous_output_kbps", float64(out)/1024),
		kv("instantaneous_input_repl_kbps", "0.00"),
		kv("instantaneous_output_repl_kbps", "0.00"),
		kv("rejected_connections", s.stats.rejectedConns.Load()),
		kv("sync_full", s.repl.syncFull.Load()),
		kv("sync_partial_ok", s.repl.syncPartialOK.Load()),
		kv("sync_partial_err", s.repl.syncPartialErr.Load()),
		kv("expired_keys", st.ExpiredKeys.Load()),
		kv("expired_stale_perc", "0.00"),
		kv("expired_time_cap_reached_count", 0),
		kv("expire_cycle_cpu_milliseconds", st.ExpireCycleTime.Load()),
		kv("evicted_keys", 0),
		kv("evicted_clients", 0),
		kv("total_eviction_exceeded_time", 0),
		kv("current_eviction_exceeded_time", 0),
		kv("keyspace_hits", st.KeyspaceHits.Load()),
		kv("keyspace_misses", st.KeyspaceMisses.Load()),
		kv("pubsub_channels", psChannels),
		kv("pubsub_patterns", psPatterns),
		kv("pubsubshard_channels", psShard),
		kv("latest_fork_usec", 0),
		kv("total_forks", 0),
		kv("migrate_cached_sockets", s.migrateSockets().count()),
		kv("slave_expires_tracked_keys", 0),
		kv("active_defrag_hits", 0),
		kv("active_defrag_misses", 0),
		kv("active_defrag_key_hits", 0),
		kv("active_defrag_key_misses", 0),
		kv("total_active_defrag_time", 0),
		kv("current_active_defrag_time", 0),
		kv("tracking_total_keys", 0),
		kv("tracking_total_items", 0),
		kv("tracking_total_prefixes", 0),
		kv("unexpected_error_replies", 0),
		kv("total_error_replies", errTotal),
		kv("dump_payload_sanitizations", 0),
		kv("total_reads_processed", s.intro.reads.Load()),
		kv("total_writes_processed", s.intro.writes.Load()),
		kv("io_threaded_reads_processed", 0),
		kv("io_threaded_writes_processed", 0),
		kv("reply_buffer_shrinks", 0),
		kv("reply_buffer_expands", 0),
	}
}

// infoReplication is a master without replicas until the replication package supplies the
// section through SetInfoSection.
func (s *Server) infoReplication() []InfoField {
	return []InfoField{
		kv("role", "master"),
		kv("connected_slaves", 0),
		kv("master_failover_state", "no-failover"),
		kv("master_replid", s.intro.replID),
		kv("master_replid2", strings.Repeat("0", 40)),
		kv("master_repl_offset", 0),
		kv("second_repl_offset", -1),
		kv("repl_backlog_active", 0),
		kv("repl_backlog_size", s.configValue("repl-backlog-size", "1048576")),
		kv("repl_backlog_first_byte_offset", 0),
		kv("repl_backlog_histlen", 0),
	}
}

// infoCPU reports getrusage(2) of the process and its children. Go has no main thread: the
// *_main_thread fields repeat the process figures.
func infoCPU() []InfoField {
	var self, child syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &child)
	tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", int64(t.Sec), int64(t.Usec)) }
	return []InfoField{
		kv("used_cpu_sys", tv(self.Stime)),
		kv("used_cpu_user", tv(self.Utime)),
		kv("used_cpu_sys_children", tv(child.Stime)),
		kv("used_cpu_user_children", tv(child.Utime)),
		kv("used_cpu_sys_main_thread", tv(self.Stime)),
		kv("used_cpu_user_main_thread", tv(self.Utime)),
	}
}

func (s *Server) infoCluster() []InfoField {
	return []InfoField{kv("cluster_enabled", b2i(s.cfg.ClusterEnabled()))}
}

// infoKeyspace lists the non-empty databases. avg_ttl is Redis's sampled estimate; slotdb
// does not sample and reports 0.
func (s *Server) infoKeyspace() []InfoField {
	var f []InfoField
	for db := 0; db < s.eng.Databases(); db++ {
		keys, vol := s.eng.DBSize(db), s.eng.Volatile(db)
		if keys == 0 && vol == 0 {
			continue
		}
		f = append(f, InfoField{"db" + strconv.Itoa(db), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", keys, vol)})
	}
	return f
}

// Command statistics.

// cmdStat counts one command's calls for INFO commandstats and latencystats.
type cmdStat struct {
	calls, usec, rejected, failed atomic.Int64
	hist                          atomic.Pointer[latencyHist]
}

func (st *cmdStat) record(d time.Duration, failed bool) {
	us := d.Microseconds()
	st.calls.Add(1)
	st.usec.Add(us)
	if failed {
		st.failed.Add(1)
	}
	h := st.hist.Load()
	if h == nil {
		st.hist.CompareAndSwap(nil, new(latencyHist))
		h = st.hist.Load()
	}
	h.record(us * 1000) // Redis records whole microseconds, in nanoseconds
}

func (st *cmdStat) reset() {
	st.calls.Store(0)
	st.usec.Store(0)
	st.rejected.Store(0)
	st.failed.Store(0)
	st.hist.Store(nil)
}

// eachCommand visits every command and subcommand, sorted by full name.
func (s *Server) eachCommand(fn func(c *command)) {
	var all []*command
	for _, c := range s.commands {
		all = append(all, c)
		for _, sub := range c.subs {
			all = append(all, sub)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].meta.Name < all[j].meta.Name })
	for _, c := range all {
		fn(c)
	}
}

func (s *Server) infoCommandStats() []InfoField {
	var f []InfoField
	s.eachCommand(func(c *command) {
		calls, rej, failed := c.stat.calls.Load(), c.stat.rejected.Load(), c.stat.failed.Load()
		if calls == 0 && rej == 0 && failed == 0 {
			return
		}
		usec := c.stat.usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		f = append(f, InfoField{"cmdstat_" + c.meta.Name, fmt.Sprintf(
			"calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d", calls, usec, per, rej, failed)})
	})
	return f
}

func (s *Server) infoErrorStats() []InfoField {
	s.intro.mu.Lock()
	defer s.intro.mu.Unlock()
	codes := make([]string, 0, len(s.intro.errors))
	for k := range s.intro.errors {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	f := make([]InfoField, len(codes))
	for i, k := range codes {
		f[i] = InfoField{"errorstat_" + k, "count=" + strconv.FormatInt(s.intro.errors[k], 10)}
	}
	return f
}

func (s *Server) infoLatencyStats() []InfoField {
	pcts := parsePercentiles(s.configValue("latency-tracking-info-percentiles", "50 99 99.9"))
	var f []InfoField
	s.eachCommand(func(c *command) {
		h := c.stat.hist.Load()
		if h == nil || h.total.Load() == 0 {
			return
		}
		var v strings.Builder
		for i, p := range pcts {
			if i > 0 {
				v.WriteByte(',')
			}
			fmt.Fprintf(&v, "p%s=%.3f", trimDouble(p), float64(h.valueAt(p))/1000)
		}
		f = append(f, InfoField{"latency_percentiles_usec_" + c.meta.Name, v.String()})
	})
	return f
}

func parsePercentiles(s string) []float64 {
	var out []float64
	for _, w := range strings.Fields(s) {
		if p, err := strconv.ParseFloat(w, 64); err == nil && p >= 0 && p <= 100 {
			out = append(out, p)
		}
	}
	return out
}

// trimDouble prints p with "%f" and drops trailing zeros and point (Redis's trimDoubleString).
func trimDouble(p float64) string {
	s := strconv.FormatFloat(p, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// errorCode is the error-statistics key of an error reply: its first word when that word ends
// within Redis's 32-byte window ("-CODE "), else ERR.
func errorCode(msg []byte) string {
	if i := bytes.IndexByte(msg[:min(len(msg), 31)], ' '); i >= 0 {
		return string(msg[:i])
	}
	return "ERR"
}

// errorstatsLimit bounds the distinct error codes tracked; more fold into one bucket.
const errorstatsLimit = 128

func (s *Server) countError(code string) {
	s.intro.mu.Lock()
	defer s.intro.mu.Unlock()
	s.intro.errTotal++
	if _, ok := s.intro.errors[code]; !ok && len(s.intro.errors) >= errorstatsLimit {
		code = "ERRORSTATS_OVERFLOW"
	}
	s.intro.errors[code]++
}

// resetCommandStats clears what CONFIG RESETSTAT clears besides serverStats: command,
// latency and error statistics.
func (s *Server) resetCommandStats() {
	s.eachCommand(func(c *command) { c.stat.reset() })
	s.intro.mu.Lock()
	s.intro.errors = map[string]int64{}
	s.intro.errTotal = 0
	s.intro.mu.Unlock()
	s.intro.reads.Store(0)
	s.intro.writes.Store(0)
	s.repl.syncFull.Store(0)
	s.repl.syncPartialOK.Store(0)
	s.repl.syncPartialErr.Store(0)
}

// Latency histogram: HdrHistogram_c with the parameters Redis 7.0 uses (lowest 1, highest
// 1e9 ns, 2 significant figures), so percentiles land on the same bucket edges Redis prints.
const (
	histHalfMag  = 7 // log2(sub_bucket_count/2); sub_bucket_count = 256 for 2 figures
	histHalf     = 1 << histHalfMag
	histMask     = 2*histHalf - 1
	histBuckets  = 23 // buckets needed to cover 1e9
	histLen      = (histBuckets + 1) * histHalf
	histMaxValue = 1_000_000_000
)

type latencyHist struct {
	total  atomic.Int64
	counts [histLen]atomic.Int64
}

func histBucket(v int64) int { return 64 - bits.LeadingZeros64(uint64(v)|histMask) - (histHalfMag + 1) }

func histIndex(v int64) int {
	b := histBucket(v)
	sub := int(v >> b)
	return (b+1)<<histHalfMag + sub - histHalf
}

// histValueAt is hdr_value_at_index: the lowest value of the slot.
func histValueAt(i int) int64 {
	b := i>>histHalfMag - 1
	sub := i&(histHalf-1) + histHalf
	if b < 0 {
		sub -= histHalf
		b = 0
	}
	return int64(sub) << b
}

// histHighest is highest_equivalent_value: the last value sharing v's slot.
func histHighest(v int64) int64 {
	b := histBucket(v)
	sub := int(v >> b)
	low := int64(sub) << b
	if sub >= 2*histHalf {
		b++
	}
	return low + int64(1)<<b - 1
}

func (h *latencyHist) record(ns int64) {
	ns = max(1, min(ns, histMaxValue))
	h.counts[histIndex(ns)].Add(1)
	h.total.Add(1)
}

// valueAt is hdr_value_at_percentile.
func (h *latencyHist) valueAt(p float64) int64 {
	want := int64(p/100*float64(h.total.Load()) + 0.5)
	want = max(want, 1)
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= want {
			v := histValueAt(i)
			if p == 0 {
				return v
			}
			return histHighest(v)
		}
	}
	return 0
}

// Instantaneous metrics: Redis samples a counter every 100 ms and reports the mean rate of
// the last 16 samples.

const metricSamples = 16

type instMetric struct {
	lastTime  int64 // unix ms
	lastCount int64
	samples   [metricSamples]int64
	idx       int
}

func (m *instMetric) track(now, count int64) {
	if m.lastTime != 0 {
		if t := now - m.lastTime; t > 0 {
			m.samples[m.idx] = (count - m.lastCount) * 1000 / t
		} else {
			m.samples[m.idx] = 0
		}
		m.idx = (m.idx + 1) % metricSamples
	}
	m.lastTime, m.lastCount = now, count
}

func (m *instMetric) get() int64 {
	var sum int64
	for _, v := range m.samples {
		sum += v
	}
	return sum / metricSamples
}

// sampleStats runs from the server cron every 100 ms.
func (s *Server) sampleStats() {
	now := time.Now().UnixMilli()
	heap := heapBytes()
	s.intro.mu.Lock()
	s.intro.ops.track(now, s.stats.commandsProcessed.Load())
	s.intro.netIn.track(now, s.stats.netInput.Load())
	s.intro.netOut.track(now, s.stats.netOutput.Load())
	if heap > s.intro.peakHeap {
		s.intro.peakHeap = heap
	}
	s.intro.mu.Unlock()
	s.intro.pause.expire()
}
