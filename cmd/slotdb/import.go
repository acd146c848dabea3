package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/slotdb/slotdb/aof"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/rdb"
	"github.com/slotdb/slotdb/server"
)

// slotdb import SOURCE... --to HOST:PORT [--replace] [--db N]
//
// Every key of every SOURCE (a dump.rdb, an appendonly.aof, an appendonlydir) is sent as a
// RESTORE with its absolute TTL, pipelined, to the target: a standalone node (keys keep their
// database) or a cluster (found with CLUSTER SLOTS; each key goes to its slot's master, MOVED
// and ASK are followed). Without --replace existing keys are reported and skipped, so a re-run
// after a failure only fills in what is missing. An AOF is first replayed into a scratch
// store in a temp dir (the same command code the node runs), then sent the same way.

const importWindow = 1024 // RESTOREs in flight per node, at most

type importItem struct {
	db    int
	key   []byte
	args  [][]byte // nil: a SELECT the pipeline sent
	bytes int
}

type importer struct {
	topo    *topology
	replace bool
	conns   map[string]*conn
	pending map[string][]*importItem
	curDB   map[string]int
	p       *progress
	fails   []string
}

func cmdImport(argv []string) int {
	fl := flag.NewFlagSet("import", flag.ContinueOnError)
	to := fl.String("to", "", "target HOST:PORT (a standalone node or any node of a cluster)")
	replace := fl.Bool("replace", false, "replace existing keys (RESTORE ... REPLACE)")
	dbFlag := fl.Int("db", -1, "import only the keys of this database (required for a cluster when the sources use other databases than 0)")
	sources, err := parseInterleaved(fl, argv)
	if err != nil {
		return 2
	}
	if *to == "" || len(sources) == 0 {
		fmt.Fprintln(os.Stderr, "Usage: slotdb import SOURCE... --to HOST:PORT [--replace] [--db N]")
		return 2
	}
	topo, err := discover(*to)
	if err != nil {
		fmt.Fprintf(os.Stderr, "slotdb import: %s: %v\n", *to, err)
		return 1
	}
	if topo.cluster {
		fmt.Fprintf(os.Stderr, "Target is a cluster of %d masters\n", len(topo.masters))
	}
	var total int64
	for _, s := range sources {
		if st, err := os.Stat(s); err == nil && !st.IsDir() {
			total += st.Size()
		}
	}
	im := &importer{topo: topo, replace: *replace, conns: map[string]*conn{}, pending: map[string][]*importItem{}, curDB: map[string]int{}}
	defer im.close()
	im.p = newProgress("import", total)
	var runErr error
	for _, src := range sources {
		if runErr = im.source(src, *dbFlag); runErr != nil {
			break
		}
	}
	if runErr == nil {
		runErr = im.drainAll()
	}
	im.p.finish()
	for _, f := range im.fails {
		fmt.Fprintln(os.Stderr, "failed: "+f)
	}
	if runErr != nil {
		fmt.Fprintf(os.Stderr, "slotdb import: %v\n", runErr)
		return 1
	}
	if im.p.failed.Load() > 0 {
		return 1
	}
	return 0
}

// parseInterleaved parses flags that may come after the positional arguments.
func parseInterleaved(fl *flag.FlagSet, argv []string) ([]string, error) {
	var pos []string
	for {
		if err := fl.Parse(argv); err != nil {
			return nil, err
		}
		argv = fl.Args()
		if len(argv) == 0 {
			return pos, nil
		}
		pos = append(pos, argv[0])
		argv = argv[1:]
	}
}

func (im *importer) close() {
	for _, c := range im.conns {
		c.Close()
	}
}

func (im *importer) conn(addr string) (*conn, error) {
	if c := im.conns[addr]; c != nil {
		return c, nil
	}
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	im.conns[addr] = c
	im.curDB[addr] = 0
	return c, nil
}

// source sends every key of one source file or directory.
func (im *importer) source(src string, onlyDB int) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() && !strings.HasSuffix(src, ".aof") && isRDB(src) {
		return im.rdbFile(src, onlyDB)
	}
	return im.aofSource(src, st.IsDir(), onlyDB)
}

func isRDB(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [5]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "REDIS"
}

// checkDBs refuses, up front, keys of databases other than 0 for a cluster without --db.
func (im *importer) checkDBs(src string, dbs map[int]int64, onlyDB int) error {
	if !im.topo.cluster || onlyDB >= 0 {
		return nil
	}
	for db, n := range dbs {
		if db != 0 && n > 0 {
			return fmt.Errorf("%s has %d keys in database %d, and a cluster has only database 0: pick one database with --db N", src, n, db)
		}
	}
	return nil
}

func (im *importer) rdbFile(src string, onlyDB int) error {
	if im.topo.cluster && onlyDB < 0 {
		dbs, err := rdbDatabases(src)
		if err != nil {
			return err
		}
		if err := im.checkDBs(src, dbs, onlyDB); err != nil {
			return err
		}
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	rd := rdb.NewReader(bufio.NewReaderSize(countingReader{f, &im.p.read}, 1<<20))
	now := time.Now().UnixMilli()
	for {
		en, err := rd.Next()
		if err == io.EOF {
			return im.functions(src, rd.Functions())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if onlyDB >= 0 && en.DB != onlyDB {
			continue
		}
		if en.ExpireAt > 0 && en.ExpireAt <= now || en.Object.IsEmpty() {
			im.p.skip.Add(1)
			continue
		}
		if err := im.restore(en.DB, en.Key, &en.Object, en.ExpireAt); err != nil {
			return err
		}
	}
}

// rdbDatabases counts the keys per database of an RDB file.
func rdbDatabases(src string) (map[int]int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := rdb.NewReader(bufio.NewReaderSize(f, 1<<20))
	dbs := map[int]int64{}
	for {
		en, err := rd.Next()
		if err == io.EOF {
			return dbs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		dbs[en.DB]++
	}
}

// aofSource replays an AOF into a scratch store, then sends its keys.
func (im *importer) aofSource(src string, isDir bool, onlyDB int) error {
	tmp, err := os.MkdirTemp("", "slotdb-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(engine.Options{Dir: tmp, Logger: quiet})
	if err != nil {
		return err
	}
	defer eng.Close()
	srv := server.New(server.Options{Engine: eng, Config: server.NewSettings(), Logger: quiet})
	rp := srv.NewReplayer()
	opts := aof.Options{LoadTruncated: true, RDB: func(br *bufio.Reader) error {
		res, err := eng.LoadRDB(br, engine.LoadOptions{})
		if err == nil { // the base's libraries, under the FUNCTION LOADs that follow
			err = srv.LoadFunctionLibraries(res.Functions, false)
		}
		return err
	}}
	apply := func(e aof.Entry) error {
		for _, c := range e.Cmds {
			if err := rp.Apply(c.DB, c.Argv); err != nil {
				return err
			}
		}
		return nil
	}
	if isDir {
		ms, _ := filepath.Glob(filepath.Join(src, "*.manifest"))
		if len(ms) != 1 {
			return fmt.Errorf("%s: expected one *.manifest file, found %d", src, len(ms))
		}
		opts.FileName = strings.TrimSuffix(filepath.Base(ms[0]), ".manifest")
		_, err = aof.LoadDir(src, opts, apply)
	} else {
		_, err = aof.LoadFile(src, opts, apply)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", src, err)
	}
	snap, err := eng.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	dbs := map[int]int64{}
	for db := 0; db < snap.Databases(); db++ {
		dbs[db] = snap.DBSize(db)
	}
	if err := im.checkDBs(src, dbs, onlyDB); err != nil {
		return err
	}
	codes, err := scratchFunctions(eng)
	if err == nil {
		err = im.functions(src, codes)
	}
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	for db := 0; db < snap.Databases(); db++ {
		if snap.DBSize(db) == 0 || onlyDB >= 0 && db != onlyDB {
			continue
		}
		err := snap.Each(db, func(key []byte, m *engine.Meta) error {
			if m.ExpireAt > 0 && m.ExpireAt <= now {
				im.p.skip.Add(1)
				return nil
			}
			o, err := snap.Object(db, key, m)
			if err != nil {
				return err
			}
			return im.restore(db, key, o, m.ExpireAt)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// restore queues one key's RESTORE on the node that serves it.
func (im *importer) restore(db int, key []byte, o *rdb.Object, expireAt int64) error {
	payload := rdb.EncodeDump(o)
	args := [][]byte{[]byte("RESTORE"), key, []byte("0"), payload}
	if expireAt > 0 {
		args[2] = []byte(strconv.FormatInt(expireAt, 10))
		args = append(args, []byte("ABSTTL"))
	}
	if im.replace {
		args = append(args, []byte("REPLACE"))
	}
	if im.topo.cluster {
		db = 0
	}
	it := &importItem{db: db, key: key, args: args, bytes: len(key) + len(payload)}
	return im.send(im.addrFor(key), it)
}

func (im *importer) addrFor(key []byte) string {
	if !im.topo.cluster {
		return im.topo.masters[0]
	}
	return im.topo.masters[im.topo.owner[keyslot.Of(key)]]
}

// send pipelines it to addr, reading replies when the window is full.
func (im *importer) send(addr string, it *importItem) error {
	c, err := im.conn(addr)
	if err != nil {
		return err
	}
	if !im.topo.cluster && im.curDB[addr] != it.db {
		c.send([]byte("SELECT"), []byte(strconv.Itoa(it.db)))
		im.pending[addr] = append(im.pending[addr], &importItem{db: it.db})
		im.curDB[addr] = it.db
	}
	c.send(it.args...)
	im.pending[addr] = append(im.pending[addr], it)
	if len(im.pending[addr]) < importWindow {
		return nil
	}
	// A full window drains to half: reading flushes what is buffered, so reading one reply
	// per key sent would cost a write per key.
	for len(im.pending[addr]) > importWindow/2 {
		if err := im.readOne(addr); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) drainAll() error {
	for addr := range im.pending {
		for len(im.pending[addr]) > 0 {
			if err := im.readOne(addr); err != nil {
				return err
			}
		}
	}
	return nil
}

// readOne reads the reply to the oldest command in flight on addr.
func (im *importer) readOne(addr string) error {
	it := im.pending[addr][0]
	im.pending[addr] = im.pending[addr][1:]
	v, err := im.conns[addr].read()
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	if it.args == nil { // our SELECT
		if e, ok := v.(respError); ok {
			return fmt.Errorf("%s: SELECT %d: %s", addr, it.db, e)
		}
		return nil
	}
	return im.outcome(it, v, 0)
}

// outcome accounts for a RESTORE reply, following MOVED and ASK.
func (im *importer) outcome(it *importItem, v any, hops int) error {
	e, isErr := v.(respError)
	switch {
	case !isErr:
		im.p.keys.Add(1)
		im.p.bytes.Add(int64(it.bytes))
		return nil
	case strings.HasPrefix(string(e), "BUSYKEY"):
		im.p.skip.Add(1)
		return nil
	}
	kind, slot, addr, ok := redirect(e)
	if !ok || hops >= 5 {
		im.p.failed.Add(1)
		if len(im.fails) < 20 {
			im.fails = append(im.fails, fmt.Sprintf("%q: %s", it.key, e))
		}
		return nil
	}
	if kind == "MOVED" {
		i := -1
		for j, m := range im.topo.masters {
			if m == addr {
				i = j
			}
		}
		if i < 0 {
			i = len(im.topo.masters)
			im.topo.masters = append(im.topo.masters, addr)
		}
		im.topo.owner[slot] = i
	}
	// A redirected command goes alone, after what is in flight on that node.
	c, err := im.conn(addr)
	if err != nil {
		return err
	}
	for len(im.pending[addr]) > 0 {
		if err := im.readOne(addr); err != nil {
			return err
		}
	}
	if kind == "ASK" {
		if _, err := c.do("ASKING"); err != nil {
			return fmt.Errorf("%s: ASKING: %w", addr, err)
		}
	}
	c.send(it.args...)
	r, err := c.read()
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	return im.outcome(it, r, hops+1)
}
