package cluster

import (
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/proctest"
)

// Start runs the first cron at once, as Redis's first serverCron comes 1 ms after start:
// a master given every slot turns cluster_state ok CLUSTER_WRITABLE_DELAY (2 s) after
// Start, not 2 s after a later first state update. The clock is fake; the ticks are real.
func TestWritableDelayCountsFromStart(t *testing.T) {
	eng, err := engine.Open(engine.Options{Dir: t.TempDir(), Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var clock atomic.Int64
	clock.Store(1_800_000_000_000)
	port := proctest.FreePort(t)
	n, err := Open(Options{
		Config:     state.DefaultConfig(port),
		ConfigFile: filepath.Join(t.TempDir(), "nodes.conf"),
		Bind:       []string{"127.0.0.1"},
		BusPort:    port + proctest.BusOffset,
		Engine:     eng,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:        clock.Load,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// The slots come later (as from redis-cli): ADDSLOTS also updates the state, and
	// would otherwise be the first call.
	clock.Add(1999)
	var aerr error
	n.Do(func(now int64, st *state.State) state.Output {
		out, err := st.AddSlotsRange(now, []string{"0", "16383"})
		aerr = err
		return out
	})
	if aerr != nil {
		t.Fatal(aerr)
	}
	ok := func() bool { _, ok := n.Route(0); return ok }

	time.Sleep(250 * time.Millisecond) // a few real ticks
	if ok() {
		t.Fatal("cluster_state ok before the writable delay has passed")
	}
	clock.Add(1)
	for deadline := time.Now().Add(2 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("cluster_state not ok 2000 ms after Start: the writable delay did not start at Start")
		}
	}
}
