package script

import (
	"testing"

	"github.com/slotdb/slotdb/server/resp"
)

// Replies to Lua and back (redisProtocolToLuaType, then luaReplyToRedisReply): a script
// returning redis.call's result as it is. Types the real server cannot produce inside a
// script (DEBUG PROTOCOL is no-script) follow script_lua.c's conversion table.
func TestReplyRoundTrip(t *testing.T) {
	cases := []struct {
		name, reply     string
		setresp, caller int
		want            string
	}{
		{"int", ":42\r\n", 2, 2, ":42\r\n"},
		{"bulk", "$3\r\nabc\r\n", 2, 2, "$3\r\nabc\r\n"},
		{"null bulk is false", "$-1\r\n", 2, 2, "$-1\r\n"},
		{"null array is false", "*-1\r\n", 2, 3, "_\r\n"},
		{"status", "+OK\r\n", 2, 2, "+OK\r\n"},
		{"error", "-WRONGTYPE bad\r\n", 2, 2, "-WRONGTYPE bad\r\n"},
		{"array", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", 2, 2, "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n"},
		{"nil ends an array", "*3\r\n:1\r\n_\r\n:3\r\n", 3, 3, "*1\r\n:1\r\n"},
		{"map", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n", 3, 3, "%1\r\n$1\r\nk\r\n$1\r\nv\r\n"},
		{"map to resp2", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n", 3, 2, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n"},
		{"set", "~1\r\n$1\r\nm\r\n", 3, 3, "~1\r\n$1\r\nm\r\n"},
		{"set to resp2", "~1\r\n$1\r\nm\r\n", 3, 2, "*1\r\n$1\r\nm\r\n"},
		{"null", "_\r\n", 3, 3, "_\r\n"},
		{"null to resp2", "_\r\n", 3, 2, "$-1\r\n"},
		{"true", "#t\r\n", 3, 3, "#t\r\n"},
		{"false", "#f\r\n", 3, 3, "#f\r\n"},
		{"true to resp2", "#t\r\n", 3, 2, ":1\r\n"},
		{"false to resp2", "#f\r\n", 3, 2, ":0\r\n"},
		{"double", ",1.5\r\n", 3, 3, ",1.5\r\n"},
		{"double to resp2", ",1.5\r\n", 3, 2, "$3\r\n1.5\r\n"},
		{"double inf", ",inf\r\n", 3, 3, ",inf\r\n"},
		{"big number", "(123456789012345678901234567890\r\n", 3, 3, "(123456789012345678901234567890\r\n"},
		{"big number to resp2", "(12345678901234567890\r\n", 3, 2, "$20\r\n12345678901234567890\r\n"},
		{"verbatim", "=9\r\ntxt:hello\r\n", 3, 3, "=9\r\ntxt:hello\r\n"},
		{"verbatim to resp2", "=9\r\nmkd:hello\r\n", 3, 2, "$5\r\nhello\r\n"},
		{"attribute skipped", "|1\r\n+key\r\n+val\r\n:5\r\n", 3, 3, ":5\r\n"},
	}
	e := NewEval(nil)
	for _, c := range cases {
		body := "redis.setresp(" + string(rune('0'+c.setresp)) + ") return redis.pcall('x')"
		s, err := e.Load([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		var gotProto int
		run := &Run{Call: func(_ [][]byte, proto int) ([]byte, string) { gotProto = proto; return []byte(c.reply), "" }}
		w := resp.Writer{Proto: c.caller}
		e.Run(s, run, nil, nil, &w)
		if gotProto != c.setresp {
			t.Errorf("%s: command ran with RESP%d, want %d", c.name, gotProto, c.setresp)
		}
		if string(w.Buf) != c.want {
			t.Errorf("%s: got %q, want %q", c.name, w.Buf, c.want)
		}
	}
}

// Commands refused before they run raise (call) or return (pcall) an error table whose
// code is ERR when the text has none.
func TestCallRejected(t *testing.T) {
	e := NewEval(nil)
	for body, want := range map[string]string{
		"return redis.pcall('x')":                       "-ERR Write commands are not allowed from read-only scripts.\r\n",
		"return redis.pcall('x').err":                   "$58\r\nERR Write commands are not allowed from read-only scripts.\r\n",
		"local ok, e = pcall(redis.call, 'x') return e": "$58\r\nERR Write commands are not allowed from read-only scripts.\r\n",
	} {
		s, _ := e.Load([]byte(body))
		w := resp.Writer{Proto: 2}
		e.Run(s, &Run{Call: func([][]byte, int) ([]byte, string) {
			return nil, "Write commands are not allowed from read-only scripts."
		}}, nil, nil, &w)
		if string(w.Buf) != want {
			t.Errorf("%q: got %q, want %q", body, w.Buf, want)
		}
	}
}
