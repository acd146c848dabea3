package cmdmeta

import (
	"sort"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/server/resp"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"get", "get"}, {"GET", "get"}, {"gEt", "get"},
		{"config|get", "config|get"}, {"CONFIG|GET", "config|get"},
		{"config", "config"},
		{"config|nope", ""}, {"get|x", ""}, {"config|get|x", ""}, {"|get", ""}, {"", ""},
		{"\u212Aeys", ""}, // Kelvin sign: Redis folds ASCII only
	}
	for _, tt := range tests {
		c := Lookup(tt.name)
		got := ""
		if c != nil {
			got = c.Name
		}
		if got != tt.want {
			t.Errorf("Lookup(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if c := LookupArgv(argvBytes([]string{"Config", "GET", "x"})); c == nil || c.Name != "config|get" || c.Parent != Lookup("config") || c.SubName != "get" {
		t.Errorf("LookupArgv(CONFIG GET) = %+v", c)
	}
	if c := LookupArgv(argvBytes([]string{"config"})); c == nil || c.Name != "config" {
		t.Errorf("LookupArgv(CONFIG) = %+v", c)
	}
	if LookupArgv(nil) != nil || LookupArgv(argvBytes([]string{"config", "nope"})) != nil {
		t.Error("LookupArgv found a command that does not exist")
	}
}

func TestTable(t *testing.T) {
	if n := len(All()); n != 240 || Count(nil) != 240 {
		t.Fatalf("%d commands, Count %d; Redis 7.0.15 has 240", n, Count(nil))
	}
	if !sort.SliceIsSorted(All(), func(i, j int) bool { return All()[i].Name < All()[j].Name }) {
		t.Error("All() is not sorted")
	}
	subs := 0
	for _, c := range All() {
		for name, s := range c.Subcommands {
			subs++
			if s.Parent != c || s.Name != c.Name+"|"+name || s.Subcommands != nil {
				t.Errorf("subcommand %q of %q is inconsistent", s.Name, c.Name)
			}
		}
	}
	if subs != 126 { // COMMAND LIST FILTERBY PATTERN *|* on redis-server 7.0.15
		t.Errorf("%d subcommands, want 126", subs)
	}
	get, set, xread, sub := Lookup("get"), Lookup("set"), Lookup("xread"), Lookup("subscribe")
	switch {
	case !get.ReadOnly || !get.Fast || get.Write || get.Arity != 2 || get.FirstKey != 1 || get.Group != "string":
		t.Errorf("GET: %+v", get)
	case !set.Write || !set.DenyOOM || set.Fast || set.Arity != -3 || set.KeySpecs[0].Flags != KeyRW|KeyAccess|KeyUpdate|KeyVariableFlags:
		t.Errorf("SET: %+v", set)
	case !xread.Blocking || !xread.MovableKeys || xread.KeySpecs[0].BeginSearch != BeginSearchKeyword ||
		xread.KeySpecs[0].Keyword != "STREAMS" || xread.KeySpecs[0].Limit != 2 || xread.KeySpecs[0].LastKey != -1:
		t.Errorf("XREAD: %+v", xread)
	case !sub.PubSub || !sub.NoScript || !sub.Loading || !sub.Stale || sub.HasKeys():
		t.Errorf("SUBSCRIBE: %+v", sub)
	case !Lookup("hello").NoAuth || !Lookup("hello").AllowBusy || !Lookup("exec").SkipSlowlog:
		t.Error("HELLO/EXEC flags")
	case !Lookup("eval").NoMandatoryKeys || !Lookup("eval").SkipMonitor || !Lookup("shutdown").NoMulti:
		t.Error("EVAL/SHUTDOWN flags")
	case !Lookup("restore-asking").Asking || !Lookup("config|get").Admin || !Lookup("psync").NoAsyncLoading:
		t.Error("RESTORE-ASKING/CONFIG GET/PSYNC flags")
	case !get.HasACLCategory("READ") || get.HasACLCategory("@read") || !get.HasFlag("fast"):
		t.Error("GET categories/flags")
	}
	if got := strings.Join((KeyRW | KeyAccess | KeyDelete | KeyIncomplete).Names(), ","); got != "RW,access,delete,incomplete" {
		t.Errorf("KeyFlags.Names = %q", got)
	}
}

func only(names ...string) func(string) bool {
	return func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
}

// TestImplementedFilter: an unimplemented command is absent everywhere, like a command
// Redis does not have, and an unimplemented subcommand leaves its container's entries.
func TestImplementedFilter(t *testing.T) {
	impl := only("get", "config", "config|get", "command", "command|info")
	reply := func(proto int, argv ...string) string {
		return string(runCommand(proto, argv, impl))
	}
	if got := reply(2, "COMMAND", "COUNT"); got != ":3\r\n" {
		t.Errorf("COUNT = %q", got)
	}
	if got := reply(2, "COMMAND", "LIST"); got != "*5\r\n$7\r\ncommand\r\n$12\r\ncommand|info\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$3\r\nget\r\n" {
		t.Errorf("LIST = %q", got)
	}
	if got := reply(3, "COMMAND", "INFO", "set", "config|set", "get"); !strings.HasPrefix(got, "*3\r\n_\r\n_\r\n*10\r\n$3\r\nget\r\n") {
		t.Errorf("INFO set config|set get = %q", clip([]byte(got)))
	}
	// CONFIG's entry lists CONFIG GET only, in both INFO and DOCS.
	info := reply(2, "COMMAND", "INFO", "config")
	if !strings.Contains(info, "config|get") || strings.Contains(info, "config|set") ||
		!strings.Contains(info, "+@slow\r\n*0\r\n*0\r\n*1\r\n*10\r\n") {
		t.Errorf("INFO config = %q", clip([]byte(info)))
	}
	docs := reply(3, "COMMAND", "DOCS", "config", "set")
	if !strings.HasPrefix(docs, "%1\r\n$6\r\nconfig\r\n") || !strings.Contains(docs, "$11\r\nsubcommands\r\n%1\r\n$10\r\nconfig|get\r\n") {
		t.Errorf("DOCS config set = %q", clip([]byte(docs)))
	}
	all := reply(3, "COMMAND")
	if !strings.HasPrefix(all, "*3\r\n") || strings.Contains(all, "$3\r\nset\r\n") {
		t.Errorf("COMMAND = %q", clip([]byte(all)))
	}
	// The unfiltered entry is the captured one, untouched by the filtered rendering.
	w := &resp.Writer{Proto: 3}
	WriteCommandInfo(w, argvBytes([]string{"config"}), nil)
	if !strings.Contains(string(w.Buf), "config|set") {
		t.Error("filtering modified the shared table")
	}
}
