package difftest

import (
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

func bulks(ss ...string) *proctest.Reply {
	r := &proctest.Reply{Type: '*'}
	for _, s := range ss {
		r.Elems = append(r.Elems, &proctest.Reply{Type: '$', Str: s})
	}
	return r
}

func TestIntsetOrSorted(t *testing.T) {
	for _, c := range []struct {
		name     string
		ref, got []string
		equal    bool
	}{
		{"intset order kept and compared", []string{"-2", "3", "10"}, []string{"10", "-2", "3"}, false},
		{"intset order agrees", []string{"-2", "3", "10"}, []string{"-2", "3", "10"}, true},
		{"dict order sorted", []string{"b", "a", "1"}, []string{"1", "b", "a"}, true},
		{"integers out of order sorted", []string{"10", "3"}, []string{"3", "10"}, true},
		{"different members still differ", []string{"b", "a"}, []string{"a", "c"}, false},
	} {
		ref, got := bulks(c.ref...), bulks(c.got...)
		IntsetOrSorted(ref, got)
		if eq := string(ref.Raw()) == string(got.Raw()); eq != c.equal {
			t.Errorf("%s: equal after normalizing = %v", c.name, eq)
		}
	}
}

func TestHashSetFamiliesGenerate(t *testing.T) {
	g := NewGenerator(7, FamilyHash, FamilySet)
	seen := map[string]bool{}
	for range 2000 {
		args := g.Next()
		seen[args[0]] = true
		if args[0] == "SPOP" {
			t.Fatalf("SPOP's random removals would part the servers: %q", args)
		}
	}
	for _, name := range []string{"HSET", "HGETALL", "HINCRBYFLOAT", "HRANDFIELD", "HSCAN", "SADD", "SINTERCARD", "SDIFFSTORE", "SSCAN", "SMOVE"} {
		if !seen[name] {
			t.Errorf("%s never generated", name)
		}
	}
}
