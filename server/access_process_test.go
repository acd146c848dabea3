package server_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/rdb"
)

// OBJECT IDLETIME and FREQ over time against a real redis-server 7.0.15: the values depend on
// the clock and on random draws, so they are compared within bounds rather than byte for byte
// (testdata/diff/access.txt has the exact cases).
func TestAccessDataMatchesRedisOverTime(t *testing.T) {
	sides := []struct {
		name string
		c    *proctest.Conn
	}{
		{"redis", proctest.StartRedis(t).Dial(t)},
		{"slotdb", proctest.StartSlotdb(t).Dial(t)},
	}
	intOf := func(t *testing.T, c *proctest.Conn, args ...string) int64 {
		t.Helper()
		r, err := c.DoReply(args...)
		if err != nil || r.Type != ':' {
			t.Fatalf("%q: %v %+v", args, err, r)
		}
		n, _ := strconv.ParseInt(r.Str, 10, 64)
		return n
	}
	for _, s := range sides {
		for _, args := range [][]string{{"SET", "k", "hello"}, {"SET", "j", "hello"}, {"SET", "t", "hello"}} {
			if _, err := s.c.Do(args...); err != nil {
				t.Fatal(err)
			}
		}
		d, err := s.c.DoReply("DUMP", "k")
		if err != nil || d.Type != '$' {
			t.Fatalf("%s: DUMP: %v", s.name, err)
		}
		if r, _ := s.c.Do("RESTORE", "r", "0", d.Str, "IDLETIME", "1000"); string(r) != "+OK\r\n" {
			t.Fatalf("%s: RESTORE IDLETIME = %q", s.name, r)
		}
	}
	time.Sleep(2200 * time.Millisecond)
	for _, s := range sides {
		c := s.c
		c.Do("GET", "j")
		c.Do("TYPE", "t") // LOOKUP_NOTOUCH
		c.Do("EXISTS", "t")
		if n := intOf(t, c, "OBJECT", "IDLETIME", "k"); n < 1 || n > 3 {
			t.Errorf("%s: IDLETIME 2.2 s after SET = %d", s.name, n)
		}
		if n := intOf(t, c, "OBJECT", "IDLETIME", "t"); n < 1 || n > 3 {
			t.Errorf("%s: IDLETIME after TYPE and EXISTS = %d, want about 2", s.name, n)
		}
		if n := intOf(t, c, "OBJECT", "IDLETIME", "j"); n > 1 {
			t.Errorf("%s: IDLETIME right after GET = %d", s.name, n)
		}
		if n := intOf(t, c, "OBJECT", "IDLETIME", "r"); n < 1001 || n > 1003 {
			t.Errorf("%s: IDLETIME of RESTORE ... IDLETIME 1000 after 2.2 s = %d", s.name, n)
		}
		c.Do("TOUCH", "k")
		if n := intOf(t, c, "OBJECT", "IDLETIME", "k"); n > 1 {
			t.Errorf("%s: IDLETIME after TOUCH = %d", s.name, n)
		}
	}

	// LFU with the default lfu-log-factor (10): a new key starts at 5, the first read always
	// counts, and 1000 reads land where Redis's do (about 18: redis.conf's table).
	for _, s := range sides {
		c := s.c
		c.Do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
		c.Do("SET", "f", "hello")
		if n := intOf(t, c, "OBJECT", "FREQ", "f"); n != 5 {
			t.Errorf("%s: FREQ of a new key = %d", s.name, n)
		}
		c.Do("GET", "f")
		if n := intOf(t, c, "OBJECT", "FREQ", "f"); n != 6 {
			t.Errorf("%s: FREQ after one GET = %d", s.name, n)
		}
		for range 999 {
			if err := c.Send("GET", "f"); err != nil {
				t.Fatal(err)
			}
		}
		for range 999 {
			if _, err := c.ReadReply(); err != nil {
				t.Fatal(err)
			}
		}
		if n := intOf(t, c, "OBJECT", "FREQ", "f"); n < 13 || n > 24 {
			t.Errorf("%s: FREQ after 1000 GETs = %d, want about 18", s.name, n)
		}
	}
}

// SAVE writes RDB_OPCODE_IDLE under an LRU policy and RDB_OPCODE_FREQ under an LFU one, as
// rdbSaveKeyValuePair; checked on both servers' dump.rdb.
func TestAccessDataInSavedRDB(t *testing.T) {
	for _, c := range []struct {
		policy, opt, val string
		idle             bool
	}{{"allkeys-lru", "IDLETIME", "5000", true}, {"volatile-lfu", "FREQ", "100", false}} {
		for _, srv := range []*proctest.Server{proctest.StartRedis(t), proctest.StartSlotdb(t)} {
			conn := srv.Dial(t)
			conn.Do("CONFIG", "SET", "maxmemory-policy", c.policy)
			conn.Do("SET", "src", "hello")
			d, err := conn.DoReply("DUMP", "src")
			if err != nil || d.Type != '$' {
				t.Fatalf("DUMP: %v", err)
			}
			conn.Do("DEL", "src")
			if r, _ := conn.Do("RESTORE", "k", "0", d.Str, c.opt, c.val); string(r) != "+OK\r\n" {
				t.Fatalf("RESTORE = %q", r)
			}
			if r, _ := conn.Do("SAVE"); string(r) != "+OK\r\n" {
				t.Fatalf("SAVE = %q", r)
			}
			f, err := os.Open(filepath.Join(srv.Dir, "dump.rdb"))
			if err != nil {
				t.Fatal(err)
			}
			rd := rdb.NewReader(bufio.NewReader(f))
			en, err := rd.Next()
			f.Close()
			if err != nil {
				t.Fatalf("%s %s: reading dump.rdb: %v", srv.Name, c.policy, err)
			}
			if c.idle && (en.Idle < 5000 || en.Idle > 5002 || en.Freq != -1) {
				t.Errorf("%s %s: IDLE %d FREQ %d, want IDLE 5000", srv.Name, c.policy, en.Idle, en.Freq)
			}
			if !c.idle && (en.Freq != 100 || en.Idle != -1) {
				t.Errorf("%s %s: IDLE %d FREQ %d, want FREQ 100", srv.Name, c.policy, en.Idle, en.Freq)
			}
		}
	}
}
