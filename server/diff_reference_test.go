package server_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/difftest"
	"github.com/slotdb/slotdb/internal/proctest"
)

// Every case file must be deterministic: two real Redis servers agree on all of it under the
// default rules. This always fails on a mismatch (no gate): a case that Redis does not agree
// with itself on would only produce noise against slotdb.
func TestDiffCasesReferenceAgrees(t *testing.T) {
	for _, path := range difftest.CaseFiles(t, filepath.Join("testdata", "diff")) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			t.Parallel()
			a, b := proctest.StartRedis(t), proctest.StartRedis(t)
			ms := difftest.RunFile(t, path, difftest.Side{Name: "redis-a", Addr: a.Addr()}, difftest.Side{Name: "redis-b", Addr: b.Addr()})
			difftest.Report(t, ms, true)
		})
	}
}
