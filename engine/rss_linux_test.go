package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLargeCollectionsRSS builds a hash, a set, a sorted set and a list of 1,000,000 elements
// each, operates on them and deletes them, and asserts that the process's resident memory
// stays within a budget far below what holding the data would take. It runs in a child
// process, so that the peak (VmHWM) is this test's alone: the test binary itself, or under
// -race (which multiplies memory several times and time ten times) the package's test binary
// built without the race detector.
func TestLargeCollectionsRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	if dir := os.Getenv("SLOTDB_RSS_CHILD"); dir != "" {
		largeCollectionsRSS(t, dir)
		return
	}
	bin := os.Args[0]
	if raceBuild {
		bin = filepath.Join(t.TempDir(), "engine.test")
		build := exec.Command("go", "test", "-c", "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go test -c: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestLargeCollectionsRSS$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "SLOTDB_RSS_CHILD="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestLargeCollectionsRSS")) {
		t.Fatalf("child failed: %v", err)
	}
}

// Element sizes: what the data would take held in memory is at least its payload.
const (
	rssFieldLen = 16  // hash field, set and zset member
	rssValueLen = 100 // hash value, list element
)

// rssBudget bounds the growth of the peak RSS over the process's RSS before the engine
// opened. It is fixed: Pebble's memtables (64 MiB each; a second one fills while the first
// flushes), its block cache and the hot cache (16 MiB together here), and the Go heap's
// headroom (GOGC 100 over a live heap that holds ~100 MiB of per-slot counters for every
// possible database). Holding the same four collections of 1,000,000 elements in memory
// takes redis-server 7.0.15 466 MiB (used_memory, measured with these element sizes).
const (
	rssBudget   = 320 << 20
	redisNeeds  = 466 << 20
	rssLateGrow = 64 << 20 // allowed peak growth over the last 60 % of the fill
)

func largeCollectionsRSS(t *testing.T, dir string) {
	const n = 1_000_000
	runtime.GC()
	base := procStatus(t, "VmRSS")
	e, err := Open(Options{Dir: dir, Databases: 16, Fsync: FsyncNo, CacheBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	hk, sk, zk, lk := []byte("big:h"), []byte("big:s"), []byte("big:z"), []byte("big:l")
	keys := [][]byte{hk, sk, zk, lk}
	field := func(b []byte, i int) []byte { return fmt.Appendf(b[:0], "f%0*d", rssFieldLen-1, i) }
	value := func(i int) []byte {
		v := bytes.Repeat([]byte{'v'}, rssValueLen)
		copy(v, strconv.Itoa(i))
		return v
	}
	start := time.Now()
	var peak40 int64
	const batch = 20_000
	for lo := 0; lo < n; lo += batch {
		err := e.Update(0, keys, func(tx *Tx) error {
			var ms [4]*Meta
			for i, k := range keys {
				var err error
				if ms[i], err = tx.Get(k); err != nil {
					return err
				}
			}
			h, s := tx.OpenHash(hk, ms[0], DefaultHashLimits), tx.OpenSet(sk, ms[1], DefaultSetLimits)
			z := tx.OpenZSet(zk, ms[2], DefaultZSetLimits)
			var buf []byte
			vals := make([][]byte, 0, batch)
			for i := lo; i < min(lo+batch, n); i++ {
				buf = field(buf, i)
				v := value(i)
				vals = append(vals, v)
				if err := h.SetNew(buf, v); err != nil {
					return err
				}
				if err := s.AddNew(buf); err != nil {
					return err
				}
				if err := z.Insert(buf, float64(i)); err != nil {
					return err
				}
			}
			if _, err := tx.ListPush(lk, ms[3], false, vals...); err != nil {
				return err
			}
			return errors.Join(h.Save(), s.Save(), z.Save())
		})
		if err != nil {
			t.Fatal(err)
		}
		if lo < 4*n/10 && lo+batch >= 4*n/10 {
			peak40 = procStatus(t, "VmHWM")
		}
	}
	t.Logf("filled 4 x %d elements in %v", n, time.Since(start))

	// Element operations on each, in the middle.
	mid := n / 2
	var buf []byte
	err = e.Update(0, keys, func(tx *Tx) error {
		var ms [4]*Meta
		for i, k := range keys {
			ms[i], _ = tx.Get(k)
			if ms[i] == nil || ms[i].Count != int64(n) {
				return fmt.Errorf("%s: meta %+v", k, ms[i])
			}
		}
		h, s := tx.OpenHash(hk, ms[0], DefaultHashLimits), tx.OpenSet(sk, ms[1], DefaultSetLimits)
		z := tx.OpenZSet(zk, ms[2], DefaultZSetLimits)
		if v, ok, err := h.Get(field(buf, mid)); err != nil || !ok || !bytes.Equal(v, value(mid)) {
			return fmt.Errorf("HGET = %q %v %v", v, ok, err)
		}
		if ok, err := s.IsMember(field(buf, mid)); err != nil || !ok {
			return fmt.Errorf("SISMEMBER = %v %v", ok, err)
		}
		if r, _, ok, err := z.Rank(field(buf, n-3), false); err != nil || !ok || r != int64(n-3) {
			return fmt.Errorf("ZRANK = %d %v %v", r, ok, err)
		}
		if v, ok, err := tx.ListIndex(lk, ms[3], int64(mid)); err != nil || !ok || !bytes.Equal(v, value(mid)) {
			return fmt.Errorf("LINDEX = %q %v %v", v, ok, err)
		}
		if ok, err := tx.ListSet(lk, ms[3], int64(mid), []byte("x")); err != nil || !ok {
			return fmt.Errorf("LSET = %v %v", ok, err)
		}
		if ok, err := h.Del(field(buf, mid)); err != nil || !ok {
			return fmt.Errorf("HDEL = %v %v", ok, err)
		}
		if ok, err := s.Rem(field(buf, mid)); err != nil || !ok {
			return fmt.Errorf("SREM = %v %v", ok, err)
		}
		if _, err := z.Set([]byte("new"), -1); err != nil {
			return err
		}
		return errors.Join(h.Save(), s.Save(), z.Save())
	})
	if err != nil {
		t.Fatal(err)
	}
	err = e.View(0, keys, func(tx *Tx) error {
		m, _ := tx.Get(zk)
		got := 0
		err := tx.OpenZSet(zk, m, DefaultZSetLimits).RangeByRank(int64(mid), int64(mid)+9, false, func([]byte, float64) bool {
			got++
			return true
		})
		if err == nil && got != 10 {
			err = fmt.Errorf("ZRANGE by rank returned %d", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Deleting each is one range tombstone.
	err = e.Update(0, keys, func(tx *Tx) error {
		for _, k := range keys {
			if ok, err := tx.Delete(k); err != nil || !ok {
				return fmt.Errorf("DEL %s = %v %v", k, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	peak := procStatus(t, "VmHWM")
	held := int64(n) * (rssFieldLen + rssValueLen + rssFieldLen + rssFieldLen + 8 + rssValueLen)
	t.Logf("RSS before open %d MiB, peak at 40 %% of the fill %d MiB, peak %d MiB (growth %d MiB, budget %d MiB); payload %d MiB",
		base>>20, peak40>>20, peak>>20, (peak-base)>>20, rssBudget>>20, held>>20)
	// The memory does not follow the data: the last 60 % of the fill adds 60 % of the payload
	// but the peak hardly moves.
	if late := peak - peak40; late > rssLateGrow {
		t.Errorf("peak RSS grew by %d MiB over the last 60 %% of the fill (payload %d MiB)", late>>20, held*6/10>>20)
	}
	if rssBudget > redisNeeds*3/4 {
		t.Fatalf("budget %d MiB is not well below the %d MiB the data needs in memory", rssBudget>>20, redisNeeds>>20)
	}
	if peak-base > rssBudget {
		t.Errorf("peak RSS grew by %d MiB, over the %d MiB budget", (peak-base)>>20, rssBudget>>20)
	}
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(t *testing.T, name string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", name)
	return 0
}
