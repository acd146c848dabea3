package server_test

import (
	"testing"

	"github.com/slotdb/slotdb/internal/difftest"
)

// TestDiffRandomLists runs a seeded random stream of list commands (the family sets strings
// too, so that lists meet wrong types) against redis-server and slotdb-server.
func TestDiffRandomLists(t *testing.T) {
	seed := difftest.Seed(t)
	ref, got := startPair(t)
	r := difftest.NewRunner(ref, got, difftest.DefaultRules)
	defer r.Close()
	g := difftest.NewGenerator(seed, difftest.FamilyLists)
	difftest.Report(t, r.RunRandomChunks(g, 10, 100), difftest.Strict())
}
