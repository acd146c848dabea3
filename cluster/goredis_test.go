package cluster_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
)

const crossSlot = "CROSSSLOT Keys in request don't hash to the same slot"

// createCluster starts n nodes with start and joins them with the real redis-cli
// --cluster create (with --cluster-replicas when replicas > 0). It waits until every node
// reports cluster_state:ok and knows all the others.
func createCluster(t *testing.T, start func(*testing.T) *proctest.Server, n, replicas int) []*proctest.Server {
	t.Helper()
	var nodes []*proctest.Server
	args := []string{"--cluster", "create"}
	for i := 0; i < n; i++ {
		s := start(t)
		nodes = append(nodes, s)
		args = append(args, s.Addr())
	}
	if replicas > 0 {
		args = append(args, "--cluster-replicas", strconv.Itoa(replicas))
	}
	out, err := cli(t, "", append(args, "--cluster-yes")...)
	if err != nil || !strings.Contains(out, "[OK] All 16384 slots covered") {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	waitClusterOK(t, nodes...)
	return nodes
}

// Node starters for createCluster.
var (
	slotdbNode = func(t *testing.T) *proctest.Server { return startSlotdb(t) }
	redisNode  = func(t *testing.T) *proctest.Server { return startRedis(t) }
)

// redirects counts the MOVED / ASK errors the node clients of a ClusterClient receive
// (before the ClusterClient follows them), and checks that each names the slot of the
// command's first key.
type redirects struct {
	moved, ask atomic.Int64
	mu         sync.Mutex
	bad        []string
}

var redirectRE = regexp.MustCompile(`^(MOVED|ASK) (\d+) 127\.0\.0\.1:(\d+)$`)

func (r *redirects) see(cmd redis.Cmder) {
	err := cmd.Err()
	if err == nil {
		return
	}
	m := redirectRE.FindStringSubmatch(err.Error())
	if m == nil {
		if strings.HasPrefix(err.Error(), "MOVED") || strings.HasPrefix(err.Error(), "ASK") {
			r.note("malformed redirection %q", err)
		}
		return
	}
	if m[1] == "MOVED" {
		r.moved.Add(1)
	} else {
		r.ask.Add(1)
	}
	if key, ok := cmd.Args()[1].(string); ok && m[2] != strconv.Itoa(int(keyslot.Of([]byte(key)))) {
		r.note("%v: %q names the wrong slot", cmd.Args(), err)
	}
}

func (r *redirects) note(format string, a ...any) {
	r.mu.Lock()
	r.bad = append(r.bad, fmt.Sprintf(format, a...))
	r.mu.Unlock()
}

func (r *redirects) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *redirects) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		r.see(cmd)
		return err
	}
}

func (r *redirects) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			r.see(c)
		}
		return err
	}
}

// clientLog collects go-redis's internal log lines (e.g. a COMMAND reply it could not use).
type clientLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *clientLog) Printf(_ context.Context, format string, v ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, v...))
	l.mu.Unlock()
}

func (l *clientLog) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

// go-redis's ClusterClient against a three-master slotdb cluster built by redis-cli
// --cluster create: 10,000 keys written by a client whose slot map is wrong (so every
// command on another master's slot is answered MOVED and followed, in pipelines too) and
// read back by a client that learned the map from CLUSTER SLOTS (no redirection at all);
// COMMAND is parsed by the client and drives its key positions and routing policies;
// hash-tagged multi-key commands work and cross-slot ones surface CROSSSLOT.
//
// The same test runs against real redis-server 7.0.15 nodes, which shows that what it
// expects is what Redis does.
func TestGoRedisClusterClient(t *testing.T) {
	t.Parallel()
	logs := &clientLog{} // go-redis's logger is global: one for both subtests
	redis.SetLogger(logs)
	for _, impl := range []struct {
		name  string
		start func(*testing.T) *proctest.Server
	}{{"slotdb", slotdbNode}, {"redis", redisNode}} {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			testGoRedis(t, createCluster(t, impl.start, 3, 0), logs)
		})
	}
}

func testGoRedis(t *testing.T, nodes []*proctest.Server, logs *clientLog) {
	waitAgree(t, nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The slot map as CLUSTER SLOTS gives it, read through go-redis.
	owner := map[int]string{} // port by slot, filled below
	ids := map[string]*proctest.Server{}
	for _, s := range nodes {
		ids[myID(t, s)] = s
	}
	plain := redis.NewClient(&redis.Options{Addr: nodes[0].Addr(), Protocol: 2})
	defer plain.Close()
	slots, err := plain.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS through go-redis: %v", err)
	}
	next := 0
	for _, r := range slots {
		if r.Start != next || r.End < r.Start || len(r.Nodes) != 1 {
			t.Fatalf("CLUSTER SLOTS ranges: %+v", slots)
		}
		s := ids[r.Nodes[0].ID]
		if s == nil || r.Nodes[0].Addr != s.Addr() {
			t.Fatalf("CLUSTER SLOTS range %d-%d names %+v, not one of the nodes", r.Start, r.End, r.Nodes[0])
		}
		for j := r.Start; j <= r.End; j++ {
			owner[j] = s.Addr()
		}
		next = r.End + 1
	}
	if next != 16384 || len(slots) != 3 {
		t.Fatalf("CLUSTER SLOTS covers 0-%d in %d ranges: %+v", next-1, len(slots), slots)
	}

	// COMMAND as go-redis parses it: every entry (the parser rejects any entry whose
	// length is not 6, 7 or 10), key positions and tips included.
	infos, err := plain.Command(ctx).Result()
	if err != nil {
		t.Fatalf("COMMAND through go-redis: %v", err)
	}
	if count := do(t, nodes[0], "COMMAND", "COUNT"); strconv.Itoa(len(infos)) != count {
		t.Errorf("go-redis parsed %d COMMAND entries, COMMAND COUNT = %s", len(infos), count)
	}
	for _, tc := range []struct {
		name              string
		first, last, step int8
		readOnly          bool
		request, response string // policies as go-redis prints them; "" = not checked
	}{
		{"get", 1, 1, 1, true, "", ""},
		{"set", 1, 1, 1, false, "", ""},
		{"mset", 1, -1, 2, false, "multi_shard", "all_succeeded"},
		{"mget", 1, -1, 1, true, "multi_shard", ""},
		{"dbsize", 0, 0, 0, true, "all_shards", "agg_sum"},
		{"rename", 1, 2, 1, false, "", ""},
	} {
		ci := infos[tc.name]
		if ci == nil {
			t.Errorf("COMMAND has no %q entry", tc.name)
			continue
		}
		if ci.FirstKeyPos != tc.first || ci.LastKeyPos != tc.last || ci.StepCount != tc.step || ci.ReadOnly != tc.readOnly {
			t.Errorf("COMMAND %s: keys %d/%d/%d readonly %v, want %d/%d/%d %v",
				tc.name, ci.FirstKeyPos, ci.LastKeyPos, ci.StepCount, ci.ReadOnly, tc.first, tc.last, tc.step, tc.readOnly)
		}
		if tc.request != "" {
			if ci.CommandPolicy == nil {
				t.Errorf("COMMAND %s: no routing policy parsed from its tips", tc.name)
			} else if p := fmt.Sprint(ci.CommandPolicy.Request); p != tc.request {
				t.Errorf("COMMAND %s: request policy %s, want %s", tc.name, p, tc.request)
			} else if p := fmt.Sprint(ci.CommandPolicy.Response); tc.response != "" && p != tc.response {
				t.Errorf("COMMAND %s: response policy %s, want %s", tc.name, p, tc.response)
			}
		}
	}

	// Phase 1: a ClusterClient that believes node 0 owns every slot. Each command for a
	// slot of another master is answered MOVED, followed to the address it names.
	stale := &redirects{}
	wrong := redis.NewClusterClient(&redis.ClusterOptions{
		Protocol: 2,
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: nodes[0].Addr()}}}}, nil
		},
	})
	defer wrong.Close()
	wrong.OnNewNode(func(c *redis.Client) { c.AddHook(stale) })
	const nkeys = 10000
	key := func(i int) string { return "key:" + strconv.Itoa(i) }
	val := func(i int) string { return "v" + strconv.Itoa(i*7) }
	// Half with single SETs from concurrent workers, half in pipelines of 500.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < nkeys/2; i += 4 {
				if err := wrong.Set(ctx, key(i), val(i), 0).Err(); err != nil {
					errs <- fmt.Errorf("SET %s: %v", key(i), err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for lo := nkeys / 2; lo < nkeys; lo += 500 {
		cmds, err := wrong.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < lo+500; i++ {
				p.Set(ctx, key(i), val(i), 0)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("pipelined SETs %d..: %v", lo, err)
		}
		for _, c := range cmds {
			if c.Err() != nil {
				t.Fatalf("pipelined %v: %v", c.Args(), c.Err())
			}
		}
	}
	// About two thirds of the keys live on the other masters; every one of those was
	// redirected at least once (go-redis then reloads its map from the same wrong source).
	foreign := 0
	for i := 0; i < nkeys; i++ {
		if owner[int(keyslot.Of([]byte(key(i))))] != nodes[0].Addr() {
			foreign++
		}
	}
	if m := stale.moved.Load(); m < int64(foreign) || foreign < nkeys/2 {
		t.Errorf("MOVED replies seen: %d, keys on other masters: %d", m, foreign)
	}
	t.Logf("%d MOVED followed for %d keys on other masters", stale.moved.Load(), foreign)
	if len(stale.bad) > 0 || stale.ask.Load() != 0 {
		t.Errorf("bad redirections (%d ASK): %v", stale.ask.Load(), stale.bad)
	}

	// Each master holds exactly the keys of its slots.
	want := map[string]int{}
	for i := 0; i < nkeys; i++ {
		want[owner[int(keyslot.Of([]byte(key(i))))]]++
	}
	for _, s := range nodes {
		if got := do(t, s, "DBSIZE"); got != strconv.Itoa(want[s.Addr()]) {
			t.Errorf("DBSIZE on %s = %s, want %d", s.Addr(), got, want[s.Addr()])
		}
	}

	// Phase 2: a ClusterClient with the map from CLUSTER SLOTS (RESP3) reads everything
	// without a single redirection.
	fresh := &redirects{}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[1].Addr()}, Protocol: 3})
	defer rdb.Close()
	rdb.OnNewNode(func(c *redis.Client) { c.AddHook(fresh) })
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != nkeys {
		// ClusterClient.DBSize asks every master the slot map names and sums.
		t.Errorf("ClusterClient DBSIZE = %d, %v; want %d (summed over the masters)", n, err, nkeys)
	}
	for lo := 0; lo < nkeys; lo += 1000 {
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < lo+1000; i++ {
				p.Get(ctx, key(i))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("pipelined GETs %d..: %v", lo, err)
		}
		for j, c := range cmds {
			if got := c.(*redis.StringCmd).Val(); got != val(lo+j) {
				t.Fatalf("GET %s = %q, want %q", key(lo+j), got, val(lo+j))
			}
		}
	}
	for i := 0; i < nkeys; i += 37 {
		if got, err := rdb.Get(ctx, key(i)).Result(); err != nil || got != val(i) {
			t.Fatalf("GET %s = %q, %v", key(i), got, err)
		}
	}
	// MGET over keys of all three masters: with its default policy table go-redis sends it
	// whole, by its first key, so the node's CROSSSLOT reaches the caller unchanged (and is
	// not retried). A client that takes its routing policies from COMMAND's tips
	// (request_policy:multi_shard) splits it by slot and puts the answers back in order.
	var mkeys []string
	for i := 0; i < 50; i++ {
		mkeys = append(mkeys, key(i*97))
	}
	if err := rdb.MGet(ctx, mkeys...).Err(); err == nil || err.Error() != crossSlot {
		t.Errorf("MGET across slots with the default policies: %v, want %s", err, crossSlot)
	}
	dyn := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[2].Addr()}})
	defer dyn.Close()
	dyn.OnNewNode(func(c *redis.Client) { c.AddHook(fresh) })
	resolver := dyn.NewDynamicResolver()
	resolver.SetFallbackResolver(redis.NewDefaultCommandPolicyResolver())
	dyn.SetCommandInfoResolver(resolver)
	vals, err := dyn.MGet(ctx, mkeys...).Result()
	if err != nil || len(vals) != len(mkeys) {
		t.Fatalf("MGET across slots with COMMAND's policies: %v, %v", vals, err)
	}
	for i, v := range vals {
		if v != val(i*97) {
			t.Fatalf("MGET across slots [%d] = %v, want %s", i, v, val(i*97))
		}
	}
	// EXISTS and DEL carry response_policy:agg_sum: the per-slot counts are summed.
	if n, err := dyn.Exists(ctx, append(mkeys, "no-such-key")...).Result(); err != nil || n != int64(len(mkeys)) {
		t.Errorf("EXISTS across slots = %d, %v; want %d", n, err, len(mkeys))
	}
	if err := dyn.MSet(ctx, "x:1", "a", "x:2", "b", "x:3", "c").Err(); err != nil {
		t.Errorf("MSET across slots with COMMAND's policies: %v", err)
	}
	if n, err := dyn.Del(ctx, "x:1", "x:2", "x:3", "x:4").Result(); err != nil || n != 3 {
		t.Errorf("DEL across slots = %d, %v; want 3", n, err)
	}
	if fresh.moved.Load() != 0 || fresh.ask.Load() != 0 || len(fresh.bad) > 0 {
		t.Errorf("a client with the map from CLUSTER SLOTS was redirected: %d MOVED, %d ASK, %v",
			fresh.moved.Load(), fresh.ask.Load(), fresh.bad)
	}

	// Multi-key commands within one slot thanks to hash tags.
	if err := rdb.MSet(ctx, "{user:1}:name", "ann", "{user:1}:age", "30").Err(); err != nil {
		t.Fatalf("MSET with a hash tag: %v", err)
	}
	if got, err := rdb.MGet(ctx, "{user:1}:name", "{user:1}:age", "{user:1}:none").Result(); err != nil ||
		fmt.Sprint(got) != "[ann 30 <nil>]" {
		t.Errorf("MGET with a hash tag = %v, %v", got, err)
	}
	rdb.SAdd(ctx, "{t}s1", "a", "b")
	rdb.SAdd(ctx, "{t}s2", "b", "c")
	if n, err := rdb.SUnionStore(ctx, "{t}dst", "{t}s1", "{t}s2").Result(); err != nil || n != 3 {
		t.Errorf("SUNIONSTORE with a hash tag = %d, %v", n, err)
	}
	if got, err := rdb.SInter(ctx, "{t}s1", "{t}s2").Result(); err != nil || fmt.Sprint(got) != "[b]" {
		t.Errorf("SINTER with a hash tag = %v, %v", got, err)
	}
	if err := rdb.Rename(ctx, "{t}dst", "{t}renamed").Err(); err != nil {
		t.Errorf("RENAME with a hash tag: %v", err)
	}
	if n, err := rdb.Del(ctx, "{user:1}:name", "{user:1}:age", "{user:1}:none").Result(); err != nil || n != 2 {
		t.Errorf("DEL of tagged keys = %d, %v", n, err)
	}

	// Keys of different slots, in commands that go-redis sends whole: the node's CROSSSLOT
	// error reaches the caller unchanged and is not retried.
	a, b := "key:1", "key:2"
	if keyslot.Of([]byte(a)) == keyslot.Of([]byte(b)) {
		t.Fatal("test keys share a slot")
	}
	for name, err := range map[string]error{
		"RENAME":      rdb.Rename(ctx, a, b).Err(),
		"SUNIONSTORE": rdb.SUnionStore(ctx, "{t}x", a, b).Err(),
		"SMOVE":       rdb.SMove(ctx, a, b, "m").Err(),
	} {
		if err == nil || err.Error() != crossSlot {
			t.Errorf("%s across slots: %v, want %s", name, err, crossSlot)
		}
	}
	cmds, _ := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, a)
		p.Rename(ctx, a, b)
		p.Get(ctx, b)
		return nil
	})
	if len(cmds) != 3 || cmds[0].Err() != nil || cmds[2].Err() != nil || cmds[1].Err() == nil || cmds[1].Err().Error() != crossSlot {
		t.Errorf("pipeline with one cross-slot command: %v", cmds)
	}
	// go-redis found an entry for every command it looked up.
	if bad := append(logs.matching("getting command info"), logs.matching("not found")...); len(bad) > 0 {
		t.Errorf("go-redis could not use COMMAND: %v", bad)
	}
}
