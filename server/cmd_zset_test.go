package server_test

import (
	"testing"

	"github.com/slotdb/slotdb/internal/difftest"
)

// TestDiffRandomZSet runs the sorted-set and geo families of the random generator against
// redis-server 7.0.15 (SLOTDB_DIFF_SEED replays a run).
func TestDiffRandomZSet(t *testing.T) {
	seed := difftest.Seed(t)
	ref, got := startPair(t)
	r := difftest.NewRunner(ref, got, difftest.DefaultRules)
	defer r.Close()
	g := difftest.NewGenerator(seed, difftest.FamilyZSet, difftest.FamilyGeo)
	difftest.Report(t, r.RunRandomChunks(g, 10, 100), difftest.Strict())
}
