package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/slotdb/slotdb/internal/difftest"
	"github.com/slotdb/slotdb/internal/proctest"
)

// The differential tests run every case file in testdata/diff, and a seeded random stream,
// against a real redis-server 7.0.15 and slotdb-server, comparing raw replies byte for byte.
//
// Every mismatch fails the test. While working through a new case file, SLOTDB_DIFF_STRICT=0
// turns them into log lines (go test -run Diff -v lists every one).
//
// To add cases: write commands, one per line, into testdata/diff/<topic>.txt (quoting,
// comments and @directives as in internal/difftest/script.go); each file runs on a fresh pair
// of servers. SLOTDB_DIFF_CASE=<substring> runs only matching files.

func startPair(t *testing.T) (difftest.Side, difftest.Side) {
	t.Helper()
	ref := proctest.StartRedis(t)
	got := proctest.StartSlotdb(t)
	// A crash shows as mismatches; with the gate off it is logged (with the log tail), not failed.
	got.TolerateExit = !difftest.Strict()
	return difftest.Side{Name: "redis", Addr: ref.Addr()}, difftest.Side{Name: "slotdb", Addr: got.Addr()}
}

func TestDiffCases(t *testing.T) {
	strict := difftest.Strict()
	var mu sync.Mutex
	total := 0
	// The files run in parallel (each on its own pair of servers): most of their time is
	// spent sleeping for TTLs.
	t.Run("files", func(t *testing.T) {
		for _, path := range difftest.CaseFiles(t, filepath.Join("testdata", "diff")) {
			name := strings.TrimSuffix(filepath.Base(path), ".txt")
			if f := os.Getenv("SLOTDB_DIFF_CASE"); f != "" && !strings.Contains(name, f) {
				continue
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ref, got := startPair(t)
				ms := difftest.RunFile(t, path, ref, got)
				mu.Lock()
				total += len(ms)
				mu.Unlock()
				difftest.Report(t, ms, strict)
			})
		}
	})
	if total > 0 && !strict {
		t.Logf("TO DO: %d mismatch(es) against redis 7.0.15 across the case files (%s off)", total, difftest.StrictEnv)
	}
}

func TestDiffRandom(t *testing.T) {
	seed := difftest.Seed(t)
	ref, got := startPair(t)
	r := difftest.NewRunner(ref, got, difftest.DefaultRules)
	defer r.Close()
	g := difftest.NewGenerator(seed, difftest.DefaultFamilies...)
	difftest.Report(t, r.RunRandomChunks(g, 20, 100), difftest.Strict())
}
