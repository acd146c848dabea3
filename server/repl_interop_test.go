package server_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Replication interop with the real redis-server 7.0: a real replica of a slotdb master, a
// slotdb replica of a real master, a chain, and a replica killed while streaming. Every
// scenario ends with the two datasets compared key by key (type, value, absolute expiry).

// replDo runs one command and returns its parsed reply.
func replDo(t *testing.T, c *proctest.Conn, args ...string) *proctest.Reply {
	t.Helper()
	r, err := c.DoReply(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

// infoField reads one field of INFO replication.
func infoField(t *testing.T, c *proctest.Conn, name string) string {
	t.Helper()
	r := replDo(t, c, "INFO", "replication")
	for _, line := range strings.Split(r.Str, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			return v
		}
	}
	return ""
}

// waitInSync waits until the replica's link is up and it applied the master's whole stream.
func waitInSync(t *testing.T, master, replica *proctest.Conn) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("in sync after %v", time.Since(start)) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mo := infoField(t, master, "master_repl_offset")
		if infoField(t, replica, "master_link_status") == "up" && infoField(t, replica, "slave_repl_offset") == mo {
			// The master's offset may have moved (PING): settle on equality twice.
			if infoField(t, master, "master_repl_offset") == mo {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("replica not in sync: master offset %s, replica %s (link %s)", infoField(t, master, "master_repl_offset"),
		infoField(t, replica, "slave_repl_offset"), infoField(t, replica, "master_link_status"))
}

// writeLoad sends n writes of every type, pipelined, over dbs 0-2, from a seeded generator.
func writeLoad(t *testing.T, c *proctest.Conn, seed uint64, n int) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%d writes in %v", n, time.Since(start)) }()
	rng := rand.New(rand.NewPCG(seed, 7))
	key := func(prefix string) string { return prefix + strconv.Itoa(rng.IntN(40)) }
	num := func() string { return strconv.Itoa(rng.IntN(1000)) }
	far := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli()+int64(rng.IntN(1000)), 10)
	gens := []func() []string{
		func() []string { return []string{"SET", key("s"), num()} },
		func() []string { return []string{"SET", key("s"), num(), "EX", "1000"} },
		func() []string { return []string{"SETEX", key("s"), "500", num()} },
		func() []string { return []string{"PSETEX", key("s"), "500000", num()} },
		func() []string { return []string{"APPEND", key("s"), "x"} },
		func() []string { return []string{"INCR", key("n")} },
		func() []string { return []string{"INCRBYFLOAT", key("f"), "1.5"} },
		func() []string { return []string{"EXPIRE", key("s"), "100"} },
		func() []string { return []string{"PEXPIREAT", key("n"), far} },
		func() []string { return []string{"EXPIREAT", key("s"), "1"} }, // in the past: DEL
		func() []string { return []string{"PERSIST", key("s")} },
		func() []string { return []string{"GETEX", key("s"), "PX", "99000"} },
		func() []string { return []string{"DEL", key("s")} },
		func() []string { return []string{"RPUSH", key("l"), num(), num()} },
		func() []string { return []string{"LPUSH", key("l"), num()} },
		func() []string { return []string{"LPOP", key("l")} },
		func() []string { return []string{"RPOP", key("l"), "2"} },
		func() []string { return []string{"LMOVE", key("l"), key("l"), "LEFT", "RIGHT"} },
		func() []string { return []string{"BLPOP", key("l"), "0.01"} },
		func() []string { return []string{"LMPOP", "2", key("l"), key("l"), "RIGHT", "COUNT", "2"} },
		func() []string { return []string{"SADD", key("t"), num(), num(), "m" + num()} },
		func() []string { return []string{"SREM", key("t"), num()} },
		func() []string { return []string{"SPOP", key("t")} },
		func() []string { return []string{"SPOP", key("t"), "3"} },
		func() []string { return []string{"SINTERSTORE", key("t"), key("t"), key("t")} },
		func() []string { return []string{"HSET", key("h"), "f" + num(), num()} },
		func() []string { return []string{"HDEL", key("h"), "f" + num()} },
		func() []string { return []string{"HINCRBY", key("h"), "c", "3"} },
		func() []string { return []string{"HINCRBYFLOAT", key("h"), "g", "0.25"} },
		func() []string { return []string{"ZADD", key("z"), num(), "m" + num()} },
		func() []string { return []string{"ZINCRBY", key("z"), "2.5", "m" + num()} },
		func() []string { return []string{"ZPOPMIN", key("z")} },
		func() []string { return []string{"BZPOPMAX", key("z"), "0.01"} },
		func() []string { return []string{"ZREMRANGEBYRANK", key("z"), "0", "0"} },
		func() []string { return []string{"XADD", key("x"), "*", "f", num()} },
		func() []string { return []string{"XADD", key("x"), "MAXLEN", "~", "5", "*", "f", num()} },
		func() []string { return []string{"XTRIM", key("x"), "MAXLEN", "3"} },
		func() []string { return []string{"PFADD", key("p"), num(), num()} },
		func() []string { return []string{"SETRANGE", key("s"), "2", "zz"} },
		func() []string { return []string{"SETBIT", key("b"), num(), "1"} },
		func() []string { return []string{"RENAME", key("s"), key("s")} },
		func() []string { return []string{"COPY", key("h"), key("h"), "REPLACE"} },
		func() []string { return []string{"SELECT", strconv.Itoa(rng.IntN(3))} },
		func() []string {
			return []string{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]) redis.call('INCR', KEYS[2]) return 1", "2", key("s"), key("n"), num()}
		},
	}
	sent := 0
	for sent < n {
		batch := min(500, n-sent)
		replies := 0
		for i := 0; i < batch; i++ {
			g := gens[rng.IntN(len(gens))]()
			replies++
			if rng.IntN(40) == 0 { // a transaction: MULTI, the command, one more, EXEC
				c.Send("MULTI")
				c.Send(g...)
				c.Send("SET", key("s"), "in-multi")
				replies += 3
				g = []string{"EXEC"}
			}
			if err := c.Send(g...); err != nil {
				t.Error(err)
				return
			}
		}
		for ; replies > 0; replies-- {
			if _, err := c.ReadReply(); err != nil {
				t.Error(err)
				return
			}
		}
		sent += batch
	}
	if err := c.Send("SELECT", "0"); err == nil {
		c.ReadReply()
	}
}

// dataset reads every key of dbs 0-2 as "db key" -> canonical type, value and expiry.
func dataset(t *testing.T, c *proctest.Conn) map[string]string {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("dataset read in %v", time.Since(start)) }()
	out := map[string]string{}
	for db := 0; db < 3; db++ {
		replDo(t, c, "SELECT", strconv.Itoa(db))
		keys := replDo(t, c, "KEYS", "*")
		for _, k := range keys.Elems {
			key := k.Str
			typ := replDo(t, c, "TYPE", key).Str
			var v string
			switch typ {
			case "string":
				v = string(replDo(t, c, "GET", key).Raw())
			case "list":
				v = string(replDo(t, c, "LRANGE", key, "0", "-1").Raw())
			case "set":
				v = sortedElems(replDo(t, c, "SMEMBERS", key))
			case "hash":
				v = sortedPairs(replDo(t, c, "HGETALL", key))
			case "zset":
				v = string(replDo(t, c, "ZRANGE", key, "0", "-1", "WITHSCORES").Raw())
			case "stream":
				v = string(replDo(t, c, "XRANGE", key, "-", "+").Raw())
			}
			exp := string(replDo(t, c, "PEXPIRETIME", key).Raw())
			out[fmt.Sprintf("%d %s", db, key)] = typ + " " + v + " exp=" + exp
		}
	}
	replDo(t, c, "SELECT", "0")
	return out
}

func sortedElems(r *proctest.Reply) string {
	var s []string
	for _, e := range r.Elems {
		s = append(s, e.Str)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func sortedPairs(r *proctest.Reply) string {
	var s []string
	for i := 0; i+1 < len(r.Elems); i += 2 {
		s = append(s, r.Elems[i].Str+"="+r.Elems[i+1].Str)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// sameData fails unless both servers hold the same keys with the same values and expiries.
func sameData(t *testing.T, a, b *proctest.Conn) {
	t.Helper()
	da, db := dataset(t, a), dataset(t, b)
	bad := 0
	for k, v := range da {
		if db[k] != v && bad < 10 {
			t.Errorf("key %s:\n master  %q\n replica %q", k, v, db[k])
			bad++
		}
	}
	for k := range db {
		if _, ok := da[k]; !ok && bad < 10 {
			t.Errorf("key %s only on the replica: %q", k, db[k])
			bad++
		}
	}
	if len(da) == 0 {
		t.Error("empty dataset: the load wrote nothing")
	}
}

func logHas(t *testing.T, s *proctest.Server, text string) bool {
	t.Helper()
	b, err := os.ReadFile(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), text)
}

func TestReplRedisReplicaOfSlotdb(t *testing.T) {
	m := proctest.StartSlotdb(t)
	mc := m.Dial(t)
	writeLoad(t, mc, 1, 2000) // before the replica: the full sync carries it
	r := proctest.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	writeLoad(t, mc, 2, 4000) // streamed, during and after the full sync
	waitInSync(t, mc, rc)
	sameData(t, mc, rc)
	// Cut the link: the replica continues partially from the backlog.
	replDo(t, mc, "CLIENT", "KILL", "TYPE", "replica")
	writeLoad(t, mc, 3, 4000)
	waitInSync(t, mc, rc)
	sameData(t, mc, rc)
	if !logHas(t, r, "Successful partial resynchronization with master") {
		t.Error("the replica did not resynchronize partially after CLIENT KILL TYPE replica")
	}
	if got := replDo(t, mc, "ROLE"); len(got.Elems) != 3 || len(got.Elems[2].Elems) != 1 {
		t.Errorf("ROLE on the master: %q", got.Raw())
	}
}

func TestReplSlotdbReplicaOfRedis(t *testing.T) {
	m := proctest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	mc := m.Dial(t)
	writeLoad(t, mc, 4, 2000)
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	writeLoad(t, mc, 5, 4000)
	waitInSync(t, mc, rc)
	sameData(t, mc, rc)
	if got := string(replDo(t, rc, "SET", "x", "1").Raw()); got != "-READONLY You can't write against a read only replica.\r\n" {
		t.Errorf("write on a replica: %q", got)
	}
	replDo(t, mc, "CLIENT", "KILL", "TYPE", "replica")
	writeLoad(t, mc, 6, 4000)
	waitInSync(t, mc, rc)
	sameData(t, mc, rc)
	if !logHas(t, r, "Successful partial resynchronization with master") {
		t.Error("slotdb did not resynchronize partially after CLIENT KILL TYPE replica")
	}
	// REPLICAOF NO ONE keeps the data and the history as the secondary id.
	id := infoField(t, rc, "master_replid")
	replDo(t, rc, "REPLICAOF", "NO", "ONE")
	if got := infoField(t, rc, "master_replid2"); got != id {
		t.Errorf("master_replid2 after REPLICAOF NO ONE = %q, want %q", got, id)
	}
	sameData(t, mc, rc)
}

func TestReplChain(t *testing.T) {
	m := proctest.StartSlotdb(t)
	mc := m.Dial(t)
	writeLoad(t, mc, 7, 1000)
	mid := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	midc := mid.Dial(t)
	waitInSync(t, mc, midc)
	writeLoad(t, mc, 8, 1000)
	end := proctest.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(mid.Port))
	endc := end.Dial(t)
	writeLoad(t, mc, 9, 2000)
	waitInSync(t, mc, midc)
	waitInSync(t, midc, endc)
	sameData(t, mc, endc)
	sameData(t, mc, midc)
}

func TestReplReplicaKilledWhileStreaming(t *testing.T) {
	m := proctest.StartSlotdb(t)
	mc := m.Dial(t)
	writeLoad(t, mc, 10, 1000)
	r := proctest.StartSlotdb(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := r.Dial(t)
	waitInSync(t, mc, rc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := proctest.Dial(m.Addr())
		if err != nil {
			return
		}
		defer c.Close()
		writeLoad(t, c, 11, 3000)
	}()
	time.Sleep(100 * time.Millisecond)
	r.Kill()
	<-done
	r.Restart()
	rc = r.Dial(t)
	waitInSync(t, mc, rc)
	sameData(t, mc, rc)
}
