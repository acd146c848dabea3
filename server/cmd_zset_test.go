package server_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/difftest"
)

// TestDiffRandomZSet runs the sorted-set and geo families of the random generator against
// redis-server 7.0.15 (SLOTDB_DIFF_SEED replays a run).
func TestDiffRandomZSet(t *testing.T) {
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
	g := difftest.NewGenerator(seed, difftest.FamilyZSet, difftest.FamilyGeo)
	difftest.Report(t, r.RunRandomChunks(g, 10, 100), difftest.Strict())
}
