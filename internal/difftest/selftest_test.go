package difftest

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Two real Redis servers must agree on every case: this validates the runner, the directives
// and the default rules.
func TestRedisAgreesWithRedis(t *testing.T) {
	a, b := proctest.StartRedis(t), proctest.StartRedis(t)
	s, err := LoadScript("testdata/selftest.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(Side{"redis-a", a.Addr()}, Side{"redis-b", b.Addr()}, DefaultRules)
	defer r.Close()
	// The comparison must not be vacuous: real replies, no timeouts, and the closes and
	// silences the script provokes.
	seen := map[string]int{}
	r.Trace = func(pos string, cmd []string, ref, got []byte) {
		switch string(ref) {
		case ReplyTimeout, ReplyClosed, ReplyNone:
			seen[string(ref)]++
		default:
			if _, err := proctest.ParseReply(ref); err != nil && ref != nil {
				t.Errorf("%s: %q is not a reply: %v", pos, ref, err)
			}
			seen["reply"]++
		}
	}
	Report(t, r.RunScript(s), true)
	if seen[ReplyTimeout] != 0 || seen[ReplyClosed] != 2 || seen[ReplyNone] != 2 || seen["reply"] < 60 {
		t.Errorf("exchanges seen: %v", seen)
	}
}

func TestRandomRedisAgreesWithRedis(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("SLOTDB_DIFF_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (replay with SLOTDB_DIFF_SEED=%d)", seed, seed)
	a, b := proctest.StartRedis(t), proctest.StartRedis(t)
	r := NewRunner(Side{"redis-a", a.Addr()}, Side{"redis-b", b.Addr()}, DefaultRules)
	defer r.Close()
	g := NewGenerator(seed, DefaultFamilies...)
	Report(t, r.RunRandom(g, 3000), true)
	g = NewGenerator(seed+1, append(DefaultFamilies, FamilyTypes)...)
	Report(t, r.RunRandomChunks(g, 5, 200), true)
}

// A server that differs must be reported, with the case position, the command and both raw
// replies, and every difference must be listed, not just the first.
func TestDifferentServerIsReported(t *testing.T) {
	a := proctest.StartRedis(t)
	b := proctest.StartRedis(t, "--databases", "4", "--proto-max-bulk-len", "1mb")
	script := strings.Join([]string{
		"# header",
		"SET k v",
		"SELECT 5",
		"CONFIG GET databases",
		"SETRANGE k 2000000 x",
		"GET k",
	}, "\n")
	s, err := ParseScript("cfg.txt", script)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(Side{"redis", a.Addr()}, Side{"other", b.Addr()}, DefaultRules)
	defer r.Close()
	ms := r.RunScript(s)
	wantPos := []string{"cfg.txt:3", "cfg.txt:4", "cfg.txt:5", "cfg.txt:6"}
	if len(ms) != len(wantPos) {
		t.Fatalf("got %d mismatches, want %d: %v", len(ms), len(wantPos), ms)
	}
	for i, m := range ms {
		if m.Pos != wantPos[i] {
			t.Errorf("mismatch %d at %s, want %s", i, m.Pos, wantPos[i])
		}
	}
	msg := ms[0].String()
	if m := ms[3].String(); !strings.Contains(m, " bytes)... ") {
		t.Errorf("a long reply is not clipped: %.1000s", m)
	}
	for _, want := range []string{"cfg.txt:3: SELECT 5", `redis:  "+OK\r\n"`, `other:  "-ERR DB index is out of range\r\n"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// A normalized comparison still catches a real difference and says which rule ran.
	if m := ms[1].String(); !strings.Contains(m, "rule CONFIG GET *") || !strings.Contains(m, `normalized other:`) {
		t.Errorf("normalized mismatch message lacks the rule: %s", m)
	}
}

// Rules must not hide real differences: ids are normalized, other fields are not.
func TestRulesKeepRealDifferences(t *testing.T) {
	a := proctest.StartRedis(t)
	b := proctest.StartRedis(t)
	r := NewRunner(Side{"a", a.Addr()}, Side{"b", b.Addr()}, DefaultRules)
	defer r.Close()
	for _, tc := range []struct {
		name   string
		ref    []string // sent to a only
		cmd    []string
		differ bool
	}{
		{"client info same", nil, []string{"CLIENT", "INFO"}, false},
		{"client name differs", []string{"CLIENT", "SETNAME", "x"}, []string{"CLIENT", "INFO"}, true},
		{"ttl within", nil, []string{"TTL", "t"}, false},
		{"ttl far", []string{"EXPIRE", "t", "50"}, []string{"TTL", "t"}, true},
		{"keys order", nil, []string{"KEYS", "*"}, false},
		{"keys content", []string{"SET", "extra", "1"}, []string{"KEYS", "*"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []string{a.Addr(), b.Addr()} {
				conn := proctest.MustDial(t, c)
				for _, args := range [][]string{{"FLUSHALL"}, {"SET", "t", "v", "EX", "100"}, {"MSET", "k1", "1", "k2", "2", "k3", "3"}} {
					conn.Do(args...)
				}
			}
			if tc.ref != nil {
				p, err := r.pair()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p[0].Do(tc.ref...); err != nil { // on a's side only
					t.Fatal(err)
				}
			}
			m := r.Do("case", tc.cmd...)
			if (m != nil) != tc.differ {
				t.Errorf("%v: mismatch = %v, want differ=%v", tc.cmd, m, tc.differ)
			}
		})
	}
}
