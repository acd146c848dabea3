package server_test

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestHLLCrossCheck runs the same PF* commands on a real redis-server 7.0.15 and on slotdb
// and compares every reply and the HLL bytes (GET) after each step, for sparse and dense
// sets, and for HLLs created on one server and SET onto the other.
func TestHLLCrossCheck(t *testing.T) {
	ref := proctest.StartRedis(t).Dial(t)
	got := proctest.StartSlotdb(t).Dial(t)
	both := func(args ...string) []byte {
		t.Helper()
		a, err := ref.Do(args...)
		if err != nil {
			t.Fatalf("redis %.60q: %v", args, err)
		}
		b, err := got.Do(args...)
		if err != nil {
			t.Fatalf("slotdb %.60q: %v", args, err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%.80q:\n redis  %.200q\n slotdb %.200q", args, a, b)
		}
		return a
	}
	// add sends elements in batches of 1000 (pipelined on each side) and compares replies.
	add := func(key string, els []string) {
		t.Helper()
		var cmds [][]string
		for i := 0; i < len(els); i += 1000 {
			cmds = append(cmds, append([]string{"PFADD", key}, els[i:min(i+1000, len(els))]...))
		}
		ra, rb := pipeline(t, ref, cmds), pipeline(t, got, cmds)
		for i := range cmds {
			if !bytes.Equal(ra[i], rb[i]) {
				t.Fatalf("PFADD %s batch %d: redis %q slotdb %q", key, i, ra[i], rb[i])
			}
		}
	}
	seq := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	binary := func(seed uint64, n int) []string {
		out := make([]string, n)
		for i := range out {
			seed = seed*6364136223846793005 + 1442695040888963407
			b := make([]byte, seed>>59)
			for j := range b {
				b[j] = byte(seed >> (j % 8 * 8))
			}
			out[i] = string(b)
		}
		return out
	}

	datasets := []struct {
		key string
		els []string
	}{
		{"tiny", []string{"a", "b", "c"}},
		{"small", seq("s:", 200)},
		{"medium", seq("m:", 1500)},
		{"bin", binary(7, 5000)},
		{"large", seq("l:", 100000)},
	}
	for _, d := range datasets {
		add(d.key, d.els)
		v := both("GET", d.key)
		if len(v) < 20 {
			t.Fatalf("GET %s: %q", d.key, v)
		}
		both("PFDEBUG", "ENCODING", d.key)
		both("PFCOUNT", d.key)
		both("GET", d.key) // the cached cardinality
		add(d.key, d.els[:len(d.els)/2])
		both("PFCOUNT", d.key)
	}

	// Values made on one server and SET onto the other keep working on both.
	for _, d := range datasets {
		for _, from := range []*proctest.Conn{ref, got} {
			r, err := from.DoReply("GET", d.key)
			if err != nil || r.Type != '$' || r.Null {
				t.Fatalf("GET %s: %v %v", d.key, err, r)
			}
			k := fmt.Sprintf("copy-%s-%v", d.key, from == ref)
			both("SET", k, r.Str)
			both("PFCOUNT", k)
			add(k, seq("more:", 50))
			both("GET", k)
			both("PFCOUNT", k)
		}
	}

	both("PFCOUNT", "tiny", "small", "medium", "bin", "large", "missing")
	both("PFMERGE", "u1", "tiny", "small")
	both("GET", "u1")
	both("PFMERGE", "u2", "small", "large", "missing")
	both("GET", "u2")
	both("PFMERGE", "small", "medium")
	both("GET", "small")
	both("PFCOUNT", "u1", "u2", "small")

	both("CONFIG", "SET", "hll-sparse-max-bytes", "500")
	add("limited", seq("c:", 300))
	both("PFDEBUG", "ENCODING", "limited")
	both("GET", "limited")
	both("CONFIG", "SET", "hll-sparse-max-bytes", "3000")

	got.SetTimeout(time.Minute)
	if r, err := got.Do("PFSELFTEST"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("PFSELFTEST on slotdb: %q %v", r, err)
	}
}

func pipeline(t *testing.T, c *proctest.Conn, cmds [][]string) [][]byte {
	t.Helper()
	for _, cmd := range cmds {
		if err := c.Send(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	out := make([][]byte, len(cmds))
	for i := range out {
		r, err := c.ReadReply()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}
