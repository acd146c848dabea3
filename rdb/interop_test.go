package rdb

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Tests against a real redis-server 7.0: it must accept what we encode, and
// we must decode what it produces.

type streamView struct {
	Entries [][2]any
	Groups  [][3]string // name, pending count, last-delivered-id
}

// viewObject renders o like viewKey renders what Redis replies.
func viewObject(o *Object) any {
	if o.Kind != KindStream {
		return canonicalObject(o)
	}
	v := streamView{}
	for _, e := range o.Stream.Entries {
		var fs []string
		for _, f := range e.Fields {
			fs = append(fs, string(f.Name), string(f.Value))
		}
		v.Entries = append(v.Entries, [2]any{e.ID.String(), fs})
	}
	for _, g := range o.Stream.Groups {
		v.Groups = append(v.Groups, [3]string{string(g.Name), strconv.Itoa(len(g.Pending)), g.LastID.String()})
	}
	return v
}

// viewKey reads a key's value with ordinary commands.
func viewKey(t *testing.T, rc *respConn, key []byte) (string, any) {
	t.Helper()
	typ := rc.must(t, "TYPE", key).(string)
	switch typ {
	case "string":
		return typ, rc.must(t, "GET", key).(string)
	case "list":
		return typ, strs(rc.must(t, "LRANGE", key, 0, -1))
	case "set":
		s := strs(rc.must(t, "SMEMBERS", key))
		sort.Strings(s)
		return typ, s
	case "zset":
		r := strs(rc.must(t, "ZRANGE", key, 0, -1, "WITHSCORES"))
		out := []zpair{}
		for i := 0; i+1 < len(r); i += 2 {
			f, err := strconv.ParseFloat(r[i+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, zpair{r[i], f})
		}
		sortZ(out)
		return typ, out
	case "hash":
		r := strs(rc.must(t, "HGETALL", key))
		out := [][2]string{}
		for i := 0; i+1 < len(r); i += 2 {
			out = append(out, [2]string{r[i], r[i+1]})
		}
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
		return typ, out
	case "stream":
		v := streamView{}
		for _, e := range rc.must(t, "XRANGE", key, "-", "+").([]any) {
			pair := e.([]any)
			v.Entries = append(v.Entries, [2]any{pair[0].(string), strs(pair[1])})
		}
		for _, g := range rc.must(t, "XINFO", "GROUPS", key).([]any) {
			m := map[string]any{}
			arr := g.([]any)
			for i := 0; i+1 < len(arr); i += 2 {
				m[arr[i].(string)] = arr[i+1]
			}
			v.Groups = append(v.Groups, [3]string{m["name"].(string), strconv.FormatInt(m["pending"].(int64), 10), m["last-delivered-id"].(string)})
		}
		return typ, v
	}
	t.Fatalf("key %q: unexpected type %q", key, typ)
	return "", nil
}

func TestRedisRestoresEncodeDump(t *testing.T) {
	srv := startRedis(t, "")
	rc := srv.conn(t)
	for _, e := range sampleEntries() {
		payload := EncodeDump(&e.Object)
		if v, err := rc.do("RESTORE", e.Key, 0, payload, "REPLACE"); err != nil || v != "OK" {
			t.Errorf("RESTORE %q (%d bytes, type %d): %v %v", e.Key, len(payload), payload[0], v, err)
			continue
		}
		typ, got := viewKey(t, rc, e.Key)
		if typ != e.Object.Kind.String() {
			t.Errorf("%q: TYPE %s, want %s", e.Key, typ, e.Object.Kind)
		}
		want := viewObject(&e.Object)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: Redis holds %.200s, want %.200s", e.Key, fmt.Sprint(got), fmt.Sprint(want))
		}
		// Reverse: Redis's own DUMP of the restored key decodes to the value.
		dump, _ := rc.must(t, "DUMP", e.Key).(string)
		o, err := DecodeDump([]byte(dump))
		if err != nil {
			t.Errorf("%q: DecodeDump of Redis's DUMP: %v", e.Key, err)
			continue
		}
		if got := viewObject(&o); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: decoded DUMP %.200s, want %.200s", e.Key, fmt.Sprint(got), fmt.Sprint(want))
		}
	}
}

func TestRedisLoadsWriterFile(t *testing.T) {
	dir := t.TempDir()
	entries := sampleEntries()
	normalize(entries)
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, 0)
	w.WriteStandardAux(1<<20, false)
	w.WriteFunction([]byte("#!lua name=wlib\nredis.register_function('wf', function(keys, args) return 1 end)"))
	counts := map[int]int{}
	for _, e := range entries {
		counts[e.DB]++
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	srv := startRedis(t, dir, "--dbfilename", "dump.rdb")
	rc := srv.conn(t)
	for db, n := range counts {
		rc.must(t, "SELECT", db)
		if got := rc.must(t, "DBSIZE"); got != int64(n) {
			t.Errorf("db %d: DBSIZE %v, want %d", db, got, n)
		}
	}
	for _, e := range entries {
		rc.must(t, "SELECT", e.DB)
		typ, got := viewKey(t, rc, e.Key)
		if typ != e.Object.Kind.String() {
			t.Errorf("%q: TYPE %s, want %s", e.Key, typ, e.Object.Kind)
			continue
		}
		if want := viewObject(&e.Object); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: Redis holds %.200s, want %.200s", e.Key, fmt.Sprint(got), fmt.Sprint(want))
		}
		if pt := rc.must(t, "PEXPIRETIME", e.Key); pt != e.ExpireAt {
			t.Errorf("%q: PEXPIRETIME %v, want %d", e.Key, pt, e.ExpireAt)
		}
	}
	libs := fmt.Sprint(rc.must(t, "FUNCTION", "LIST"))
	if !strings.Contains(libs, "wlib") || !strings.Contains(libs, "wf") {
		t.Errorf("FUNCTION LIST: %s", libs)
	}
}

// Values built with ordinary commands (not our encoder) must decode from
// Redis's DUMP payloads and from the file it SAVEs.
func TestDecodeRedisMadeValues(t *testing.T) {
	srv := startRedis(t, "")
	rc := srv.conn(t)
	args := func(prefix []any, n int, f func(i int) []any) []any {
		out := append([]any{}, prefix...)
		for i := 0; i < n; i++ {
			out = append(out, f(i)...)
		}
		return out
	}
	cmds := [][]any{
		{"SET", "c:str", "hello"},
		{"SET", "c:int", "-42"},
		{"SET", "c:long", strings.Repeat("long string ", 100)},
		{"RPUSH", "c:list", "a", "1", "", "-70000"},
		args([]any{"RPUSH", "c:biglist"}, 2000, func(i int) []any { return []any{"item" + strconv.Itoa(i)} }),
		{"SADD", "c:intset", "1", "-2", "300000", "5000000000"},
		{"SADD", "c:set", "x", "y", "z"},
		args([]any{"SADD", "c:bigset"}, 700, func(i int) []any { return []any{strconv.Itoa(i * 3)} }),
		{"ZADD", "c:zset", "1.5", "a", "-inf", "b", "0.1", "c"},
		args([]any{"ZADD", "c:bigzset"}, 300, func(i int) []any { return []any{strconv.Itoa(i) + ".25", "m" + strconv.Itoa(i)} }),
		{"HSET", "c:hash", "f", "v", "n", "12"},
		args([]any{"HSET", "c:bighash"}, 300, func(i int) []any { return []any{"f" + strconv.Itoa(i), strings.Repeat("v", i%80)} }),
		{"XADD", "c:stream", "1-1", "a", "1"},
		{"XADD", "c:stream", "2-1", "a", "2", "b", "3"},
		{"XADD", "c:stream", "3-0", "a", "4"},
		{"XDEL", "c:stream", "2-1"},
		{"XGROUP", "CREATE", "c:stream", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "c:stream", ">"},
	}
	for _, c := range cmds {
		rc.must(t, c...)
	}
	keys := []string{"c:str", "c:int", "c:long", "c:list", "c:biglist", "c:intset", "c:set", "c:bigset",
		"c:zset", "c:bigzset", "c:hash", "c:bighash", "c:stream"}
	views := map[string]any{}
	for _, k := range keys {
		typ, want := viewKey(t, rc, []byte(k))
		views[k] = want
		dump, _ := rc.must(t, "DUMP", k).(string)
		o, err := DecodeDump([]byte(dump))
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if o.Kind.String() != typ {
			t.Errorf("%s: kind %s, want %s", k, o.Kind, typ)
		}
		enc := rc.must(t, "OBJECT", "ENCODING", k)
		if o.Encoding != enc {
			t.Errorf("%s: encoding %s, Redis says %s", k, o.Encoding, enc)
		}
		if got := viewObject(&o); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded %.200s, want %.200s", k, fmt.Sprint(got), fmt.Sprint(want))
		}
	}
	rc.must(t, "SAVE")
	f, err := os.Open(filepath.Join(srv.dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(bufio.NewReader(f))
	n := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if got := viewObject(&e.Object); !reflect.DeepEqual(got, views[string(e.Key)]) {
			t.Errorf("%s from dump.rdb: %.200s", e.Key, fmt.Sprint(got))
		}
	}
	if n != len(keys) {
		t.Errorf("dump.rdb has %d keys, want %d", n, len(keys))
	}
}
