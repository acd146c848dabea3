package cmdmeta

import (
	"errors"
	"reflect"
	"testing"
)

// TestKeysAgainstGetkeysGolden checks Keys and KeysAndFlags directly against every captured
// COMMAND GETKEYS reply: the same positions (as argv values), and ErrArity where Redis
// refused the argument count.
func TestKeysAgainstGetkeysGolden(t *testing.T) {
	n := 0
	for _, c := range loadGolden(t) {
		if c.Proto != 2 || len(c.Argv) < 3 || c.Argv[1] != "GETKEYS" {
			continue
		}
		argv := argvBytes(c.Argv[2:])
		cmd := Lookup(c.Argv[2])
		if cmd == nil {
			continue
		}
		head, entries, err := splitTop([]byte(c.Reply), 1)
		if err != nil || head[0] != '*' {
			if c.Reply == "-"+ErrArity.Error()+"\r\n" {
				if _, err := cmd.Keys(argv); !errors.Is(err, ErrArity) {
					t.Errorf("%q: err %v, want ErrArity", c.Argv[2:], err)
				}
			}
			continue
		}
		pos, err := cmd.Keys(argv)
		if err != nil {
			t.Errorf("%q: %v", c.Argv[2:], err)
			continue
		}
		var got []string
		for _, p := range pos {
			got = append(got, "$"+itoa(len(argv[p]))+"\r\n"+string(argv[p])+"\r\n")
		}
		if len(got) != len(entries) || (len(got) > 0 && !reflect.DeepEqual(got, entries)) {
			t.Errorf("%q: keys %q, want %q", c.Argv[2:], got, entries)
		}
		n++
	}
	if n < 60 {
		t.Fatalf("only %d argvs with keys in the golden file", n)
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestKeysSemantics(t *testing.T) {
	tests := []struct {
		argv    []string
		want    []int
		wantErr error
	}{
		{[]string{"PING"}, nil, nil},                         // no keys is not an error
		{[]string{"SCAN", "0"}, nil, nil},                    // nor for a keyless command
		{[]string{"EVAL", "s", "3", "a"}, nil, nil},          // malformed numkeys: no keys
		{[]string{"OBJECT", "ENCODING", "k"}, []int{2}, nil}, // container resolves args[1]
		{[]string{"object", "nope", "k"}, nil, ErrInvalidCommand},
		{[]string{"OBJECT"}, nil, ErrArity},
		{[]string{"GET"}, nil, ErrArity},
		{[]string{"GET", "a", "b"}, nil, ErrArity},
		{[]string{"MSET", "a", "1", "b", "2", "c", "3"}, []int{1, 3, 5}, nil},
		{[]string{"BLPOP", "a", "b", "c", "0"}, []int{1, 2, 3}, nil},
		{[]string{"ZUNIONSTORE", "d", "2", "a", "b"}, []int{1, 3, 4}, nil},
		{[]string{"EVAL", "s", "4294967297", "a"}, []int{3}, nil}, // C int truncation of numkeys
		{[]string{"SPUBLISH", "ch", "m"}, nil, nil},               // not_key spec: no keys
		{[]string{"XREAD", "STREAMS", "a", "b", "1", "2"}, []int{2, 3}, nil},
		{[]string{"MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"}, []int{7, 8}, nil},
	}
	for _, tt := range tests {
		c := Lookup(tt.argv[0])
		if c == nil {
			t.Fatalf("no command %q", tt.argv[0])
		}
		got, err := c.Keys(argvBytes(tt.argv))
		if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v, %v", tt.argv, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGetKeysImplemented(t *testing.T) {
	only := func(names ...string) func(string) bool {
		return func(n string) bool {
			for _, x := range names {
				if x == n {
					return true
				}
			}
			return false
		}
	}
	impl := only("get", "object", "object|encoding")
	if _, err := GetKeys(argvBytes([]string{"SET", "k", "v"}), impl); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("unimplemented SET: %v", err)
	}
	if _, err := GetKeys(argvBytes([]string{"OBJECT", "FREQ", "k"}), impl); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("unimplemented OBJECT FREQ: %v", err)
	}
	refs, err := GetKeys(argvBytes([]string{"OBJECT", "ENCODING", "k"}), impl)
	if err != nil || !reflect.DeepEqual(refs, []KeyRef{{Pos: 2, Flags: KeyRO}}) {
		t.Errorf("OBJECT ENCODING: %v, %v", refs, err)
	}
}

func TestKeywordSearch(t *testing.T) {
	args := argvBytes([]string{"CMD", "a", "KEYS", "b", "keys"})
	tests := []struct {
		kw        string
		startFrom int
		want      int
	}{
		{"keys", 1, 3},  // forward from 1
		{"keys", 3, 0},  // the last argument is never examined forward
		{"keys", -1, 5}, // backward from argc-1
		{"keys", -2, 3},
		{"a", -4, 0}, // index 1 is never examined backward
		{"keys", 9, 0},
		{"keys", -9, 0},
		{"keys", 0, 0},
	}
	for _, tt := range tests {
		if got := keywordSearch(args, tt.kw, tt.startFrom); got != tt.want {
			t.Errorf("keywordSearch(%q, %d) = %d, want %d", tt.kw, tt.startFrom, got, tt.want)
		}
	}
}

func TestAtoiAndStrictInt(t *testing.T) {
	atoiTests := map[string]int{
		"2": 2, "2abc": 2, " \t+7": 7, "-3x": -3, "abc": 0, "": 0, "4294967297": 1,
		"99999999999999999999": -1, "-99999999999999999999": 0, "2147483648": -2147483648,
	}
	for in, want := range atoiTests {
		if got := atoi([]byte(in)); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
	strict := map[string]bool{
		"0": true, "12": true, "-12": true, "-0": false, "012": false, "+1": false, " 1": false,
		"1 ": false, "": false, "-": false, "9223372036854775807": true,
	}
	for in, want := range strict {
		if got := isStrictInt([]byte(in)); got != want {
			t.Errorf("isStrictInt(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzKeys feeds arbitrary argvs to every key-finding path: no panic, and every position
// is inside argv and past the command name.
func FuzzKeys(f *testing.F) {
	f.Add([]byte("EVAL\x00s\x002\x00a\x00b"))
	f.Add([]byte("MIGRATE\x00h\x001\x00\x000\x005\x00KEYS\x00a"))
	f.Add([]byte("XREAD\x00STREAMS\x00a\x000"))
	f.Add([]byte("SORT\x00k\x00STORE\x00d\x00LIMIT"))
	f.Add([]byte("ZUNIONSTORE\x00d\x00-2147483648\x00a"))
	f.Add([]byte("GEORADIUS\x00k\x000\x000\x001\x00km\x00STORE"))
	f.Add([]byte("OBJECT\x00ENCODING\x00k"))
	f.Add([]byte("BITFIELD\x00k\x00GET\x00u8"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var argv [][]byte
		start := 0
		for i := 0; i <= len(data); i++ {
			if i == len(data) || data[i] == 0 {
				argv = append(argv, data[start:i])
				start = i + 1
			}
		}
		if len(argv) > 64 {
			argv = argv[:64]
		}
		check := func(who string, refs []KeyRef) {
			for _, r := range refs {
				if r.Pos < 1 || r.Pos >= len(argv) {
					t.Fatalf("%s %q: position %d out of range", who, argv, r.Pos)
				}
			}
		}
		// Every command on this argv, so arbitrary names still reach every spec and proc.
		for _, c := range all {
			cmds := append([]*Command{c}, c.SortedSubcommands()...)
			for _, cmd := range cmds {
				if refs, err := cmd.KeysAndFlags(argv); err == nil {
					check(cmd.Name, refs)
				}
				check(cmd.Name, cmd.getkeysIfAny(argv))
			}
		}
		refs, _ := GetKeys(argv, nil)
		check("GetKeys", refs)
	})
}

// getkeysIfAny runs c's getkeys proc directly, on any argv that fits c's arity (Redis
// calls procs only after the arity check).
func (c *Command) getkeysIfAny(argv [][]byte) []KeyRef {
	if c.getkeys == nil || !c.CheckArity(len(argv)) {
		return nil
	}
	return c.getkeys(argv)
}
