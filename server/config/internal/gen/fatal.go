package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

type fatalCase struct {
	Name   string            `json:"name"`
	Files  map[string]string `json:"files"` // written in a temp dir (the cwd)
	Args   []string          `json:"args"`  // $DIR is that dir
	Stdin  string            `json:"stdin,omitempty"`
	Stderr string            `json:"stderr"`
	Log    string            `json:"log,omitempty"` // the fatal warning logged instead
	OK     bool              `json:"ok"`            // the server started
}

var fatalCases = []fatalCase{
	{Name: "unknown", Files: map[string]string{"t.conf": "# c\n\nfoo bar\n"}, Args: []string{"t.conf"}},
	{Name: "bad bool", Files: map[string]string{"t.conf": "port 0\nappendonly maybe\n"}, Args: []string{"t.conf"}},
	{Name: "bad memory", Files: map[string]string{"t.conf": "maxmemory 12x\n"}, Args: []string{"t.conf"}},
	{Name: "argc", Files: map[string]string{"t.conf": "port 1 2\n"}, Args: []string{"t.conf"}},
	{Name: "unbalanced", Files: map[string]string{"t.conf": "port \"abc\n"}, Args: []string{"t.conf"}},
	{Name: "quote glued", Files: map[string]string{"t.conf": "requirepass \"abc\"x\n"}, Args: []string{"t.conf"}},
	{Name: "enum", Files: map[string]string{"t.conf": "\tloglevel   foo  \r\n"}, Args: []string{"t.conf"}},
	{Name: "range", Files: map[string]string{"t.conf": "port 99999\n"}, Args: []string{"t.conf"}},
	{Name: "save odd", Files: map[string]string{"t.conf": "save 1\n"}, Args: []string{"t.conf"}},
	{Name: "include missing", Files: map[string]string{"t.conf": "include nonexist.conf\n"}, Args: []string{"t.conf"}},
	{Name: "config missing", Args: []string{"nonexist.conf"}},
	{Name: "include glob none", Files: map[string]string{"t.conf": "include nomatch*.conf\nport 0 0\n"}, Args: []string{"t.conf"}},
	{Name: "include error", Files: map[string]string{"t.conf": "port 0\ninclude inc.conf\n", "inc.conf": "\n\nbogus 1\n"}, Args: []string{"t.conf"}},
	{Name: "include glob", Files: map[string]string{"t.conf": "include d/*.conf\n", "d/a.conf": "port 0\n", "d/b.conf": "bad-b 1\n", "d/.h.conf": "bad-hidden 1\n"}, Args: []string{"t.conf"}},
	{Name: "include extra arg", Files: map[string]string{"t.conf": "include inc.conf extra\n", "inc.conf": ""}, Args: []string{"t.conf"}},
	{Name: "dir then include", Files: map[string]string{"t.conf": "dir sub\ninclude inc.conf\n", "sub/inc.conf": "port 0 1\n"}, Args: []string{"t.conf"}},
	{Name: "args unknown", Files: map[string]string{"t.conf": "port 0\n"}, Args: []string{"t.conf", "--foo", "bar", "baz"}},
	{Name: "args quoting", Files: map[string]string{"t.conf": "port 0\n"}, Args: []string{"t.conf", "--foo", "a b", "c\"d\n"}},
	{Name: "args lone", Args: []string{"--foo"}},
	{Name: "args save empty", Args: []string{"--save", "--foo", "1"}},
	{Name: "args joined", Args: []string{"--port 0", "--bar"}},
	{Name: "args name with value", Args: []string{"--foo x", "y"}},
	{Name: "args dash middle", Files: map[string]string{"t.conf": "port 0\n"}, Args: []string{"t.conf", "-", "--foo"}},
	{Name: "stdin", Args: []string{"-", "--port", "0"}, Stdin: "loglevel bogus\n"},
	{Name: "module cfg", Args: []string{"-", "t.conf"}},
	{Name: "cluster replicaof", Files: map[string]string{"t.conf": "cluster-enabled yes\nreplicaof 127.0.0.1 1\n"}, Args: []string{"t.conf"}},
	{Name: "logfile", Files: map[string]string{"t.conf": "logfile /nonexist/x.log\n"}, Args: []string{"t.conf"}},
	{Name: "dir missing", Args: []string{"--port", "0", "--dir", "/nonexist"}},
	{Name: "dir file", Args: []string{"--port", "0", "--dir", "/etc/passwd"}},
	{Name: "hex escapes", Files: map[string]string{"t.conf": "foo \"\\x41\\x4a\\n\" 'it\\'s'\n"}, Args: []string{"t.conf"}},
	{Name: "deprecated ok", Files: map[string]string{"t.conf": "list-max-ziplist-entries 5\nlist-max-ziplist-entries 5 6\n"}, Args: []string{"t.conf"}},
	{Name: "sentinel", Files: map[string]string{"t.conf": "sentinel\nsentinel monitor x\n"}, Args: []string{"t.conf"}},
	{Name: "module config no value", Files: map[string]string{"t.conf": "a.b\n"}, Args: []string{"t.conf"}},
	{Name: "obuf", Files: map[string]string{"t.conf": "client-output-buffer-limit normal 1 1\n"}, Args: []string{"t.conf"}},
	{Name: "shutdown flags", Files: map[string]string{"t.conf": "shutdown-on-sigint save nosave\n"}, Args: []string{"t.conf"}},
	{Name: "case", Files: map[string]string{"t.conf": "PORT 0\nMaxMemory 1x\n"}, Args: []string{"t.conf"}},
	{Name: "string invalid", Files: map[string]string{"t.conf": "dbfilename a/b\n"}, Args: []string{"t.conf"}},
	{Name: "empty appendfilename", Files: map[string]string{"t.conf": "appendfilename \"\"\n"}, Args: []string{"t.conf"}},
	{Name: "replicaof port", Files: map[string]string{"t.conf": "replicaof h 70000\n"}, Args: []string{"t.conf"}},
	{Name: "nul byte", Files: map[string]string{"t.conf": "port 0\x00junk\nfoo\n"}, Args: []string{"t.conf"}},
	{Name: "comment after", Files: map[string]string{"t.conf": "port 0 # comment\n"}, Args: []string{"t.conf"}},
}

var logLine = regexp.MustCompile(`(?m)^\d+:[CMSX] .* # (.*)$`)

func (g *gen) fatal() error {
	var recs []any
	for _, fc := range fatalCases {
		dir, err := os.MkdirTemp("", "cfgfatal")
		if err != nil {
			return err
		}
		for name, body := range fc.Files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cmd := exec.CommandContext(ctx, g.bin, fc.Args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(fc.Stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		rec := fc
		rec.Stderr = strings.ReplaceAll(stderr.String(), dir, "$DIR")
		rec.OK = err == nil || ctx.Err() != nil // still running when killed: it started
		cancel()
		if !rec.OK && rec.Stderr == "" {
			var last string
			for _, m := range logLine.FindAllStringSubmatch(stdout.String(), -1) {
				last = m[1]
			}
			rec.Log = strings.ReplaceAll(last, dir, "$DIR")
		}
		recs = append(recs, rec)
		os.RemoveAll(dir)
	}
	return writeJSONL(g.out+"/fatal.jsonl", recs)
}
