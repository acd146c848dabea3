package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/slotdb/slotdb/bench/migrate"
)

// cmdBench runs `slotdb bench migrate`.
func cmdBench(args []string) int {
	if len(args) == 0 || args[0] != "migrate" {
		fmt.Fprintln(os.Stderr, "usage: slotdb bench migrate [--keys N] [--value-size B] [--slots N] [--json FILE] [--svg FILE] [--skip METHODS]")
		return 2
	}
	fs := flag.NewFlagSet("bench migrate", flag.ContinueOnError)
	keys := fs.Int("keys", 1_000_000, "keys in the dataset")
	size := fs.Int("value-size", 100, "string value size in bytes")
	slots := fs.Int("slots", 1024, "slots the dataset spans (all moved)")
	jsonOut := fs.String("json", "", "write the results as JSON to FILE")
	svgOut := fs.String("svg", "", "write a chart as SVG to FILE")
	server := fs.String("server", "", "slotdb-server binary (default: next to slotdb, then PATH)")
	skip := fs.String("skip", "", "comma-separated methods not to run: "+strings.Join(migrate.MethodNames, ", "))
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *keys <= 0 || *size < 0 || *slots <= 0 || *slots > 16384 {
		fmt.Fprintln(os.Stderr, "slotdb bench migrate: --keys > 0, --value-size >= 0, 1 <= --slots <= 16384")
		return 2
	}
	o := migrate.Options{Keys: *keys, ValueSize: *size, Slots: *slots, Out: os.Stdout, ServerBin: *server}
	o.Skip = map[string]bool{}
	for _, name := range strings.Split(*skip, ",") {
		if name == "" {
			continue
		}
		if !slices.Contains(migrate.MethodNames, name) {
			fmt.Fprintf(os.Stderr, "slotdb bench migrate: --skip: unknown method %q (%s)\n", name, strings.Join(migrate.MethodNames, ", "))
			return 2
		}
		o.Skip[name] = true
	}
	if o.ServerBin == "" {
		o.ServerBin = findBin("slotdb-server", true)
	}
	o.RedisBin = findBin("redis-server", false)
	o.CliBin = findBin("redis-cli", false)
	r, err := migrate.Run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "slotdb bench migrate:", err)
		return 1
	}
	migrate.Table(os.Stdout, r)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if *svgOut != "" {
		f, err := os.Create(*svgOut)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		migrate.SVG(f, r)
		f.Close()
	}
	return 0
}

// findBin looks next to this executable (when asked), then in PATH; "" when absent.
func findBin(name string, besideMe bool) string {
	if besideMe {
		if exe, err := os.Executable(); err == nil {
			p := filepath.Join(filepath.Dir(exe), name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}
