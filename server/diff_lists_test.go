package server_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/difftest"
)

// TestDiffRandomLists runs a seeded random stream of list commands, mixed with string
// commands so that lists meet wrong types, against redis-server and slotdb-server.
func TestDiffRandomLists(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("SLOTDB_DIFF_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("SLOTDB_DIFF_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with SLOTDB_DIFF_SEED=%d)", seed, seed)
	ref, got := startPair(t)
	r := difftest.NewRunner(ref, got, difftest.DefaultRules)
	defer r.Close()
	g := difftest.NewGenerator(seed, difftest.FamilyLists, difftest.FamilyLists, difftest.FamilyLists, difftest.FamilyStrings)
	difftest.Report(t, r.RunRandomChunks(g, 10, 100), difftest.Strict())
}
