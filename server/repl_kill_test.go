package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// kill -9 of the master or the replica in the middle of a full sync and while streaming: once
// the killed process is restarted, the replica converges to the master's dataset (DBSIZE of
// every db and DEBUG DIGEST, which covers every key, value and expiry). The full sync is made
// long enough to interrupt with ~100 MB of values.

const killKeys = 150_000

// bulkLoad writes n keys prefix:0..n-1 with distinct 600-byte values in MSET batches of 100,
// pipelined. It returns the first error (a killed server) instead of failing the test.
func bulkLoad(addr, prefix string, n int) error {
	c, err := proctest.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(60 * time.Second)
	pad := strings.Repeat("v", 580)
	pending := 0
	for i := 0; i < n; {
		args := []string{"MSET"}
		for j := 0; j < 100 && i < n; j, i = j+1, i+1 {
			// Distinct values keep the RDB large (LZF cannot fold them away).
			args = append(args, prefix+":"+strconv.Itoa(i), strconv.Itoa(i*7919)+pad+strconv.Itoa(i))
		}
		if err := c.Send(args...); err != nil {
			return err
		}
		if pending++; pending == 64 {
			for ; pending > 0; pending-- {
				if _, err := c.ReadReply(); err != nil {
					return err
				}
			}
		}
	}
	for ; pending > 0; pending-- {
		if _, err := c.ReadReply(); err != nil {
			return err
		}
	}
	return nil
}

// startDebugSlotdb starts slotdb with DEBUG enabled (DEBUG DIGEST compares the datasets).
func startDebugSlotdb(t *testing.T, args ...string) *proctest.Server {
	return proctest.StartSlotdb(t, append([]string{"--enable-debug-command", "yes"}, args...)...)
}

// waitSyncing waits until the replica reports a full sync in progress.
func waitSyncing(t *testing.T, r *proctest.Server) {
	t.Helper()
	c := r.Dial(t)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if infoField(t, c, "master_sync_in_progress") == "1" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the replica never started a full sync")
}

// sameDigest fails unless both servers hold the same dataset: DBSIZE of dbs 0-2 and DEBUG DIGEST.
func sameDigest(t *testing.T, a, b *proctest.Conn) {
	t.Helper()
	for db := 0; db < 3; db++ {
		replDo(t, a, "SELECT", strconv.Itoa(db))
		replDo(t, b, "SELECT", strconv.Itoa(db))
		if na, nb := replDo(t, a, "DBSIZE").Str, replDo(t, b, "DBSIZE").Str; na != nb {
			t.Errorf("db %d: DBSIZE %s on the master, %s on the replica", db, na, nb)
		}
	}
	replDo(t, a, "SELECT", "0")
	replDo(t, b, "SELECT", "0")
	da, db := replDo(t, a, "DEBUG", "DIGEST").Str, replDo(t, b, "DEBUG", "DIGEST").Str
	if da != db {
		t.Errorf("DEBUG DIGEST %s on the master, %s on the replica", da, db)
	}
	if da == strings.Repeat("0", 40) {
		t.Error("empty dataset")
	}
}

func TestReplKillReplicaDuringFullSync(t *testing.T) {
	m := startDebugSlotdb(t)
	if err := bulkLoad(m.Addr(), "big", killKeys); err != nil {
		t.Fatal(err)
	}
	mc := m.Dial(t)
	r := startDebugSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	waitSyncing(t, r)
	r.Kill()
	writeLoad(t, mc, 21, 2000) // the master moves on while the replica is down
	r.Restart()
	rc := r.Dial(t)
	waitInSync(t, mc, rc)
	sameDigest(t, mc, rc)
}

func TestReplKillMasterDuringFullSync(t *testing.T) {
	m := startDebugSlotdb(t)
	if err := bulkLoad(m.Addr(), "big", killKeys); err != nil {
		t.Fatal(err)
	}
	// The replica holds a dataset of its own before it is pointed at the master.
	r := startDebugSlotdb(t)
	rc := r.Dial(t)
	for i := 0; i < 50; i++ {
		replDo(t, rc, "SET", "old:"+strconv.Itoa(i), "x")
	}
	replDo(t, rc, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
	waitSyncing(t, r)
	m.Kill()
	// A sync that failed never leaves half a dataset: the old one, or the master's whole.
	time.Sleep(1500 * time.Millisecond)
	rc = r.Dial(t)
	n := replDo(t, rc, "DBSIZE").Str
	if n != "50" && n != strconv.Itoa(killKeys) {
		t.Errorf("DBSIZE on the replica after the master died mid-sync = %s, want 50 or %d", n, killKeys)
	}
	m.Restart()
	mc := m.Dial(t)
	writeLoad(t, mc, 22, 2000)
	waitInSync(t, mc, rc)
	sameDigest(t, mc, rc)
}

func TestReplKillMasterWhileStreaming(t *testing.T) {
	m := startDebugSlotdb(t)
	mc := m.Dial(t)
	writeLoad(t, mc, 23, 2000)
	r := startDebugSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	waitInSync(t, mc, rc)
	done := make(chan error, 1)
	go func() { done <- bulkLoad(m.Addr(), "stream", 100_000) }()
	// Kill once the replica is applying the load.
	deadline := time.Now().Add(20 * time.Second)
	for replDo(t, rc, "EXISTS", "stream:5000").Str != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the load never reached the replica")
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.Kill()
	if err := <-done; err == nil {
		t.Log("the load finished before the kill")
	}
	m.Restart()
	mc = m.Dial(t)
	writeLoad(t, mc, 24, 2000)
	waitInSync(t, mc, rc)
	sameDigest(t, mc, rc)
}

func TestReplKillReplicaWhileStreamingBigLoad(t *testing.T) {
	m := startDebugSlotdb(t)
	mc := m.Dial(t)
	r := startDebugSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	waitInSync(t, mc, rc)
	done := make(chan error, 1)
	go func() { done <- bulkLoad(m.Addr(), "stream", 100_000) }()
	deadline := time.Now().Add(20 * time.Second)
	for replDo(t, rc, "EXISTS", "stream:5000").Str != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the load never reached the replica")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Kill()
	if err := <-done; err != nil {
		t.Fatalf("the load on the master failed: %v", err)
	}
	r.Restart()
	rc = r.Dial(t)
	waitInSync(t, mc, rc)
	sameDigest(t, mc, rc)
}
