package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// normalizeSlowlog masks the timestamp, duration and client address of SLOWLOG GET entries;
// other replies pass unchanged.
func normalizeSlowlog(t *testing.T, raw string) string {
	t.Helper()
	r, err := proctest.ParseReply([]byte(raw))
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	if r.Type != '*' {
		return raw
	}
	if len(r.Elems) == 14 && r.Elems[6].Str == "id" {
		r.Elems[7].Str = "ID" // HELLO: connection ids are per-server counters
		return string(r.Raw())
	}
	for _, e := range r.Elems {
		if e.Type != '*' || len(e.Elems) != 6 {
			return raw // SLOWLOG HELP
		}
		e.Elems[1].Str, e.Elems[2].Str, e.Elems[4].Str = "T", "D", "ADDR"
	}
	return string(r.Raw())
}

// TestSlowlogMatchesRedis runs one sequence on a real redis-server 7.0.15 and on slotdb and
// compares every reply, entries included (ids, arguments, truncation, redaction, names).
func TestSlowlogMatchesRedis(t *testing.T) {
	ref := proctest.StartRedis(t)
	ls := startLive(t, nil)
	many := []string{"MSET"}
	for i := 0; i < 20; i++ {
		many = append(many, "k"+strconv.Itoa(i), "v")
	}
	script := [][]string{
		{"SLOWLOG", "RESET"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"},
		{"CLIENT", "SETNAME", "me"},
		{"SLOWLOG", "HELP"},
		{"SLOWLOG", "LEN"},
		{"SLOWLOG", "GET", "2"},
		{"SLOWLOG", "GET", "-1"},
		{"SLOWLOG", "GET", "abc"},
		{"SLOWLOG", "GET", "0"},
		{"SLOWLOG", "GET", "-2"},
		{"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "LEN", "x"},
		{"SLOWLOG", "RESET", "x"},
		{"SLOWLOG", "FOO"},
		{"SLOWLOG", "RESET"},
		{"SLOWLOG", "LEN"},
		{"SLOWLOG", "GET"},
		many,
		{"ECHO", strings.Repeat("x", 200)},
		{"AUTH", "foo"},
		{"AUTH", "user", "pass"},
		{"AUTH", "a", "b", "c"},
		{"HELLO", "2", "AUTH", "default", "pw", "SETNAME", "me"},
		{"HELLO", "4", "AUTH", "default", "pw"},
		{"CONFIG", "SET", "slowlog-max-len", "128", "masterauth", "secret"},
		{"GET", "missing"},
		{"SLOWLOG", "GET", "-1"},
		{"CONFIG", "SET", "slowlog-max-len", "2"},
		{"PING"},
		{"SLOWLOG", "LEN"},
		{"SLOWLOG", "GET", "-1"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "-1"},
		{"PING"},
		{"SLOWLOG", "GET"},
	}
	rc, gc := ref.Dial(t), ls.dial(t)
	for _, args := range script {
		want := normalizeSlowlog(t, do(t, rc, args...))
		got := normalizeSlowlog(t, do(t, gc, args...))
		if got != want {
			t.Errorf("%.60q:\n got %q\nwant %q", args, got, want)
		}
	}
}

func TestSlowlogEntry(t *testing.T) {
	st := NewSettings()
	st.SetSlowlog(1000, 3)
	l := newSlowLog()
	c := &Client{raddr: "10.0.0.1:5000", name: "app"}
	argv := func(a ...string) [][]byte {
		out := make([][]byte, len(a))
		for i, s := range a {
			out[i] = []byte(s)
		}
		return out
	}
	l.maybeAdd(st, c, argv("GET", "k"), 999*time.Microsecond) // under the threshold
	if l.len() != 0 {
		t.Fatal("a fast command was logged")
	}
	l.maybeAdd(st, c, argv("GET", "k"), 1500*time.Microsecond)
	e := l.get(-1)[0]
	if e.id != 0 || e.micros != 1500 || e.addr != "10.0.0.1:5000" || e.name != "app" ||
		strings.Join(e.args, " ") != "GET k" || time.Since(time.Unix(e.unix, 0)) > time.Minute {
		t.Fatalf("entry %+v", e)
	}
	for i := 0; i < 5; i++ {
		l.maybeAdd(st, c, argv("SET", strconv.Itoa(i)), 2*time.Millisecond)
	}
	got := l.get(10)
	if len(got) != 3 || got[0].id != 5 || got[2].id != 3 || got[0].args[1] != "4" {
		t.Fatalf("max-len 3 keeps the newest: %+v", got)
	}
	if len(l.get(1)) != 1 || len(l.get(0)) != 0 {
		t.Fatal("count")
	}
	l.reset()
	l.maybeAdd(st, c, argv("PING"), 2*time.Millisecond)
	if got := l.get(-1); len(got) != 1 || got[0].id != 6 {
		t.Fatalf("RESET keeps counting ids: %+v", got)
	}
	st.SetSlowlog(-1, 3)
	l.maybeAdd(st, c, argv("PING"), time.Hour)
	if l.len() != 1 {
		t.Fatal("a negative threshold disables the log")
	}
}

func TestRedactedArgs(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string // indexes redacted
	}{
		{"AUTH pw", "1"},
		{"auth user pw", "1 2"},
		{"AUTH a b c", ""}, // syntax error before Redis redacts
		{"HELLO 3 AUTH u p SETNAME n", "3 4"},
		{"HELLO 3 SETNAME n AUTH u p", "5 6"},
		{"HELLO 3 AUTH u", ""},
		{"HELLO 4 AUTH u p", ""}, // NOPROTO before the options are read
		{"HELLO x AUTH u p", ""},
		{"HELLO 3 BOGUS AUTH u p", ""},
		{"CONFIG SET requirepass x maxmemory 1 MasterAuth y", "3 7"},
		{"CONFIG SET requirepass x maxmemory", ""}, // odd: arity error first
		{"CONFIG GET requirepass", ""},
		{"MIGRATE h 1 k 0 100 COPY AUTH pw", "8"},
		{"MIGRATE h 1 k 0 100 AUTH2 u p REPLACE", "7 8"},
		{"MIGRATE h 1 \"\" 0 100 KEYS auth x", ""},
		{"GET auth", ""},
	} {
		var argv [][]byte
		for _, a := range strings.Fields(tc.args) {
			argv = append(argv, []byte(a))
		}
		r := redactedArgs(argv)
		var got []string
		for i := range argv {
			if r[i] {
				got = append(got, strconv.Itoa(i))
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.args, got, tc.want)
		}
	}
}
