package cluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Failure schedules of the native slot migration beyond the bulk phase (migrateslots_proc_test.go
// has the target and the source killed while the records stream, and CANCEL): the target
// SIGKILLed while writes are forwarded and during the hand-over, the source SIGKILLed during
// the hand-over, the link cut at each phase. SLOTDB_SLOT_MIGRATION_TEST_STALL holds a phase
// long enough to strike in it. After each: one owner agreed on, every acknowledged write
// readable there, the other node holds none of the slots' keys, nothing left staged, and the
// migration runs again.

const stallEnv = "SLOTDB_SLOT_MIGRATION_TEST_STALL"

// waitJobState waits until the newest job on s is in state st.
func waitJobState(t *testing.T, s *proctest.Server, st string) {
	t.Helper()
	waitFor(t, 20*time.Second, "a job in state "+st, func() (bool, string) {
		m := migration(t, s)
		return m["state"] == st, fmt.Sprint(m)
	})
}

// noStaging checks that the target keeps no staged SST.
func noStaging(t *testing.T, b *proctest.Server) {
	t.Helper()
	waitFor(t, 10*time.Second, "the staging directory to empty", func() (bool, string) {
		entries, err := os.ReadDir(filepath.Join(b.Dir, "slotdb", "slotimport"))
		if os.IsNotExist(err) {
			return true, ""
		}
		return err == nil && len(entries) == 0, fmt.Sprint(entries, err)
	})
}

// killLink closes the migration's connection on the target (CLIENT KILL ID).
func killLink(t *testing.T, b *proctest.Server) {
	t.Helper()
	list := do(t, b, "CLIENT", "LIST")
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "cmd=cluster|syncslots") {
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "id="); ok {
					if got := do(t, b, "CLIENT", "KILL", "ID", id); got != "1" {
						t.Fatalf("CLIENT KILL ID %s: %s", id, got)
					}
					return
				}
			}
		}
	}
	t.Fatalf("no migration link in CLIENT LIST:\n%s", list)
}

// sourceKeeps checks, while a load runs, that a still owns every slot for both nodes and b
// holds no key.
func sourceKeeps(t *testing.T, a, b *proctest.Server) {
	t.Helper()
	idA := myID(t, a)
	waitFor(t, 10*time.Second, "both nodes to give every slot to the source", func() (bool, string) {
		for _, s := range []*proctest.Server{a, b} {
			if l := clusterNodes(t, s)[idA]; strings.Join(l.slots, " ") != "0-16383" {
				return false, fmt.Sprintf("%d: %+v", s.Port, l)
			}
		}
		return true, ""
	})
	if n := dbsize(t, b); n != 0 {
		t.Fatalf("the target holds %d keys", n)
	}
}

// endedAs waits for the source's job to end and returns its state.
func endedAs(t *testing.T, a *proctest.Server) string {
	t.Helper()
	return waitMigration(t, a)["state"]
}

func TestMigrateSlotsTargetKilledLate(t *testing.T) {
	t.Setenv(stallEnv, "catchup=2s,handover=3s")
	a, b := twoMasters(t, "--appendfsync", "always")
	total, names := loadMoving(t, a, 64)
	l := startLoad(t, a.Addr(), 3, names)

	// While the writes made since the snapshot are forwarded.
	migrateSlots(t, a, b)
	waitJobState(t, a, "streaming")
	b.Kill()
	if st := endedAs(t, a); st != "failed" {
		t.Fatalf("target killed during catch-up: the job %s", st)
	}
	b.Restart()
	waitClusterOK(t, a, b)
	noStaging(t, b)

	// During the hand-over: records promoted on the target, the source paused and waiting.
	migrateSlots(t, a, b)
	waitJobState(t, b, "taking-ownership")
	b.Kill()
	b.Restart() // the source learns from the restarted target that it did not take the slots
	if st := endedAs(t, a); st != "failed" {
		t.Fatalf("target killed during the hand-over: the job %s", st)
	}
	waitClusterOK(t, a, b)
	noStaging(t, b)
	l.end()
	if len(l.errs.list) > 0 {
		t.Fatalf("clients saw errors: %v", l.errs.list)
	}
	checkOwnership(t, a, b, a, total, names, l)

	migrateSlots(t, a, b)
	if st := endedAs(t, a); st != "success" {
		t.Fatalf("re-run: %s", st)
	}
	checkOwnership(t, a, b, b, total, names, l)
}

func TestMigrateSlotsSourceKilledLate(t *testing.T) {
	t.Setenv(stallEnv, "catchup=2s,handover=3s")
	a, b := twoMasters(t, "--appendfsync", "always")
	total, names := loadMoving(t, a, 64)

	// While the writes made since the snapshot are forwarded: the target drops what it
	// staged, the restarted source owns everything it acknowledged.
	l := startLoad(t, a.Addr(), 3, names)
	migrateSlots(t, a, b)
	waitJobState(t, a, "streaming")
	close(l.stop)
	a.Kill()
	l.wg.Wait() // errors from the dead node are expected here
	waitFor(t, 10*time.Second, "the target's import to fail", func() (bool, string) {
		m := migration(t, b)
		return m["state"] == "failed", fmt.Sprint(m)
	})
	noStaging(t, b)
	a.Restart()
	waitClusterOK(t, a, b)
	checkOwnership(t, a, b, a, total, names, l)
	total += int(l.newKeys.Load())
	first := l

	// During the hand-over: everything the source acknowledged reached the target before
	// End, so the target finishes alone; the restarted source learns that it lost the slots
	// and deletes their keys.
	l = startLoadFrom(t, a.Addr(), 3, 3, names)
	migrateSlots(t, a, b)
	waitJobState(t, b, "taking-ownership")
	close(l.stop)
	a.Kill()
	l.wg.Wait()
	waitJobState(t, b, "success")
	a.Restart()
	waitClusterOK(t, a, b)
	l.maybe.Add(first.maybe.Load()) // DBSIZE may count the first load's failed writes too
	checkOwnership(t, a, b, b, total, names, l)
}

func TestMigrateSlotsLinkCut(t *testing.T) {
	t.Setenv(stallEnv, "catchup=2s,handover=2s")
	t.Setenv("SLOTDB_SLOT_MIGRATION_MAX_BYTES_PER_SEC", "1000000")
	a, b := twoMasters(t)
	total, names := loadMoving(t, a, 128) // about 1.4 s of stream at the limit
	l := startLoad(t, a.Addr(), 3, names)

	for _, phase := range []string{"streaming records", "forwarding writes", "cancel while forwarding"} {
		migrateSlots(t, a, b)
		switch phase {
		case "streaming records":
			waitFor(t, 10*time.Second, "records streaming", func() (bool, string) {
				m := migration(t, a)
				n, _ := strconv.Atoi(m["records"])
				return n > 0 && m["state"] == "snapshotting", fmt.Sprint(m)
			})
			killLink(t, b)
		case "forwarding writes":
			waitJobState(t, a, "streaming")
			killLink(t, b)
		default:
			waitJobState(t, a, "streaming")
			mustOK(t, a, "CLUSTER", "CANCELSLOTMIGRATIONS")
		}
		want := "failed"
		if strings.HasPrefix(phase, "cancel") {
			want = "cancelled"
		}
		if st := endedAs(t, a); st != want {
			t.Fatalf("link cut while %s: the job %s", phase, st)
		}
		waitFor(t, 10*time.Second, "the target's job to end", func() (bool, string) {
			m := migration(t, b)
			return m["state"] == "failed", fmt.Sprint(m)
		})
		noStaging(t, b)
		sourceKeeps(t, a, b)
	}

	// Cut during the hand-over: the source asks the target the outcome; either is fine as
	// long as both agree.
	migrateSlots(t, a, b)
	waitJobState(t, b, "taking-ownership")
	killLink(t, b)
	owner := a
	if endedAs(t, a) == "success" {
		owner = b
	}
	t.Logf("cut during the hand-over: owner %d", owner.Port)
	l.end()
	if len(l.errs.list) > 0 {
		t.Fatalf("clients saw errors: %v", l.errs.list)
	}
	noStaging(t, b)
	checkOwnership(t, a, b, owner, total, names, l)
	if owner == a {
		migrateSlots(t, a, b)
		if st := endedAs(t, a); st != "success" {
			t.Fatalf("re-run: %s", st)
		}
		checkOwnership(t, a, b, b, total, names, l)
	}
}
