package server

import (
	"testing"

	"github.com/slotdb/slotdb/engine"
)

// Captured from redis-server 7.0.15 (maxmemory 0, maxmemory-policy noeviction).
var objectSteps = []ksStep{
	{[]string{"flushall"}, "+OK\r\n"},
	{[]string{"object", "encoding", "nokey"}, "$-1\r\n"},
	{[]string{"object", "refcount", "nokey"}, "$-1\r\n"},
	{[]string{"object", "idletime", "nokey"}, "$-1\r\n"},
	{[]string{"object", "freq", "nokey"}, "$-1\r\n"},
	{[]string{"set", "s1", "hello"}, "+OK\r\n"},
	{[]string{"object", "encoding", "s1"}, "$6\r\nembstr\r\n"},
	{[]string{"object", "refcount", "s1"}, ":1\r\n"},
	{[]string{"object", "idletime", "s1"}, ":0\r\n"},
	{[]string{"object", "freq", "s1"}, "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"},
	{[]string{"set", "i1", "123"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i1"}, "$3\r\nint\r\n"},
	{[]string{"object", "refcount", "i1"}, ":2147483647\r\n"},
	{[]string{"set", "i2", "9999"}, "+OK\r\n"},
	{[]string{"object", "refcount", "i2"}, ":2147483647\r\n"},
	{[]string{"set", "i3", "10000"}, "+OK\r\n"},
	{[]string{"object", "refcount", "i3"}, ":1\r\n"},
	{[]string{"object", "encoding", "i3"}, "$3\r\nint\r\n"},
	{[]string{"set", "i4", "-1"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i4"}, "$3\r\nint\r\n"},
	{[]string{"object", "refcount", "i4"}, ":1\r\n"},
	{[]string{"set", "i5", "-9223372036854775808"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i5"}, "$3\r\nint\r\n"},
	{[]string{"set", "i6", "9223372036854775808"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i6"}, "$6\r\nembstr\r\n"},
	{[]string{"set", "i7", "01"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i7"}, "$6\r\nembstr\r\n"},
	{[]string{"set", "i8", "-0"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i8"}, "$6\r\nembstr\r\n"},
	{[]string{"set", "i9", " 1"}, "+OK\r\n"},
	{[]string{"object", "encoding", "i9"}, "$6\r\nembstr\r\n"},
	{[]string{"set", "e44", "12345678901234567890123456789012345678901234"}, "+OK\r\n"},
	{[]string{"object", "encoding", "e44"}, "$6\r\nembstr\r\n"},
	{[]string{"set", "r45", "123456789012345678901234567890123456789012345"}, "+OK\r\n"},
	{[]string{"object", "encoding", "r45"}, "$3\r\nraw\r\n"},
	{[]string{"object", "refcount", "r45"}, ":1\r\n"},
	{[]string{"object", "foo", "s1"}, "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"},
	{[]string{"object", "help"}, "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n+    Return the kind of internal representation used in order to store the value\r\n+    associated with a <key>.\r\n+FREQ <key>\r\n+    Return the access frequency index of the <key>. The returned integer is\r\n+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n+    Return the idle time of the <key>, that is the approximated number of\r\n+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n"},
	{[]string{"memory", "usage", "nokey"}, "$-1\r\n"},
	{[]string{"memory", "usage", "s1"}, ":64\r\n"},
	{[]string{"memory", "usage", "i1"}, ":48\r\n"},
	{[]string{"memory", "usage", "e44"}, ":96\r\n"},
	{[]string{"memory", "usage", "r45"}, ":112\r\n"},
	{[]string{"memory", "usage", "s1", "samples"}, "-ERR syntax error\r\n"},
	{[]string{"memory", "usage", "s1", "samples", "-1"}, "-ERR syntax error\r\n"},
	{[]string{"memory", "usage", "s1", "samples", "0"}, ":64\r\n"},
	{[]string{"memory", "usage", "s1", "samples", "5", "samples", "7"}, ":64\r\n"},
	{[]string{"memory", "usage", "s1", "samples", "x"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"memory", "usage", "s1", "foo"}, "-ERR syntax error\r\n"},
	{[]string{"memory", "help"}, "*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n+    Return memory problems reports.\r\n+MALLOC-STATS\r\n+    Return internal statistics report from the memory allocator.\r\n+PURGE\r\n+    Attempt to purge dirty pages for reclamation by the allocator.\r\n+STATS\r\n+    Return information about the memory usage of the server.\r\n+USAGE <key> [SAMPLES <count>]\r\n+    Return memory in bytes used by <key> and its value. Nested values are\r\n+    sampled up to <count> times (default: 5, 0 means sample all).\r\n+HELP\r\n+    Prints this help.\r\n"},
	{[]string{"memory", "doctorx"}, "-ERR unknown subcommand 'doctorx'. Try MEMORY HELP.\r\n"},
}

func TestObjectAndMemoryMatchRedis(t *testing.T) {
	runSteps(t, newKSHarness(t), objectSteps)
}

// OBJECT FREQ / IDLETIME / REFCOUNT under an LFU policy and with maxmemory set, as captured
// from redis-server 7.0.15 for keys written after the CONFIG SET.
func TestObjectUnderEvictionPolicies(t *testing.T) {
	h := newKSHarness(t)
	h.cfg["maxmemory-policy"] = "allkeys-lfu"
	h.s.eng.SetAccessPolicy(true) // what slotdb-server's CONFIG SET hook does
	h.do("set", "a", "hello")
	h.do("set", "n", "5")
	for _, c := range []ksStep{
		{[]string{"object", "freq", "a"}, ":5\r\n"},
		{[]string{"object", "freq", "nokey"}, "$-1\r\n"},
		{[]string{"object", "idletime", "a"}, "-" + errLFUSelected + "\r\n"},
		{[]string{"object", "refcount", "n"}, ":2147483647\r\n"},
	} {
		if got := h.do(c.args...); got != c.want {
			t.Errorf("%q = %q, want %q", c.args, got, c.want)
		}
	}
	h.cfg["maxmemory"] = "104857600"
	if got := h.do("object", "refcount", "n"); got != ":1\r\n" {
		t.Errorf("REFCOUNT of a small int with maxmemory and LFU = %q, want :1", got)
	}
	h.cfg["maxmemory-policy"] = "volatile-ttl"
	if got := h.do("object", "refcount", "n"); got != ":2147483647\r\n" {
		t.Errorf("REFCOUNT of a small int with a non-LRU/LFU policy = %q", got)
	}
	if got := h.do("object", "freq", "a"); got != "-"+errLFUNotSelected+"\r\n" {
		t.Errorf("FREQ without LFU = %q", got)
	}
}

// MEMORY USAGE of strings equals Redis's for values written whole: checked against
// redis-server 7.0.15 for key lengths across the sds header types and value lengths across
// int/embstr/raw and jemalloc's small, large and 32-KiB-argument size classes.
func TestMemoryUsageOfStringsMatchesRedis(t *testing.T) {
	keyLens := []int{1, 31, 32, 100, 255, 256, 300}
	valLens := []int{1, 5, 20, 21, 44, 45, 50, 100, 200, 1000, 5000, 20000, 40000, 70000}
	want := [][]int64{
		{64, 64, 80, 80, 96, 112, 112, 160, 272, 1072, 5168, 20528, 41008, 81968},
		{104, 104, 120, 120, 136, 152, 152, 200, 312, 1112, 5208, 20568, 41048, 82008},
		{104, 104, 120, 120, 136, 152, 152, 200, 312, 1112, 5208, 20568, 41048, 82008},
		{168, 168, 184, 184, 200, 216, 216, 264, 376, 1176, 5272, 20632, 41112, 82072},
		{376, 376, 392, 392, 408, 424, 424, 472, 584, 1384, 5480, 20840, 41320, 82280},
		{376, 376, 392, 392, 408, 424, 424, 472, 584, 1384, 5480, 20840, 41320, 82280},
		{376, 376, 392, 392, 408, 424, 424, 472, 584, 1384, 5480, 20840, 41320, 82280},
	}
	for i, kl := range keyLens {
		for j, vl := range valLens {
			key := make([]byte, kl)
			val := make([]byte, vl)
			for x := range key {
				key[x] = 'k'
			}
			for x := range val {
				val[x] = 'x'
			}
			m := &engine.Meta{Type: engine.TypeString, Value: val}
			got, err := memoryUsage(nil, 0, key, m, 5)
			if err != nil || got != want[i][j] {
				t.Errorf("key %d value %d: %d, %v; want %d", kl, vl, got, err, want[i][j])
			}
		}
	}
	// Integers are 16 bytes whatever their value; a 20-digit overflow is an embstr.
	for v, w := range map[string]int64{"0": 48, "10000": 48, "-9223372036854775808": 48, "12345678901234567890": 80} {
		got, _ := memoryUsage(nil, 0, []byte("n"), &engine.Meta{Type: engine.TypeString, Value: []byte(v)}, 5)
		if got != w {
			t.Errorf("value %s: %d, want %d", v, got, w)
		}
	}
	// SET "hello" then APPEND "x" (captured: 64); grown values are an estimate in general.
	got, _ := memoryUsage(nil, 0, []byte("st"), &engine.Meta{Type: engine.TypeString, Value: []byte("hellox"), Flags: engine.FlagRaw}, 5)
	if got != 64 {
		t.Errorf("appended value: %d, want 64", got)
	}
}

func TestJemallocSizeClasses(t *testing.T) {
	for n, want := range map[int]int64{
		0: 8, 1: 8, 8: 8, 9: 16, 16: 16, 17: 32, 48: 48, 49: 64, 128: 128, 129: 160, 160: 160,
		161: 192, 256: 256, 257: 320, 1025: 1280, 14337: 16384, 16385: 20480, 40006: 40960,
		70010: 81920, 1 << 20: 1 << 20, 1<<20 + 1: 1<<20 + 1<<18,
	} {
		if got := jemallocSize(n); got != want {
			t.Errorf("jemallocSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// A hash's metadata written directly (no elements): the keyspace commands and the OBJECT/MEMORY
// answers treat it by type alone.
func TestKeyspaceCommandsOnCollections(t *testing.T) {
	h := newKSHarness(t)
	err := h.s.eng.Update(0, [][]byte{[]byte("h")}, func(tx *engine.Tx) error {
		return tx.Put([]byte("h"), &engine.Meta{Type: engine.TypeHash, Version: tx.NewVersion(), Count: 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []ksStep{
		{[]string{"object", "encoding", "h"}, "$8\r\nlistpack\r\n"},
		{[]string{"object", "refcount", "h"}, ":1\r\n"},
		{[]string{"rename", "h", "h2"}, "+OK\r\n"},
		{[]string{"type", "h2"}, "+hash\r\n"},
		{[]string{"copy", "h2", "h3", "db", "4"}, ":1\r\n"},
		{[]string{"move", "h2", "5"}, ":1\r\n"},
		{[]string{"exists", "h2"}, ":0\r\n"},
		{[]string{"scan", "0", "type", "HASH"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"select", "5"}, "+OK\r\n"},
		{[]string{"scan", "0", "type", "HASH"}, "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nh2\r\n"},
	} {
		if got := h.do(c.args...); got != c.want {
			t.Errorf("%q = %q, want %q", c.args, got, c.want)
		}
	}
	if got := h.do("memory", "usage", "h2"); len(got) < 2 || got[0] != ':' {
		t.Errorf("MEMORY USAGE of a hash = %q", got)
	}
}
