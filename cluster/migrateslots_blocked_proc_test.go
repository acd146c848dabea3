package cluster_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

// keyIn returns a key of a slot in [lo, hi] with the given prefix.
func keyIn(prefix string, lo, hi int) (string, int) {
	for i := 0; ; i++ {
		k := prefix + strconv.Itoa(i)
		if sl := int(keyslot.Of([]byte(k))); sl >= lo && sl <= hi {
			return k, sl
		}
	}
}

// blockOn sends a blocking command on a fresh connection and returns it, once the server
// counts one more blocked client.
func blockOn(t *testing.T, s *proctest.Server, args ...string) *proctest.Conn {
	t.Helper()
	before, _ := strconv.Atoi(infoField(do(t, s, "INFO", "clients"), "blocked_clients"))
	c := proctest.MustDial(t, s.Addr())
	if err := c.Send(args...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the client to block", func() (bool, string) {
		n, _ := strconv.Atoi(infoField(do(t, s, "INFO", "clients"), "blocked_clients"))
		return n > before, ""
	})
	return c
}

// replyWithin reads c's reply within d ("" when none came).
func replyWithin(t *testing.T, c *proctest.Conn, d time.Duration) string {
	t.Helper()
	c.SetTimeout(d)
	r, err := c.ReadReply()
	if err != nil {
		return ""
	}
	return string(r)
}

// Clients blocked on keys of slots that move get -MOVED, as redis-server 7.0 answers them
// (checked by hand: a blocked BLPOP and XREAD get "MOVED <slot> <owner>" after SETSLOT
// NODE): after a native migration, and after the redis-cli path's SETSLOT NODE. A client
// blocked on a key that stays is still served.
func TestMigrateSlotsBlockedClients(t *testing.T) {
	t.Parallel()
	a, b := twoMasters(t)
	list, slot := keyIn("list:", 0, movingEnd)
	stream, sslot := keyIn("stream:", 0, movingEnd)
	stays, _ := keyIn("stays:", movingEnd+1, 16383)
	mustOK(t, a, "SET", "k:0", "v") // the migration moves at least one key
	blpop := blockOn(t, a, "BLPOP", list, "0")
	xread := blockOn(t, a, "XREAD", "BLOCK", "0", "STREAMS", stream, "$")
	other := blockOn(t, a, "BLPOP", stays, "0")

	migrateSlots(t, a, b)
	if m := waitMigration(t, a); m["state"] != "success" {
		t.Fatalf("migration: %v", m)
	}
	if got, want := replyWithin(t, blpop, 5*time.Second), fmt.Sprintf("-MOVED %d %s\r\n", slot, b.Addr()); got != want {
		t.Fatalf("blocked BLPOP got %q, want %q", got, want)
	}
	if got, want := replyWithin(t, xread, 5*time.Second), fmt.Sprintf("-MOVED %d %s\r\n", sslot, b.Addr()); got != want {
		t.Fatalf("blocked XREAD got %q, want %q", got, want)
	}
	if got := replyWithin(t, other, 1500*time.Millisecond); got != "" {
		t.Fatalf("BLPOP on a key that stays got %q", got)
	}
	do(t, a, "RPUSH", stays, "x")
	if got := replyWithin(t, other, 5*time.Second); !strings.Contains(got, "x") {
		t.Fatalf("BLPOP on a key that stays: %q", got)
	}

	// The redis-cli path: slot of another key moved by hand from a to b.
	key, sl := keyIn("byhand:", movingEnd+1, 16383)
	hand := blockOn(t, a, "BLPOP", key, "0")
	ida, idb := myID(t, a), myID(t, b)
	mustOK(t, b, "CLUSTER", "SETSLOT", strconv.Itoa(sl), "IMPORTING", ida)
	mustOK(t, a, "CLUSTER", "SETSLOT", strconv.Itoa(sl), "MIGRATING", idb)
	if got := replyWithin(t, hand, 1500*time.Millisecond); got != "" {
		t.Fatalf("BLPOP while the slot is only MIGRATING got %q", got)
	}
	mustOK(t, b, "CLUSTER", "SETSLOT", strconv.Itoa(sl), "NODE", idb)
	mustOK(t, a, "CLUSTER", "SETSLOT", strconv.Itoa(sl), "NODE", idb)
	if got, want := replyWithin(t, hand, 5*time.Second), fmt.Sprintf("-MOVED %d %s\r\n", sl, b.Addr()); got != want {
		t.Fatalf("BLPOP after SETSLOT NODE got %q, want %q", got, want)
	}
}

// FLUSHALL on the source while the records stream, and on the target during the hand-over,
// cancel the migration with the reason in GETSLOTMIGRATIONS; the source keeps the slots and
// what it holds, the target keeps nothing, and the migration runs again.
func TestMigrateSlotsFlushAll(t *testing.T) {
	t.Setenv(stallEnv, "handover=2s")
	t.Setenv("SLOTDB_SLOT_MIGRATION_MAX_BYTES_PER_SEC", "1000000")
	a, b := twoMasters(t)
	loadMoving(t, a, 128)

	migrateSlots(t, a, b)
	waitFor(t, 10*time.Second, "records streaming", func() (bool, string) {
		m := migration(t, a)
		n, _ := strconv.Atoi(m["records"])
		return n > 0, fmt.Sprint(m)
	})
	mustOK(t, a, "FLUSHALL")
	m := waitMigration(t, a)
	if m["state"] != "cancelled" || !strings.Contains(m["message"], "FLUSHALL ran on the source") {
		t.Fatalf("FLUSHALL on the source: %v", m)
	}
	waitFor(t, 10*time.Second, "the target's import to end", func() (bool, string) {
		m := migration(t, b)
		return m["state"] == "failed", fmt.Sprint(m)
	})
	noStaging(t, b)
	sourceKeeps(t, a, b)
	if n := dbsize(t, a); n != 0 {
		t.Fatalf("source DBSIZE %d after FLUSHALL", n)
	}

	total, names := loadMoving(t, a, 16)
	migrateSlots(t, a, b)
	waitJobState(t, b, "taking-ownership")
	mustOK(t, b, "FLUSHALL")
	if m := waitMigration(t, b); m["state"] != "cancelled" || !strings.Contains(m["message"], "FLUSHALL ran on the target") {
		t.Fatalf("FLUSHALL on the target: %v", m)
	}
	if m := waitMigration(t, a); m["state"] != "failed" || !strings.Contains(m["message"], "FLUSHALL ran on the target") {
		t.Fatalf("the source after FLUSHALL on the target: %v", m)
	}
	noStaging(t, b)
	checkOwnership(t, a, b, a, total, names, nil)

	migrateSlots(t, a, b)
	if m := waitMigration(t, a); m["state"] != "success" {
		t.Fatalf("re-run: %v", m)
	}
	checkOwnership(t, a, b, b, total, names, nil)
}
