package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/aof"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
	"github.com/slotdb/slotdb/server/resp"
)

// Files in Redis's formats: SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF, the `save` schedules, the
// persistence section of INFO, and the internal client that replays an AOF at start.
//
// There is no fork: a save reads a Pebble snapshot while writers go on, so "background" means
// a goroutine. As in Redis only one save or rewrite runs at a time (a second one is refused or
// scheduled with Redis's replies). Files are written to a temp file, fsynced, renamed, and the
// directory fsynced. The AOF slotdb writes is a rewrite (base + empty incr): durability itself
// is Pebble's WAL.

func init() {
	register("save", cmdSave)
	register("bgsave", cmdBgsave)
	register("bgrewriteaof", cmdBgrewriteaof)
}

// persistState is one server's save and rewrite state.
type persistState struct {
	mu sync.Mutex
	// job is "rdb" or "aof" while a background save or rewrite runs, else "".
	job      string
	jobStart time.Time

	saves, rewrites      int64
	lastBgsaveOK         bool
	lastBgsaveSec        int64
	lastBgsaveTry        time.Time
	bgsaveScheduled      bool
	lastRewriteOK        bool
	lastRewriteSec       int64
	rewriteScheduled     bool
	rewriteFailures      int64
	changesAtSave        int64 // engine Stats.Changes when the last save started
	changesAtSaveStarted int64 // the value a running save will set changesAtSave to
	keysProcessed        atomic.Int64
	keysTotal            atomic.Int64
	loadKeysLoaded       int64
	loadKeysExpired      int64
	started              bool
}

var persistStates sync.Map // *Server -> *persistState

func (s *Server) persist() *persistState {
	if p, ok := persistStates.Load(s); ok {
		return p.(*persistState)
	}
	p, _ := persistStates.LoadOrStore(s, &persistState{lastBgsaveOK: true, lastRewriteOK: true})
	return p.(*persistState)
}

// StartPersistence installs the INFO persistence section and runs the `save` schedules and
// scheduled jobs until the server shuts down. Call it once, before Serve.
func (s *Server) StartPersistence() {
	p := s.persist()
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return
	}
	p.started = true
	p.changesAtSave = s.eng.Stats().Changes.Load()
	p.mu.Unlock()
	s.SetInfoSection("persistence", s.infoPersistenceLive)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.Done():
				return
			case <-t.C:
				s.persistCron()
			}
		}
	}()
}

// SetLoadStats records what the load at start did (rdb_last_load_keys_*).
func (s *Server) SetLoadStats(loaded, expired int64) {
	p := s.persist()
	p.mu.Lock()
	p.loadKeysLoaded, p.loadKeysExpired = loaded, expired
	p.changesAtSave = s.eng.Stats().Changes.Load()
	p.mu.Unlock()
}

// savePoint is one "save <seconds> <changes>" rule.
type savePoint struct{ seconds, changes int64 }

// parseSavePoints reads the save directive as CONFIG GET prints it ("3600 1 300 100").
func parseSavePoints(v string) []savePoint {
	f := strings.Fields(v)
	var out []savePoint
	for i := 0; i+1 < len(f); i += 2 {
		a, err1 := strconv.ParseInt(f[i], 10, 64)
		b, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 == nil && err2 == nil {
			out = append(out, savePoint{a, b})
		}
	}
	return out
}

// persistCron is serverCron's part: scheduled jobs first, then the save points (a failed
// BGSAVE is retried after CONFIG_BGSAVE_RETRY_DELAY, 5 s).
func (s *Server) persistCron() {
	p := s.persist()
	p.mu.Lock()
	idle := p.job == ""
	schedRDB, schedAOF := p.bgsaveScheduled, p.rewriteScheduled
	dirty := s.eng.Stats().Changes.Load() - p.changesAtSave
	lastTry, lastOK := p.lastBgsaveTry, p.lastBgsaveOK
	p.mu.Unlock()
	if !idle {
		return
	}
	if schedAOF {
		s.startRewrite()
		return
	}
	if schedRDB {
		s.startBgsave()
		return
	}
	now := time.Now()
	for _, sp := range parseSavePoints(s.configValue("save", "")) {
		if dirty >= sp.changes && now.Unix()-s.lastSave.Load() > sp.seconds &&
			(lastOK || now.Sub(lastTry) > 5*time.Second) {
			s.log.Info(fmt.Sprintf("%d changes in %d seconds. Saving...", sp.changes, sp.seconds))
			s.startBgsave()
			return
		}
	}
}

// rdbPath is dir/dbfilename.
func (s *Server) rdbPath() string {
	return filepath.Join(s.configValue("dir", "."), s.configValue("dbfilename", "dump.rdb"))
}

// writeRDB writes the whole dataset of snap as an RDB file (version 10) to w.
func (s *Server) writeRDB(w io.Writer, snap *engine.Snapshot, aofBase bool, aux ...[2]string) error {
	rw := rdb.NewWriter(w, rdb.DefaultVersion)
	rw.Compress = s.configValue("rdbcompression", "yes") == "yes"
	rw.WriteStandardAux(int64(heapBytes()), aofBase)
	for _, a := range aux { // replication: repl-stream-db, repl-id, repl-offset
		rw.WriteAux(a[0], a[1])
	}
	// rdbSaveFunctions: the libraries, before the databases.
	codes, err := s.savedFunctionCodes()
	if err != nil {
		return err
	}
	for _, code := range codes {
		rw.WriteFunction(code)
	}
	p := s.persist()
	var total int64
	for db := 0; db < snap.Databases(); db++ {
		total += snap.DBSize(db)
	}
	p.keysTotal.Store(total)
	p.keysProcessed.Store(0)
	now := snap.Now()
	// rdbSaveKeyValuePair records each key's idle time under an LRU policy and its LFU
	// counter under an LFU one (engine/access.go), zeros included.
	policy := s.configValue("maxmemory-policy", "noeviction")
	saveLRU := policy == "allkeys-lru" || policy == "volatile-lru"
	saveLFU := policy == "allkeys-lfu" || policy == "volatile-lfu"
	rw.SaveLRU, rw.SaveLFU = saveLRU, saveLFU
	for db := 0; db < snap.Databases(); db++ {
		if snap.DBSize(db) == 0 {
			continue
		}
		if err := rw.SelectDB(db, uint64(snap.DBSize(db)), 0); err != nil {
			return err
		}
		err := snap.Each(db, func(key []byte, m *engine.Meta) error {
			p.keysProcessed.Add(1)
			if m.Expired(now) {
				return nil // Redis would drop it when loading anyway
			}
			o, err := snap.Object(db, key, m)
			if err != nil {
				return fmt.Errorf("reading key %q: %w", key, err)
			}
			en := &rdb.Entry{DB: db, Key: key, ExpireAt: m.ExpireAt, Object: *o}
			if saveLRU || saveLFU {
				idle, freq := snap.Access(db, key)
				if saveLRU {
					en.Idle = idle
				} else {
					en.Freq = freq
				}
			}
			return rw.WriteEntry(en)
		})
		if err != nil {
			return err
		}
	}
	return rw.Close()
}

// savedFunctionCodes returns the function libraries as the store holds them (the FUNCTION
// DUMP payload saveFunctions keeps after every change): readable from any goroutine, unlike
// the live interpreter, which only exclusive commands touch.
func (s *Server) savedFunctionCodes() ([][]byte, error) {
	payload, ok, err := s.eng.Marker(functionsMarker)
	if err != nil || !ok || len(payload) == 0 {
		return nil, err
	}
	codes, err := rdb.DecodeFunctionsDump(payload)
	if err != nil {
		return nil, fmt.Errorf("reading the saved function libraries: %w", err)
	}
	return codes, nil
}

// saveRDB writes dump.rdb from a fresh snapshot: temp file, fsync, rename, directory fsync.
func (s *Server) saveRDB() error {
	snap, err := s.eng.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	changes := s.eng.Stats().Changes.Load()
	final := s.rdbPath()
	tmp := filepath.Join(filepath.Dir(final), fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	if err := writeFileSync(tmp, final, func(w io.Writer) error { return s.writeRDB(w, snap, false) }); err != nil {
		s.log.Warn("Failed opening the temp RDB file " + tmp + " (in server root dir " + filepath.Dir(final) + ") for saving: " + err.Error())
		return err
	}
	p := s.persist()
	p.mu.Lock()
	p.changesAtSave = changes
	p.mu.Unlock()
	s.lastSave.Store(time.Now().Unix())
	s.log.Info("DB saved on disk")
	return nil
}

// writeFileSync writes final through tmp: fn's bytes, fsync, rename, directory fsync.
func writeFileSync(tmp, final string, fn func(w io.Writer) error) (err error) {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = fn(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, final); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func cmdSave(c *Client, args [][]byte) {
	p := c.s.persist()
	p.mu.Lock()
	if p.job == "rdb" {
		p.mu.Unlock()
		c.w.Error("ERR Background save already in progress")
		return
	}
	p.saves++
	p.mu.Unlock()
	if err := c.s.saveRDB(); err != nil {
		c.w.Error("ERR")
		return
	}
	c.w.OK()
}

func cmdBgsave(c *Client, args [][]byte) {
	schedule := false
	if len(args) > 1 {
		if len(args) > 2 || !eqFold(args[1], "schedule") {
			c.w.Error(errSyntax)
			return
		}
		schedule = true
	}
	p := c.s.persist()
	p.mu.Lock()
	switch p.job {
	case "rdb":
		p.mu.Unlock()
		c.w.Error("ERR Background save already in progress")
		return
	case "aof":
		if schedule {
			p.bgsaveScheduled = true
			p.mu.Unlock()
			c.w.Simple("Background saving scheduled")
			return
		}
		p.mu.Unlock()
		c.w.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		return
	}
	p.mu.Unlock()
	if !c.s.startBgsave() {
		c.w.Error("ERR Background save already in progress")
		return
	}
	c.w.Simple("Background saving started")
}

// startBgsave starts a background save unless a job runs.
func (s *Server) startBgsave() bool {
	p := s.persist()
	p.mu.Lock()
	if p.job != "" {
		p.mu.Unlock()
		return false
	}
	p.job, p.jobStart, p.bgsaveScheduled = "rdb", time.Now(), false
	p.lastBgsaveTry = time.Now()
	p.saves++
	p.mu.Unlock()
	s.log.Info("Background saving started")
	go func() {
		err := s.saveRDB()
		p.mu.Lock()
		p.job = ""
		p.lastBgsaveOK = err == nil
		p.lastBgsaveSec = int64(time.Since(p.jobStart).Seconds())
		p.mu.Unlock()
		if err != nil {
			s.log.Warn("Background saving error: " + err.Error())
		} else {
			s.log.Info("Background saving terminated with success")
		}
	}()
	return true
}

func cmdBgrewriteaof(c *Client, args [][]byte) {
	p := c.s.persist()
	p.mu.Lock()
	switch p.job {
	case "aof":
		p.mu.Unlock()
		c.w.Error("ERR Background append only file rewriting already in progress")
		return
	case "rdb":
		p.rewriteScheduled = true
		p.rewriteFailures = 0
		p.mu.Unlock()
		c.w.Simple("Background append only file rewriting scheduled")
		return
	}
	p.mu.Unlock()
	if !c.s.startRewrite() {
		c.w.Error("ERR Background append only file rewriting already in progress")
		return
	}
	c.w.Simple("Background append only file rewriting started")
}

// startRewrite starts BGREWRITEAOF unless a job runs.
func (s *Server) startRewrite() bool {
	p := s.persist()
	p.mu.Lock()
	if p.job != "" {
		p.mu.Unlock()
		return false
	}
	p.job, p.jobStart, p.rewriteScheduled = "aof", time.Now(), false
	p.mu.Unlock()
	s.log.Info("Background append only file rewriting started")
	go func() {
		err := s.RewriteAOF()
		p.mu.Lock()
		p.job = ""
		p.lastRewriteOK = err == nil
		p.lastRewriteSec = int64(time.Since(p.jobStart).Seconds())
		if err == nil {
			p.rewrites++
			p.rewriteFailures = 0
		} else {
			p.rewriteFailures++
		}
		p.mu.Unlock()
		if err != nil {
			s.log.Warn("Background AOF rewrite failed: " + err.Error())
		} else {
			s.log.Info("Background AOF rewrite finished successfully")
		}
	}()
	return true
}

// RewriteAOF writes dir/appenddirname as a Redis 7 multi-part AOF of the whole dataset: an
// RDB base (aof-use-rdb-preamble yes, the default) or a RESP base, an empty incr file and
// the manifest.
func (s *Server) RewriteAOF() error {
	snap, err := s.eng.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	dir := filepath.Join(s.configValue("dir", "."), s.configValue("appenddirname", "appendonlydir"))
	dw, err := aof.NewDirWriter(dir, s.configValue("appendfilename", "appendonly.aof"))
	if err != nil {
		return err
	}
	if s.configValue("aof-use-rdb-preamble", "yes") == "yes" {
		err = dw.WriteBaseRDB(func(w io.Writer) error { return s.writeRDB(w, snap, true) })
	} else {
		err = dw.WriteBaseAOF(func(e *aof.Encoder) error {
			codes, err := s.savedFunctionCodes()
			if err != nil {
				return err
			}
			return rewriteCommands(e, snap, codes)
		})
	}
	if err == nil {
		err = dw.WriteIncr(func(e *aof.Encoder) error { return e.Write([]byte("SELECT"), []byte("0")) })
	}
	if err == nil {
		_, err = dw.Commit()
	}
	if err != nil {
		dw.Abort()
	}
	return err
}

// rewriteCommands writes the dataset as the commands Redis's rewriteAppendOnlyFileRio uses.
func rewriteCommands(e *aof.Encoder, snap *engine.Snapshot, functions [][]byte) error {
	now := snap.Now()
	b := func(s string) []byte { return []byte(s) }
	for _, code := range functions { // rewriteFunctions: FUNCTION LOAD of each library first
		if err := e.Write(b("FUNCTION"), b("LOAD"), code); err != nil {
			return err
		}
	}
	for db := 0; db < snap.Databases(); db++ {
		if snap.DBSize(db) == 0 {
			continue
		}
		if err := e.Write(b("SELECT"), b(strconv.Itoa(db))); err != nil {
			return err
		}
		err := snap.Each(db, func(key []byte, m *engine.Meta) error {
			if m.Expired(now) {
				return nil
			}
			o, err := snap.Object(db, key, m)
			if err != nil {
				return err
			}
			if err := rewriteObject(e, key, o); err != nil {
				return err
			}
			if m.ExpireAt != 0 {
				return e.Write(b("PEXPIREAT"), key, b(strconv.FormatInt(m.ExpireAt, 10)))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rewriteBatch is AOF_REWRITE_ITEMS_PER_CMD.
const rewriteBatch = 64

func rewriteObject(e *aof.Encoder, key []byte, o *rdb.Object) error {
	b := func(s string) []byte { return []byte(s) }
	batched := func(cmd string, items [][]byte, per int) error {
		for i := 0; i < len(items); i += rewriteBatch * per {
			end := min(len(items), i+rewriteBatch*per)
			argv := append([][]byte{b(cmd), key}, items[i:end]...)
			if err := e.Write(argv...); err != nil {
				return err
			}
		}
		return nil
	}
	switch o.Kind {
	case rdb.KindString:
		return e.Write(b("SET"), key, o.Str)
	case rdb.KindList:
		return batched("RPUSH", o.List, 1)
	case rdb.KindSet:
		return batched("SADD", o.Set, 1)
	case rdb.KindZSet:
		items := make([][]byte, 0, 2*len(o.ZSet))
		for _, m := range o.ZSet {
			items = append(items, formatScore(m.Score), m.Member)
		}
		return batched("ZADD", items, 2)
	case rdb.KindHash:
		items := make([][]byte, 0, 2*len(o.Hash))
		for _, f := range o.Hash {
			items = append(items, f.Name, f.Value)
		}
		return batched("HMSET", items, 2)
	case rdb.KindStream:
		return rewriteStream(e, key, o.Stream)
	}
	return fmt.Errorf("cannot rewrite object kind %s", o.Kind)
}

func formatScore(f float64) []byte {
	return []byte(strconv.FormatFloat(f, 'g', 17, 64))
}

// rewriteStream is rewriteStreamObject: entries, XSETID, groups, PELs by XCLAIM.
func rewriteStream(e *aof.Encoder, key []byte, st *rdb.Stream) error {
	b := func(s string) []byte { return []byte(s) }
	id := func(x rdb.StreamID) []byte { return []byte(x.String()) }
	if len(st.Entries) == 0 {
		if err := e.Write(b("XADD"), key, b("MAXLEN"), b("0"), id(st.LastID), b("x"), b("y")); err != nil {
			return err
		}
	}
	for _, en := range st.Entries {
		argv := [][]byte{b("XADD"), key, id(en.ID)}
		for _, f := range en.Fields {
			argv = append(argv, f.Name, f.Value)
		}
		if err := e.Write(argv...); err != nil {
			return err
		}
	}
	if err := e.Write(b("XSETID"), key, id(st.LastID), b("ENTRIESADDED"), b(strconv.FormatUint(st.EntriesAdded, 10)),
		b("MAXDELETEDID"), id(st.MaxDeletedID)); err != nil {
		return err
	}
	for _, g := range st.Groups {
		if err := e.Write(b("XGROUP"), b("CREATE"), key, g.Name, id(g.LastID), b("ENTRIESREAD"), b(strconv.FormatInt(g.EntriesRead, 10))); err != nil {
			return err
		}
		pel := map[rdb.StreamID]rdb.StreamPending{}
		for _, p := range g.Pending {
			pel[p.ID] = p
		}
		for _, c := range g.Consumers {
			if len(c.Pending) == 0 {
				if err := e.Write(b("XGROUP"), b("CREATECONSUMER"), key, g.Name, c.Name); err != nil {
					return err
				}
				continue
			}
			for _, pid := range c.Pending {
				p := pel[pid]
				if err := e.Write(b("XCLAIM"), key, g.Name, c.Name, b("0"), id(pid),
					b("TIME"), b(strconv.FormatInt(p.DeliveryTime, 10)), b("RETRYCOUNT"), b(strconv.FormatUint(p.DeliveryCount, 10)),
					b("JUSTID"), b("FORCE")); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// infoPersistenceLive is the persistence section with the save and rewrite state.
func (s *Server) infoPersistenceLive() []InfoField {
	p := s.persist()
	p.mu.Lock()
	defer p.mu.Unlock()
	aofOn := s.configValue("appendonly", "no") == "yes"
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	cur := func(job string) int64 {
		if p.job == job {
			return int64(time.Since(p.jobStart).Seconds())
		}
		return -1
	}
	processed, total := int64(0), int64(0)
	if p.job != "" {
		processed, total = p.keysProcessed.Load(), p.keysTotal.Load()
	}
	f := []InfoField{
		kv("loading", 0),
		kv("async_loading", 0),
		kv("current_cow_peak", 0),
		kv("current_cow_size", 0),
		kv("current_cow_size_age", 0),
		kv("current_fork_perc", "0.00"),
		kv("current_save_keys_processed", processed),
		kv("current_save_keys_total", total),
		kv("rdb_changes_since_last_save", s.eng.Stats().Changes.Load()-p.changesAtSave),
		kv("rdb_bgsave_in_progress", b2i(p.job == "rdb")),
		kv("rdb_last_save_time", s.lastSave.Load()),
		kv("rdb_last_bgsave_status", status(p.lastBgsaveOK)),
		kv("rdb_last_bgsave_time_sec", p.lastBgsaveSec),
		kv("rdb_current_bgsave_time_sec", cur("rdb")),
		kv("rdb_saves", p.saves),
		kv("rdb_last_cow_size", 0),
		kv("rdb_last_load_keys_expired", p.loadKeysExpired),
		kv("rdb_last_load_keys_loaded", p.loadKeysLoaded),
		kv("aof_enabled", b2i(aofOn)),
		kv("aof_rewrite_in_progress", b2i(p.job == "aof")),
		kv("aof_rewrite_scheduled", b2i(p.rewriteScheduled)),
		kv("aof_last_rewrite_time_sec", p.lastRewriteSec),
		kv("aof_current_rewrite_time_sec", cur("aof")),
		kv("aof_last_bgrewrite_status", status(p.lastRewriteOK)),
		kv("aof_rewrites", p.rewrites),
		kv("aof_rewrites_consecutive_failures", p.rewriteFailures),
		kv("aof_last_write_status", "ok"),
		kv("aof_last_cow_size", 0),
		kv("module_fork_in_progress", 0),
		kv("module_fork_last_cow_size", 0),
	}
	if p.saves == 0 {
		f[12] = kv("rdb_last_bgsave_time_sec", -1)
	}
	if p.rewrites == 0 && p.rewriteFailures == 0 {
		f[21] = kv("aof_last_rewrite_time_sec", -1)
	}
	if aofOn {
		f = append(f, kv("aof_current_size", 0), kv("aof_base_size", 0), kv("aof_pending_rewrite", 0),
			kv("aof_buffer_length", 0), kv("aof_pending_bio_fsync", 0), kv("aof_delayed_fsync", 0))
	}
	return f
}

// Replayer applies AOF commands through the command table with an internal client, as
// Redis's loadAppendOnlyFile does with its fake client. It is meant for loading before the
// server serves: a transaction's commands are applied one after the other, which is atomic
// while nobody else can see the keyspace.
type Replayer struct {
	s *Server
	c *Client
	// Errors counts commands that answered an error (Redis ignores them too).
	Errors int64
}

// ErrUnknownAOFCommand is Redis's fatal "Unknown command ... reading the append only file".
var ErrUnknownAOFCommand = errors.New("unknown command reading the append only file")

// NewReplayer makes the internal client.
func (s *Server) NewReplayer() *Replayer {
	c := &Client{
		s: s, id: s.nextID.Add(1), w: resp.Writer{Proto: 2}, created: time.Now(),
		lastCmd: "NULL", fd: -1, done: make(chan struct{}), authed: true,
		laddr: "aof", raddr: "aof",
	}
	return &Replayer{s: s, c: c}
}

// Apply runs one command in logical database db. An unknown command or a wrong number of
// arguments is an error; a command's own error reply is counted, not returned.
func (r *Replayer) Apply(db int, argv [][]byte) error {
	c := r.c
	c.db = db
	c.w.Buf = c.w.Buf[:0]
	if eqFold(argv[0], "select") {
		return nil // the reader tracks SELECT: db is already right
	}
	cmd := r.s.lookup(c, argv)
	if cmd == nil {
		msg := strings.TrimPrefix(strings.TrimSuffix(string(c.w.Buf), "\r\n"), "-")
		return fmt.Errorf("%w: '%s' (%s)", ErrUnknownAOFCommand, cString(argv[0]), msg)
	}
	r.s.call(c, cmd, argv)
	if replyIsError(c.w.Buf, 0) {
		r.Errors++
	}
	if cap(c.w.Buf) > 64<<10 {
		c.w.Buf = nil
	}
	return nil
}
