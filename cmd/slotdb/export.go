package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/slotdb/slotdb/aof"
	"github.com/slotdb/slotdb/rdb"
)

// slotdb export --from HOST:PORT (--rdb FILE | --aof DIR)
//
// The whole dataset of a standalone node (every database) or of every master of a cluster
// (database 0) is read with SCAN, then DUMP and PEXPIRETIME pipelined per batch of keys, and
// written as one standalone RDB file (version 10, which redis-server 7.0 loads, or 11 for 7.2
// with --rdb-version 11) or as the RDB base of a Redis 7 appendonlydir, the function libraries
// first. Keys that expire or vanish between SCAN and DUMP are left out. Files are written to a
// temp name, fsynced and renamed.

func cmdExport(argv []string) int {
	fl := flag.NewFlagSet("export", flag.ContinueOnError)
	from := fl.String("from", "", "source HOST:PORT (a standalone node or any node of a cluster)")
	rdbFile := fl.String("rdb", "", "write an RDB file")
	aofDir := fl.String("aof", "", "write a Redis 7 appendonlydir")
	version := fl.Int("rdb-version", rdb.DefaultVersion, "RDB version to write: 10 (Redis 7.0) or 11 (Redis 7.2)")
	if _, err := parseInterleaved(fl, argv); err != nil {
		return 2
	}
	if *from == "" || (*rdbFile == "") == (*aofDir == "") {
		fmt.Fprintln(os.Stderr, "Usage: slotdb export --from HOST:PORT (--rdb FILE | --aof DIR) [--rdb-version 10|11]")
		return 2
	}
	if *version != 10 && *version != 11 {
		fmt.Fprintf(os.Stderr, "slotdb export: --rdb-version %d: only 10 (Redis 7.0) and 11 (Redis 7.2) are written\n", *version)
		return 2
	}
	topo, err := discover(*from)
	if err != nil {
		fmt.Fprintf(os.Stderr, "slotdb export: %s: %v\n", *from, err)
		return 1
	}
	p := newProgress("export", 0)
	write := func(w io.Writer, aofBase bool) error { return exportRDB(w, topo, p, aofBase, *version) }
	if *rdbFile != "" {
		tmp := filepath.Join(filepath.Dir(*rdbFile), fmt.Sprintf(".temp-export-%d.rdb", os.Getpid()))
		err = writeAtomic(tmp, *rdbFile, func(w io.Writer) error { return write(w, false) })
	} else {
		var dw *aof.DirWriter
		if dw, err = aof.NewDirWriter(*aofDir, "appendonly.aof"); err == nil {
			if err = dw.WriteBaseRDB(func(w io.Writer) error { return write(w, true) }); err == nil {
				_, err = dw.Commit()
			}
			if err != nil {
				dw.Abort()
			}
		}
	}
	p.finish()
	if err != nil {
		fmt.Fprintf(os.Stderr, "slotdb export: %v\n", err)
		return 1
	}
	return 0
}

func writeAtomic(tmp, final string, fn func(io.Writer) error) (err error) {
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// exportRDB writes every key of the source as one RDB.
func exportRDB(w io.Writer, topo *topology, p *progress, aofBase bool, version int) error {
	rw := rdb.NewWriter(w, version)
	rw.WriteStandardAux(0, aofBase)
	dbs := 1
	if !topo.cluster {
		c, err := dial(topo.masters[0])
		if err != nil {
			return err
		}
		if v, err := c.do("CONFIG", "GET", "databases"); err == nil {
			if a, ok := v.([]any); ok && len(a) == 2 {
				if n, err := strconv.Atoi(fmt.Sprint(a[1])); err == nil && n > 0 {
					dbs = n
				}
			}
		}
		c.Close()
	}
	codes, err := exportFunctions(topo.masters)
	if err != nil {
		return err
	}
	for _, code := range codes {
		rw.WriteFunction(code)
	}
	for db := 0; db < dbs; db++ {
		if err := exportDB(rw, topo.masters, db, p); err != nil {
			return err
		}
	}
	return rw.Close()
}

// exportDB reads db from every master at once (one goroutine each, decoding its own DUMPs)
// and writes the keys as they come.
func exportDB(rw *rdb.Writer, masters []string, db int, p *progress) error {
	type batch struct {
		ens []*rdb.Entry
		err error
	}
	ch := make(chan batch, 4*len(masters))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, addr := range masters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := exportNode(addr, db, p, func(ens []*rdb.Entry) bool {
				select {
				case ch <- batch{ens: ens}:
					return true
				case <-stop:
					return false
				}
			})
			if err != nil {
				select {
				case ch <- batch{err: fmt.Errorf("%s db %d: %w", addr, db, err)}:
				case <-stop:
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
	var err error
	for b := range ch {
		if err != nil {
			continue
		}
		if err = b.err; err != nil {
			close(stop)
			continue
		}
		for _, en := range b.ens {
			if err = rw.WriteEntry(en); err != nil {
				close(stop)
				break
			}
		}
	}
	return err
}

// exportNode SCANs one master's db and DUMPs every key, pipelining the DUMPs of one SCAN
// batch with the next SCAN; emit gets each batch of keys (false: stop).
func exportNode(addr string, db int, p *progress, emit func([]*rdb.Entry) bool) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if db != 0 {
		if _, err := c.do("SELECT", strconv.Itoa(db)); err != nil {
			return err
		}
	}
	cursor := "0"
	c.send([]byte("SCAN"), []byte(cursor), []byte("COUNT"), []byte("1000"))
	for {
		v, err := c.read()
		if err != nil {
			return err
		}
		if e, ok := v.(respError); ok {
			return fmt.Errorf("SCAN: %s", e)
		}
		a, ok := v.([]any)
		if !ok || len(a) != 2 {
			return fmt.Errorf("malformed SCAN reply")
		}
		cursor, _ = a[0].(string)
		keys, _ := a[1].([]any)
		for _, k := range keys {
			key, _ := k.(string)
			c.send([]byte("DUMP"), []byte(key))
			c.send([]byte("PEXPIRETIME"), []byte(key))
		}
		if cursor != "0" {
			c.send([]byte("SCAN"), []byte(cursor), []byte("COUNT"), []byte("1000"))
		}
		ens := make([]*rdb.Entry, 0, len(keys))
		for _, k := range keys {
			key, _ := k.(string)
			pv, err := c.read()
			if err != nil {
				return err
			}
			tv, err := c.read()
			if err != nil {
				return err
			}
			if e, ok := pv.(respError); ok {
				return fmt.Errorf("DUMP %q: %s", key, e)
			}
			payload, ok := pv.(string)
			at, _ := tv.(int64)
			if !ok || at == -2 {
				p.skip.Add(1) // gone since SCAN
				continue
			}
			o, err := rdb.DecodeDump([]byte(payload))
			if err != nil {
				p.failed.Add(1)
				return fmt.Errorf("DUMP %q: %v", key, err)
			}
			en := &rdb.Entry{DB: db, Key: []byte(key), Object: o}
			if at > 0 {
				en.ExpireAt = at
			}
			ens = append(ens, en)
			p.keys.Add(1)
			p.bytes.Add(int64(len(key) + len(payload)))
		}
		if len(ens) > 0 && !emit(ens) {
			return nil
		}
		if cursor == "0" {
			return nil
		}
	}
}

// exportFunctions reads every master's function libraries (FUNCTION DUMP) for the file's
// FUNCTION2 records. A library is written once, as the first master that has it holds it
// (Redis refuses a file naming a library twice); a source without FUNCTION (before 7.0)
// has none.
func exportFunctions(masters []string) ([][]byte, error) {
	var out [][]byte
	seen := map[string]bool{}
	for _, addr := range masters {
		c, err := dial(addr)
		if err != nil {
			return nil, err
		}
		v, err := c.do("FUNCTION", "DUMP")
		c.Close()
		if _, unknown := err.(respError); unknown {
			continue // a server without FUNCTION
		}
		if err != nil {
			return nil, fmt.Errorf("%s: FUNCTION DUMP: %w", addr, err)
		}
		payload, ok := v.(string)
		if !ok || payload == "" {
			continue
		}
		codes, err := rdb.DecodeFunctionsDump([]byte(payload))
		if err != nil {
			return nil, fmt.Errorf("%s: FUNCTION DUMP: %w", addr, err)
		}
		for _, code := range codes {
			name := rdb.LibraryName(code)
			if !seen[name] {
				seen[name] = true
				out = append(out, code)
			}
		}
	}
	return out, nil
}
