package difftest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{`SET k v`, []string{"SET", "k", "v"}, false},
		{`  a   b  `, []string{"a", "b"}, false},
		{`SET k "a b\r\n\x00\xff\"\\"`, []string{"SET", "k", "a b\r\n\x00\xff\"\\"}, false},
		{`SET k 'it\'s "x"'`, []string{"SET", "k", `it's "x"`}, false},
		{`SET k ""`, []string{"SET", "k", ""}, false},
		{`SET k '\n'`, []string{"SET", "k", `\n`}, false},
		{`a"b"`, []string{"ab"}, false},
		{`"\x4"`, []string{`x4`}, false},
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
	} {
		got, err := SplitArgs(tc.in)
		if (err != nil) != tc.err || !tc.err && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, err=%v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"CLIENT ID", "CLIENT ID", true},
		{"CLIENT ID", "CLIENT IDX", false},
		{"TTL *", "TTL k", true},
		{"TTL *", "TTL", false},
		{"TTL *", "PTTL k", false},
		{"HELLO*", "HELLO", true},
		{"HELLO*", "HELLO 3 SETNAME x", true},
		{"*a*b", "xxaybzb", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"", "", true},
	} {
		if got := globMatch(tc.pat, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
	if !(Rule{Pattern: "client list*"}).Matches([]string{"CLIENT", "list", "TYPE", "normal"}) {
		t.Error("Rule.Matches is case sensitive")
	}
}

func TestParseScript(t *testing.T) {
	s, err := ParseScript("x.txt", "# c\n\nSET k v\n  @conn 2\n@norm within 1\n@SCAN SCAN 0 COUNT 1\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{"x.txt", 3, "", []string{"SET", "k", "v"}},
		{"x.txt", 4, "conn", []string{"2"}},
		{"x.txt", 5, "norm", []string{"within", "1"}},
		{"x.txt", 6, "scan", []string{"SCAN", "0", "COUNT", "1"}},
	}
	if !reflect.DeepEqual(s.Steps, want) {
		t.Errorf("steps = %+v", s.Steps)
	}
	for _, tc := range []struct{ text, want string }{
		{"SET k \"v", "x.txt:1: unbalanced quotes"},
		{"\n@bogus", "x.txt:2: unknown directive @bogus"},
		{"@conn", "wrong number of arguments for @conn"},
		{"@sleep -1", "non-negative number"},
		{"@norm nope", "unknown normalizer"},
		{"@norm within x", "bad delta"},
		{"@scan SCAN 5", "needs a 0 cursor"},
	} {
		_, err := ParseScript("x.txt", tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseScript(%q) error = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestNormalizers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        Normalizer
		ref, got string
		equal    bool
	}{
		{"within ok", Within(1), ":100\r\n", ":99\r\n", true},
		{"within far", Within(1), ":100\r\n", ":97\r\n", false},
		{"within type", Within(1), ":100\r\n", "$3\r\n100\r\n", false},
		{"within nested", Within(5), "*2\r\n:1\r\n$2\r\n10\r\n", "*2\r\n:1\r\n$2\r\n12\r\n", true},
		{"sorted", Sorted, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{"sorted content", Sorted, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n", false},
		{"sorted map", Sorted, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true},
		{"pairs keep pairing", SortedPairs, "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "*4\r\n+b\r\n:1\r\n+a\r\n:2\r\n", false},
		{"shape", Shape, "*2\r\n:5\r\n$3\r\nabc\r\n", "*2\r\n:7\r\n$1\r\nx\r\n", true},
		{"shape keeps errors", Shape, "-ERR a\r\n", "-ERR b\r\n", false},
		{"shape keeps nulls", Shape, "$-1\r\n", "$1\r\nx\r\n", false},
		{"scan", ScanSorted, "*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n", "*2\r\n$1\r\n0\r\n*2\r\n+b\r\n+a\r\n", true},
		{"scan cursor", ScanSorted, "*2\r\n$1\r\n0\r\n*0\r\n", "*2\r\n$1\r\n5\r\n*0\r\n", false},
		{"client", ClientFields, "$32\r\nid=3 addr=1.2.3.4:5 name=x age=1\r\n", "$32\r\nid=9 addr=1.2.3.4:6 name=x age=0\r\n", true},
		{"client name", ClientFields, "$11\r\nid=3 name=x\r\n", "$11\r\nid=3 name=y\r\n", false},
		{"fields", MapValues("id"), "%2\r\n+id\r\n:1\r\n+v\r\n+a\r\n", "%2\r\n+id\r\n:9\r\n+v\r\n+a\r\n", true},
		{"fields other", MapValues("id"), "%1\r\n+v\r\n+a\r\n", "%1\r\n+v\r\n+b\r\n", false},
		{"info", InfoFields, "$29\r\n# Server\r\nrun_id:ab\r\nrole:x\r\n\r\n", "$29\r\n# Server\r\nrun_id:cd\r\nrole:x\r\n\r\n", true},
		{"info role", InfoFields, "$18\r\n# Server\r\nrole:x\r\n\r\n", "$18\r\n# Server\r\nrole:y\r\n\r\n", false},
	} {
		a, err1 := proctest.ParseReply([]byte(tc.ref))
		b, err2 := proctest.ParseReply([]byte(tc.got))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad test replies: %v %v", tc.name, err1, err2)
		}
		tc.n(a, b)
		if eq := string(a.Raw()) == string(b.Raw()); eq != tc.equal {
			t.Errorf("%s: after normalizing %q vs %q, equal = %v", tc.name, a.Raw(), b.Raw(), eq)
		}
	}
}

func TestGeneratorIsReproducible(t *testing.T) {
	a, b := NewGenerator(42), NewGenerator(42)
	c := NewGenerator(43)
	same := 0
	for i := 0; i < 500; i++ {
		x, y, z := a.Next(), b.Next(), c.Next()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("step %d: %q vs %q from the same seed", i, x, y)
		}
		if reflect.DeepEqual(x, z) {
			same++
		}
	}
	if same > 100 {
		t.Errorf("seeds 42 and 43 agree on %d of 500 commands", same)
	}
}
