package server

import (
	"strings"
	"testing"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/difftest"
	"github.com/slotdb/slotdb/internal/proctest"
)

// hashSetDebugScript runs on redis-server 7.0.15 and slotdb-server with enable-debug-command
// yes and live encoding limits: digests of hashes and sets (listpack, intset and hashtable)
// must agree byte for byte, and CONFIG SET limits must steer OBJECT ENCODING as in Redis.
const hashSetDebugScript = `
HSET h a 1 b 2 c 3
HSET hbig f ` + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + ` g 1
SADD s 3 1 2
SADD w a b "" "\x00"
HSET hexp f v
EXPIRE hexp 1000
DEBUG DIGEST-VALUE h hbig s w hexp nokey
DEBUG DIGEST
COPY w w2
RENAME h h2
DEBUG DIGEST-VALUE w2 h2
DEBUG DIGEST
CONFIG SET hash-max-listpack-entries 2
HSET small a 1 b 2
OBJECT ENCODING small
HSET small c 3
OBJECT ENCODING small
CONFIG SET hash-max-listpack-value 3
HSET v a 123
OBJECT ENCODING v
HSET v b 1234
OBJECT ENCODING v
CONFIG SET set-max-intset-entries 2
SADD i 1 2
OBJECT ENCODING i
SADD i 3
OBJECT ENCODING i
SINTERSTORE d i i
OBJECT ENCODING d
SMEMBERS i
CONFIG SET set-max-intset-entries 512
SPOP i 1000
DEBUG DIGEST
`

func TestHashSetDigestAndLimitsAgainstRedis(t *testing.T) {
	ref := proctest.StartRedis(t, "--enable-debug-command", "yes")
	got := proctest.StartSlotdb(t, "--enable-debug-command", "yes")
	s, err := difftest.ParseScript("hashSetDebugScript", hashSetDebugScript)
	if err != nil {
		t.Fatal(err)
	}
	rules := append([]difftest.Rule{
		{Pattern: "SMEMBERS i", Reason: "a hashtable set", Norm: difftest.Sorted},
		{Pattern: "SPOP i 1000", Reason: "a hashtable set", Norm: difftest.Sorted},
	}, difftest.DefaultRules...)
	r := difftest.NewRunner(difftest.Side{Name: "redis", Addr: ref.Addr()},
		difftest.Side{Name: "slotdb", Addr: got.Addr()}, rules)
	defer r.Close()
	difftest.Report(t, r.RunScript(s), true)
}

func TestRedisOrder(t *testing.T) {
	lim := engine.SetLimits{MaxIntset: 4}
	for _, c := range []struct{ in, want string }{
		{"10 9 -1 100", "-1 9 10 100"},     // integers: numeric, like an intset
		{"10 9 a", "10 9 a"},               // a word: left alone
		{"10 9 -1 100 7", "10 9 -1 100 7"}, // too many for an intset
		{"01 1", "01 1"},                   // not canonical integers
		{"", ""},
	} {
		var ms [][]byte
		for _, f := range strings.Fields(c.in) {
			ms = append(ms, []byte(f))
		}
		redisOrder(ms, lim)
		var got []string
		for _, m := range ms {
			got = append(got, string(m))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("redisOrder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
