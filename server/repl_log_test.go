package server_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// The replication milestones in the log, worded as redis-server 7.0.15 prints them in the same
// scenario (operators grep them), and INFO's sync_full / sync_partial_ok / sync_partial_err
// counted as Redis's syncCommand counts them.

// logLines returns the server's log messages (the text after "pid:R dd Mon yyyy hh:mm:ss.mmm "),
// each prefixed with its level mark: "* ..." or "# ...".
func logLines(t *testing.T, s *proctest.Server) []string {
	t.Helper()
	b, err := os.ReadFile(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\d+:[MSCX] \d+ \w+ \d+ [\d:.]+ ([*#.-] .*)$`)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// assertLogSequence fails unless want's lines appear in the log in this order (other lines
// may come between); a want line ending in "…" matches as a prefix.
func assertLogSequence(t *testing.T, s *proctest.Server, from int, want []string) int {
	t.Helper()
	lines := logLines(t, s)
	i := from
	for _, w := range want {
		prefix, isPrefix := strings.CutSuffix(w, "…")
		for ; i < len(lines); i++ {
			if lines[i] == w || isPrefix && strings.HasPrefix(lines[i], prefix) {
				break
			}
		}
		if i == len(lines) {
			t.Fatalf("%s log: no %q after line %d; log:\n%s", s.Name, w, from, strings.Join(lines[from:], "\n"))
		}
		i++
	}
	return i
}

// refuseLog fails if a line matching bad appears in the log.
func refuseLog(t *testing.T, s *proctest.Server, bad string) {
	t.Helper()
	for _, l := range logLines(t, s) {
		if strings.Contains(l, bad) {
			t.Fatalf("%s log has %q:\n%s", s.Name, l, strings.Join(logLines(t, s), "\n"))
		}
	}
}

// statField reads one field of INFO stats.
func statField(t *testing.T, c *proctest.Conn, name string) string {
	t.Helper()
	r := replDo(t, c, "INFO", "stats")
	for _, line := range strings.Split(r.Str, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return v
		}
	}
	return ""
}

func syncStats(t *testing.T, c *proctest.Conn) string {
	t.Helper()
	return statField(t, c, "sync_full") + "/" + statField(t, c, "sync_partial_ok") + "/" + statField(t, c, "sync_partial_err")
}

// waitLogLine waits until the log has a line containing text.
func waitLogLine(t *testing.T, s *proctest.Server, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range logLines(t, s) {
			if strings.Contains(l, text) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s log: no %q:\n%s", s.Name, text, strings.Join(logLines(t, s), "\n"))
}

// TestReplicationLogLines: a full sync, then a partial resync after the master dropped the
// replica's link, then REPLICAOF NO ONE; the milestone lines of both sides as redis-server
// 7.0.15 prints them, and the sync counters.
func TestReplicationLogLines(t *testing.T) {
	m := proctest.StartSlotdb(t)
	r := proctest.StartSlotdb(t)
	mc, rc := m.Dial(t), r.Dial(t)
	replDo(t, mc, "SET", "a", "1")
	if got := syncStats(t, mc); got != "0/0/0" {
		t.Fatalf("sync stats before any replica: %s", got)
	}
	port := strings.TrimPrefix(m.Addr(), "127.0.0.1:")
	replDo(t, rc, "REPLICAOF", "127.0.0.1", port)
	waitInSync(t, mc, rc)

	// Full sync: the replica asked to continue its own history (a master turned replica),
	// the master refused with Redis's reason and sent the RDB disk-less.
	rOff := assertLogSequence(t, r, 0, []string{
		"* Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
		"* Connecting to MASTER " + m.Addr(),
		"* MASTER <-> REPLICA sync started",
		"* Non blocking connect for SYNC fired the event.",
		"* Master replied to PING, replication can continue...",
		"* Trying a partial resynchronization (request …",
		"* Full resync from master: …",
		"* MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk",
		"* Discarding previously cached master state.",
		"* MASTER <-> REPLICA sync: Flushing old data",
		"* MASTER <-> REPLICA sync: Loading DB in memory",
		"* Done loading RDB, keys loaded: 1, keys expired: 0.",
		"* MASTER <-> REPLICA sync: Finished with success",
	})
	// A full sync is not a partial one.
	refuseLog(t, r, "Master accepted a Partial Resynchronization")
	refuseLog(t, r, "Successful partial resynchronization")
	rname := "127.0.0.1:" + strings.TrimPrefix(r.Addr(), "127.0.0.1:")
	mOff := assertLogSequence(t, m, 0, []string{
		"* Replica " + rname + " asks for synchronization",
		"* Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '…",
		"* Replication backlog created, my new replication IDs are '…",
		"* Starting BGSAVE for SYNC with target: replicas sockets",
		"* Streamed RDB transfer with replica " + rname + " succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
		"* Synchronization with replica " + rname + " succeeded",
	})
	refuseLog(t, m, "Full resync requested by replica") // only for PSYNC ? -1
	// The replica asked with its own id: a failed partial attempt, then a full sync.
	if got := syncStats(t, mc); got != "1/0/1" {
		t.Fatalf("sync_full/sync_partial_ok/sync_partial_err after the full sync: %s, want 1/0/1", got)
	}

	// The master drops the link: the replica continues partially.
	replDo(t, mc, "SET", "b", "2")
	replDo(t, mc, "CLIENT", "KILL", "TYPE", "replica")
	waitLogLine(t, r, "Master accepted a Partial Resynchronization")
	waitInSync(t, mc, rc)
	rOff = assertLogSequence(t, r, rOff, []string{
		"# Connection with master lost.",
		"* Caching the disconnected master state.",
		"* Reconnecting to MASTER " + m.Addr(),
		"* MASTER <-> REPLICA sync started",
		"* Non blocking connect for SYNC fired the event.",
		"* Master replied to PING, replication can continue...",
		"* Trying a partial resynchronization (request …",
		"* Successful partial resynchronization with master.",
		"* MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
	})
	assertLogSequence(t, m, mOff, []string{
		"# Connection with replica " + rname + " lost.",
		"* Replica " + rname + " asks for synchronization",
		"* Partial resynchronization request from " + rname + " accepted. Sending …",
	})
	if got := syncStats(t, mc); got != "1/1/1" {
		t.Fatalf("sync stats after the partial resync: %s, want 1/1/1", got)
	}
	if got := replDo(t, rc, "GET", "b").Str; got != "2" {
		t.Fatalf("replica GET b = %q", got)
	}

	// Promotion.
	replDo(t, rc, "REPLICAOF", "NO", "ONE")
	assertLogSequence(t, r, rOff, []string{
		"# Connection with master lost.",
		"* Caching the disconnected master state.",
		"* Discarding previously cached master state.",
		"# Setting secondary replication ID to …",
		"* MASTER MODE enabled (user request from …",
	})

	// CONFIG RESETSTAT clears the counters, as resetServerStats does.
	replDo(t, mc, "CONFIG", "RESETSTAT")
	if got := syncStats(t, mc); got != "0/0/0" {
		t.Fatalf("sync stats after CONFIG RESETSTAT: %s", got)
	}
}

// TestSyncStatsFullResyncRequested: PSYNC ? -1 (a replica that wants a full sync on purpose)
// counts sync_full only, as Redis does, and is logged as a requested full resync.
func TestSyncStatsFullResyncRequested(t *testing.T) {
	m := proctest.StartSlotdb(t)
	mc := m.Dial(t)
	c := m.Dial(t)
	replDo(t, c, "REPLCONF", "listening-port", "4321")
	if err := c.Send("PSYNC", "?", "-1"); err != nil {
		t.Fatal(err)
	}
	raw, err := c.ReadReply()
	if err != nil || !strings.HasPrefix(string(raw), "+FULLRESYNC ") {
		t.Fatalf("PSYNC ? -1: %q %v", raw, err)
	}
	if got := syncStats(t, mc); got != "1/0/0" {
		t.Fatalf("sync stats after PSYNC ? -1: %s, want 1/0/0", got)
	}
	waitLogLine(t, m, "Full resync requested by replica 127.0.0.1:4321")
	// A PSYNC with an unknown id: one failed partial attempt more.
	c2 := m.Dial(t)
	replDo(t, c2, "REPLCONF", "listening-port", "4322")
	if err := c2.Send("PSYNC", strings.Repeat("a", 40), "1"); err != nil {
		t.Fatal(err)
	}
	if raw, err := c2.ReadReply(); err != nil || !strings.HasPrefix(string(raw), "+FULLRESYNC ") {
		t.Fatalf("PSYNC with an unknown id: %q %v", raw, err)
	}
	if got := syncStats(t, mc); got != "2/0/1" {
		t.Fatalf("sync stats after a PSYNC with an unknown id: %s, want 2/0/1", got)
	}
}
