package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slotdb/slotdb/aof"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
	"github.com/slotdb/slotdb/server"
	"github.com/slotdb/slotdb/server/config"
)

// Loading on start. A node whose store has never imported anything and finds in dir what
// Redis would load (appendonlydir/ or appendonly.aof with appendonly yes, else dump.rdb)
// imports it before serving and records so in the store (marker "import"), so a restart never
// imports twice and never replaces newer data. A store that already holds keys is left alone
// (logged). An import interrupted by a crash ("started" marker) is discarded and redone.
//
// RDB keys go in through SST ingestion (engine.LoadRDB), already expired ones dropped as Redis
// does for an RDB; an AOF's RDB base is ingested the same way but keeps expired keys until
// active expiry removes them, and its commands run through the normal command handlers
// (server.Replayer).

const importMarker = "import"

// otherSlotKey is the cluster-mode seam: when set, keys it refuses are handed to otherSlot
// instead of being stored (keys of slots another node serves). Nil keeps everything.
var (
	otherSlotKey func(db int, key []byte) bool
	otherSlot    func(db int, key []byte, o *rdb.Object, expireAt int64) error
)

func loadOnStart(srv *server.Server, eng *engine.Engine, cfg *config.Config, ap config.Applied, log *slog.Logger) error {
	mark, ok, err := eng.Marker(importMarker)
	if err != nil {
		return err
	}
	switch {
	case ok && strings.HasPrefix(string(mark), "started"):
		log.Warn("A previous import did not finish (" + string(mark) + "): discarding its partial data and importing again")
		if err := eng.FlushAll(); err != nil {
			return err
		}
	case ok:
		log.Info("Not loading data files from dir: the store already imported them (" + string(mark) + ")")
		return nil
	}
	source, found := findDataFiles(ap)
	if !found {
		return nil
	}
	if !eng.Empty() {
		log.Warn(fmt.Sprintf("Not loading %s: the store already holds data, which is newer than any file", source))
		return eng.SetMarker(importMarker, []byte("skipped "+source+" at "+time.Now().UTC().Format(time.RFC3339)+": the store held data"))
	}
	if err := eng.SetMarker(importMarker, []byte("started "+source+" at "+time.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	lim := &engine.ObjectLimits{
		Hash:   engine.HashLimits{MaxEntries: cfg.Int("hash-max-listpack-entries"), MaxValue: int(cfg.Int("hash-max-listpack-value"))},
		Set:    engine.SetLimits{MaxIntset: cfg.Int("set-max-intset-entries")},
		ZSet:   engine.ZSetLimits{MaxEntries: cfg.Int("zset-max-listpack-entries"), MaxValue: int(cfg.Int("zset-max-listpack-value"))},
		Stream: engine.StreamLimits{MaxEntries: cfg.Int("stream-node-max-entries"), MaxBytes: cfg.Int("stream-node-max-bytes")},
	}
	var loaded, expired int64
	if ap.AppendOnly {
		loaded, expired, err = loadAOF(srv, eng, ap, lim, log)
	} else {
		loaded, expired, err = loadDumpRDB(srv, eng, ap, lim, log)
	}
	if err != nil {
		return err
	}
	srv.SetLoadStats(loaded, expired)
	return eng.SetMarker(importMarker, []byte(fmt.Sprintf("done %s at %s: %d keys", source, time.Now().UTC().Format(time.RFC3339), loaded)))
}

// findDataFiles names what Redis would load from dir, if anything is there.
func findDataFiles(ap config.Applied) (string, bool) {
	if ap.AppendOnly {
		if fileExists(filepath.Join(ap.AppendDirname, aof.ManifestName(ap.AppendFilename))) {
			return ap.AppendDirname + "/", true
		}
		if fileExists(ap.AppendFilename) {
			return ap.AppendFilename, true
		}
		return "", false
	}
	if fileExists(ap.DBFilename) {
		return ap.DBFilename, true
	}
	return "", false
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func loadDumpRDB(srv *server.Server, eng *engine.Engine, ap config.Applied, lim *engine.ObjectLimits, log *slog.Logger) (int64, int64, error) {
	f, err := os.Open(ap.DBFilename)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	res, err := eng.LoadRDB(bufio.NewReaderSize(f, 1<<20), engine.LoadOptions{DropExpired: true, Limits: lim, Keep: otherSlotKey, Other: otherSlot})
	if err != nil {
		return 0, 0, fmt.Errorf("Short read or OOM loading DB. Unrecoverable error, aborting now: %s: %w", ap.DBFilename, err)
	}
	logRDB(log, res)
	if err := loadFunctions(srv, res); err != nil {
		return 0, 0, fmt.Errorf("Short read or OOM loading DB. Unrecoverable error, aborting now: %s: %w", ap.DBFilename, err)
	}
	log.Info(fmt.Sprintf("DB loaded from disk: %.3f seconds", res.Elapsed.Seconds()))
	return res.Keys, res.Expired, nil
}

// loadFunctions installs the file's function libraries (Redis's "Failed loading library"
// makes the load fail).
func loadFunctions(srv *server.Server, res *engine.RDBResult) error {
	if err := srv.LoadFunctionLibraries(res.Functions, false); err != nil {
		return fmt.Errorf("Failed loading library, %w", err)
	}
	return nil
}

func logRDB(log *slog.Logger, res *engine.RDBResult) {
	for _, a := range res.Aux {
		switch string(a.Key) {
		case "redis-ver":
			log.Info("Loading RDB produced by version " + string(a.Value))
		case "ctime":
			var t int64
			fmt.Sscan(string(a.Value), &t)
			log.Info(fmt.Sprintf("RDB age %d seconds", time.Now().Unix()-t))
		}
	}
	if res.Empty > 0 {
		log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", res.Keys, res.Expired, res.Empty))
	} else {
		log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired))
	}
}

func loadAOF(srv *server.Server, eng *engine.Engine, ap config.Applied, lim *engine.ObjectLimits, log *slog.Logger) (int64, int64, error) {
	start := time.Now()
	rp := srv.NewReplayer()
	var baseKeys, baseExpired int64
	opts := aof.Options{
		FileName: ap.AppendFilename, DirName: ap.AppendDirname, LoadTruncated: ap.AOFLoadTruncated,
		RDB: func(br *bufio.Reader) error {
			// An AOF base keeps expired keys: Redis loads them and lets them expire.
			res, err := eng.LoadRDB(br, engine.LoadOptions{Limits: lim, Keep: otherSlotKey, Other: otherSlot})
			if err != nil {
				return err
			}
			logRDB(log, res)
			if err := loadFunctions(srv, res); err != nil {
				return err
			}
			baseKeys += res.Keys
			baseExpired += res.Expired
			return nil
		},
	}
	res, err := aof.Load(".", opts, func(e aof.Entry) error {
		for _, c := range e.Cmds {
			if err := rp.Apply(c.DB, c.Argv); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("Bad file format reading the append only file: %w", err)
	}
	if t := res.Truncated; t != nil {
		if err := truncateAOF(res.Dir, t, log); err != nil {
			return 0, 0, err
		}
	}
	for _, f := range res.Files {
		log.Info("Loaded append only file part " + f)
	}
	var keys int64
	for db := range eng.Databases() {
		keys += eng.DBSize(db)
	}
	log.Info(fmt.Sprintf("DB loaded from append only file: %.3f seconds (%d commands, %d answered an error)", time.Since(start).Seconds(), res.Commands, rp.Errors))
	return keys, baseExpired, nil
}

// truncateAOF cuts the last AOF file back to its last valid command, with Redis's log lines
// (loadSingleAppendOnlyFile): the file then loads cleanly, in slotdb or in a Redis. The
// length is Redis's valid_up_to (Truncation.RedisLen), except where that is 0 after an RDB
// preamble: Redis 7.0.15 then empties the whole file, preamble included, which would destroy
// the data just loaded; slotdb keeps the preamble (Truncation.ValidLen).
func truncateAOF(dir string, t *aof.Truncation, log *slog.Logger) error {
	if !t.Incomplete {
		log.Warn("Revert incomplete MULTI/EXEC transaction in AOF file " + t.File)
	}
	at := t.RedisLen
	if at == 0 && t.ValidLen > 0 {
		at = t.ValidLen
	}
	log.Warn(fmt.Sprintf("!!! Warning: short read while loading the AOF file %s!!!", t.File))
	log.Warn(fmt.Sprintf("!!! Truncating the AOF %s at offset %d !!!", t.File, at))
	if err := os.Truncate(filepath.Join(dir, t.File), at); err != nil {
		log.Warn(fmt.Sprintf("Error truncating the AOF file %s: %s", t.File, err))
		return fmt.Errorf("Unexpected end of file reading the append only file %s: %w", t.File, err)
	}
	log.Warn(fmt.Sprintf("AOF %s loaded anyway because aof-load-truncated is enabled", t.File))
	return nil
}
