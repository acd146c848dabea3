package cmdmeta

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/server/resp"
)

type goldenReply struct {
	Proto     int      `json:"proto"`
	Argv      []string `json:"argv"`
	Reply     string   `json:"reply"`
	Unordered bool     `json:"unordered"`
	Group     int      `json:"group"`
}

func loadGolden(t testing.TB) []goldenReply {
	t.Helper()
	data, err := os.ReadFile("testdata/replies.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenReply
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	return cases
}

func argvBytes(argv []string) [][]byte {
	out := make([][]byte, len(argv))
	for i, a := range argv {
		out[i] = []byte(a)
	}
	return out
}

func runCommand(proto int, argv []string, implemented func(string) bool) []byte {
	w := &resp.Writer{Proto: proto}
	WriteCommand(w, argvBytes(argv), implemented)
	return w.Buf
}

// TestGoldenReplies replays every captured COMMAND request and compares the reply byte for
// byte with redis-server 7.0.15's; replies in hash order compare as multisets of entries.
func TestGoldenReplies(t *testing.T) {
	for _, c := range loadGolden(t) {
		name := strings.Join(c.Argv, " ")
		if len(name) > 80 {
			name = name[:80] + "..."
		}
		got := runCommand(c.Proto, c.Argv, nil)
		if !c.Unordered {
			want, err := canonical([]byte(c.Reply))
			if err != nil {
				t.Fatalf("golden %q: %v", name, err)
			}
			if string(got) != c.Reply && canonicalOrRaw(got) != want {
				t.Errorf("RESP%d %q:\n got %s\nwant %s", c.Proto, name, clip(got), clip([]byte(c.Reply)))
			}
			continue
		}
		wh, we, err := splitTop([]byte(c.Reply), c.Group)
		if err != nil {
			t.Fatalf("golden %q: %v", name, err)
		}
		gh, ge, err := splitTop(got, c.Group)
		if err != nil {
			t.Errorf("RESP%d %q: %v", c.Proto, name, err)
			continue
		}
		if gh != wh {
			t.Errorf("RESP%d %q: header %q, want %q", c.Proto, name, gh, wh)
		}
		sort.Strings(we)
		sort.Strings(ge)
		if len(ge) != len(we) {
			t.Errorf("RESP%d %q: %d entries, want %d", c.Proto, name, len(ge), len(we))
			continue
		}
		for i := range we {
			if ge[i] != we[i] {
				t.Errorf("RESP%d %q: entry\n got %s\nwant %s", c.Proto, name, clip([]byte(ge[i])), clip([]byte(we[i])))
				break
			}
		}
	}
}

func clip(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r\n", " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

func canonicalOrRaw(b []byte) string {
	s, err := canonical(b)
	if err != nil {
		return string(b)
	}
	return s
}
