package difftest

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StrictEnv names the environment variable that can relax the comparison: mismatches against
// slotdb fail the test unless it is set to 0 (then they are only logged; go test -v shows them).
const StrictEnv = "SLOTDB_DIFF_STRICT"

// TraceEnv names the environment variable that makes RunFile log every exchange.
const TraceEnv = "SLOTDB_DIFF_TRACE"

// Strict reports whether mismatches fail tests. Strict is the default: every mismatch with Redis fails the test. SLOTDB_DIFF_STRICT=0 turns
// mismatches into log lines, for working through a new case file.
func Strict() bool {
	switch strings.ToLower(os.Getenv(StrictEnv)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// Report prints every mismatch. When strict, each one fails the test; otherwise they are logged
// with a summary saying that the gate is off.
func Report(t testing.TB, ms []Mismatch, strict bool) {
	t.Helper()
	for _, m := range ms {
		if strict {
			t.Errorf("mismatch %s", m)
		} else {
			t.Logf("mismatch %s", m)
		}
	}
	if len(ms) > 0 && !strict {
		t.Logf("%d mismatch(es) not failing the test: %s is off", len(ms), StrictEnv)
	}
}

// CaseFiles returns the case files (*.txt) in dir, sorted.
func CaseFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no case files (*.txt) in %s", dir)
	}
	sort.Strings(files)
	return files
}

// RunFile loads a case file, runs it against ref and got with DefaultRules (plus extra) and
// returns the mismatches; a file that does not parse fails the test.
func RunFile(t testing.TB, path string, ref, got Side, extra ...Rule) []Mismatch {
	t.Helper()
	s, err := LoadScript(path)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(ref, got, append(append([]Rule(nil), DefaultRules...), extra...))
	defer r.Close()
	if os.Getenv(TraceEnv) != "" {
		last := time.Now()
		r.Trace = func(pos string, cmd []string, a, b []byte) {
			now := time.Now()
			t.Logf("%s: %s  (%v)\n    %s %s\n    %s %s", pos, quoteCmd(cmd), now.Sub(last).Round(time.Millisecond), ref.Name, clip(a), got.Name, clip(b))
			last = now
		}
	}
	return r.RunScript(s)
}

// SeedEnv names the environment variable that fixes the random generator's seed.
const SeedEnv = "SLOTDB_DIFF_SEED"

// Seed picks the random stream's seed: SLOTDB_DIFF_SEED when set; a fixed seed under CI (CI=true),
// so a landing is decided by the code and not by luck; otherwise a new one each run, to explore.
// It logs the seed with the command that replays it.
func Seed(t testing.TB) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv(SeedEnv); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, s, err)
		}
		seed = n
	} else if os.Getenv("CI") == "true" {
		seed = 20261122
	}
	t.Logf("seed %d (replay with %s=%d)", seed, SeedEnv, seed)
	return seed
}
