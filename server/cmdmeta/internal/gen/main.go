// Command gen captures Redis 7.0.15's command metadata and golden replies from a real
// redis-server. It is run by hand, from server/cmdmeta:
//
//	go run ./internal/gen [-server /usr/bin/redis-server] [-port 21379]
//
// It starts its own redis-server (no persistence, in a temp dir), reads COMMAND and
// COMMAND DOCS over RESP3 into commands.json, records the raw replies of the cases in
// cases.go into testdata/replies.json, then kills that server. Builds and tests only read
// the files; they never need redis-server.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"time"

	"github.com/slotdb/slotdb/server/cmdmeta/internal/valjson"
	"github.com/slotdb/slotdb/server/resp"
)

func main() {
	bin := flag.String("server", "redis-server", "redis-server 7.0.15 binary")
	port := flag.Int("port", 21379, "free loopback port for the temporary server")
	flag.Parse()
	if _, err := os.Stat("cmdmeta.go"); err != nil {
		log.Fatal("run from server/cmdmeta: it writes commands.json and testdata/ there")
	}

	addr, stop, err := startServer(*bin, *port)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	if err := run(addr); err != nil {
		stop()
		log.Fatal(err)
	}
}

func startServer(bin string, port int) (string, func(), error) {
	dir, err := os.MkdirTemp("", "cmdmeta-gen")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		_ = os.RemoveAll(dir)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; i < 100; i++ {
		if c, err := dial(addr, 2); err == nil {
			c.c.Close()
			return addr, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("redis-server did not start on %s", addr)
}

func run(addr string) error {
	c2, err := dial(addr, 2)
	if err != nil {
		return err
	}
	c3, err := dial(addr, 3)
	if err != nil {
		return err
	}
	ver, _, err := c3.do("INFO", "server")
	if err != nil {
		return err
	}
	if !bytes.Contains([]byte(ver.Str), []byte("redis_version:7.0.15\r\n")) {
		return fmt.Errorf("need redis 7.0.15, server says:\n%s", ver.Str)
	}
	infos, _, err := c3.do("COMMAND")
	if err != nil {
		return err
	}
	docs, _, err := c3.do("COMMAND", "DOCS")
	if err != nil {
		return err
	}
	if err := writeCommands(infos, docs); err != nil {
		return err
	}
	return writeReplies(c2, c3, docs)
}

// writeCommands stores the table as one valjson value, {"%":["redis_version", "7.0.15",
// "commands", [[name, info, docs], ...]]}, one line per top-level command sorted by name.
func writeCommands(infos, docs resp.Value) error {
	if infos.Kind != resp.KindArray || docs.Kind != resp.KindMap {
		return fmt.Errorf("unexpected COMMAND/COMMAND DOCS reply kinds %d/%d", infos.Kind, docs.Kind)
	}
	docByName := map[string]resp.Value{}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		docByName[docs.Elems[i].Str] = docs.Elems[i+1]
	}
	type entry struct {
		name       string
		info, docs resp.Value
	}
	var es []entry
	for _, in := range infos.Elems {
		name := in.Elems[0].Str
		d, ok := docByName[name]
		if !ok {
			return fmt.Errorf("no docs for %q", name)
		}
		es = append(es, entry{name, in, d})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	for _, e := range es {
		sortSubcommands(e.info, e.docs)
	}
	var b bytes.Buffer
	b.WriteString("{\"%\":[\"redis_version\",\"7.0.15\",\"commands\",[\n")
	for i, e := range es {
		iv, err := valjson.Marshal(e.info)
		if err != nil {
			return err
		}
		dv, err := valjson.Marshal(e.docs)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "[%q,%s,%s]", e.name, iv, dv)
		if i < len(es)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]]}\n")
	return os.WriteFile("commands.json", b.Bytes(), 0o644)
}

// sortSubcommands puts a container's subcommands in name order, in its info entry and its
// docs. Redis lists them in dict order, which even changes while the server runs (lookups
// advance incremental rehashing), so any order is as faithful and a fixed one keeps the
// file stable across captures.
func sortSubcommands(info, docs resp.Value) {
	subs := info.Elems[9].Elems
	sort.Slice(subs, func(i, j int) bool { return subs[i].Elems[0].Str < subs[j].Elems[0].Str })
	for _, s := range subs {
		sortSubcommands(s, resp.Value{})
	}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		if docs.Elems[i].Str != "subcommands" {
			continue
		}
		m := docs.Elems[i+1].Elems
		type pair struct{ k, v resp.Value }
		ps := make([]pair, 0, len(m)/2)
		for j := 0; j+1 < len(m); j += 2 {
			ps = append(ps, pair{m[j], m[j+1]})
		}
		sort.Slice(ps, func(a, b int) bool { return ps[a].k.Str < ps[b].k.Str })
		for j, p := range ps {
			m[2*j], m[2*j+1] = p.k, p.v
		}
	}
}
