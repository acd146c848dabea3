package script

import (
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/server/resp"
)

func runEval(t *testing.T, e *Eval, body string) string {
	t.Helper()
	s, err := e.Load([]byte(body))
	if err != nil {
		return "-" + err.Error() + "\r\n"
	}
	w := resp.Writer{Proto: 2}
	e.Run(s, &Run{Call: func([][]byte, int) ([]byte, string) { return []byte("+OK\r\n"), "" }}, nil, nil, &w)
	return string(w.Buf)
}

// Deep recursion and huge strings fail the script, not the process.
func TestEvalLimits(t *testing.T) {
	e := NewEval(nil)
	for body, want := range map[string]string{
		"local function f() return f() + 1 end return f()": "-ERR user_script:1: stack overflow",
		"return string.rep('x', 2^40)":                     "-ERR user_script:1: not enough memory",
		"return #string.rep('ab', 3)":                      ":6\r\n",
	} {
		if got := runEval(t, e, body); !strings.HasPrefix(got, want) {
			t.Errorf("%q: got %q, want prefix %q", body, got, want)
		}
	}
}

// A killed script stops even when it catches errors with pcall.
func TestEvalKill(t *testing.T) {
	e := NewEval(nil)
	s, err := e.Load([]byte("while true do pcall(function() while true do end end) end"))
	if err != nil {
		t.Fatal(err)
	}
	run := &Run{}
	time.AfterFunc(50*time.Millisecond, run.Kill)
	w := resp.Writer{Proto: 2}
	e.Run(s, run, nil, nil, &w)
	want := "-ERR Script killed by user with SCRIPT KILL... script: " + s.SHA + ", on @user_script:1.\r\n"
	if string(w.Buf) != want {
		t.Fatalf("got %q, want %q", w.Buf, want)
	}
	// The interpreter is usable afterwards.
	if got := runEval(t, e, "return 7"); got != ":7\r\n" {
		t.Fatalf("after kill: %q", got)
	}
}

// Error texts of FUNCTION LOAD as redis 7.0.15 words them.
func TestFunctionLoad(t *testing.T) {
	f := NewFunctions(nil, nil)
	for _, c := range []struct{ code, err string }{
		{"return 1", "ERR Missing library metadata"},
		{"#!lua", "ERR Invalid library metadata"},
		{"#!lua\nreturn 1", "ERR Library name was not given"},
		{"#!lua name=a name=b\n", "ERR Invalid metadata value, name argument was given multiple times"},
		{"#!lua name=a x=1\n", "ERR Invalid metadata value given: x=1"},
		{"#!lua name=a.b\n", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"},
		{"#!js name=a\n", "ERR Engine 'js' not found"},
		{"#!lua name=a\nreturn 1", "ERR No functions registered"},
		{"#!lua name=a\nreturn 1 +", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"},
		{"#!lua name=a\nwhile true do end", "ERR Error registering functions: ERR FUNCTION LOAD timeout"},
		{"#!lua name=a\nredis.call('ping')", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"},
		{"#!lua name=a\nredis.register_function()", "ERR Error registering functions: ERR wrong number of arguments to redis.register_function"},
		{"#!lua name=a\nredis.register_function{function_name='f', callback=function() end, flags={'nope'}}", "ERR Error registering functions: ERR unknown flag given"},
	} {
		_, err := f.Load(c.code, false)
		if err == nil || err.Error() != c.err {
			t.Errorf("%q: got %v, want %q", c.code, err, c.err)
		}
	}
	if n, m := f.Counts(); n != 0 || m != 0 {
		t.Fatalf("failed loads left %d libraries, %d functions", n, m)
	}
	name, err := f.Load("#!lua name=lib\nredis.register_function{function_name='f1', callback=function(k, a) return a[1] end, flags={'NO-WRITES', 'allow-oom'}}", false)
	if err != nil || name != "lib" {
		t.Fatal(name, err)
	}
	fn := f.Get("f1")
	if fn == nil || fn.Flags != FlagNoWrites|FlagAllowOOM || strings.Join(fn.Flags.List(), ",") != "no-writes,allow-oom" {
		t.Fatalf("f1: %+v", fn)
	}
	w := resp.Writer{Proto: 2}
	f.Call(fn, &Run{}, nil, [][]byte{[]byte("arg")}, &w)
	if string(w.Buf) != "$3\r\narg\r\n" {
		t.Fatalf("FCALL f1: %q", w.Buf)
	}
	if _, err := f.Load("#!lua name=lib\n", false); err == nil || err.Error() != "ERR Library 'lib' already exists" {
		t.Fatalf("reload without REPLACE: %v", err)
	}
	if _, err := f.Load("#!lua name=other\nredis.register_function('f1', function() end)", false); err == nil || err.Error() != "ERR Function f1 already exists" {
		t.Fatalf("function name clash: %v", err)
	}
	// RESTORE policies: APPEND refuses an existing library, REPLACE swaps it, FLUSH drops
	// the rest; a failure changes nothing.
	codes := f.Codes()
	if err := f.Restore(codes, RestoreAppend); err == nil || err.Error() != "Library lib already exists" {
		t.Fatalf("APPEND over existing: %v", err)
	}
	if err := f.Restore([]string{"#!lua name=two\nredis.register_function('f2', function() return 2 end)"}, RestoreAppend); err != nil {
		t.Fatal(err)
	}
	if err := f.Restore([]string{"#!lua name=bad\nreturn +"}, RestoreFlush); err == nil {
		t.Fatal("RESTORE of a broken library succeeded")
	}
	if n, m := f.Counts(); n != 2 || m != 2 {
		t.Fatalf("after APPEND and a failed FLUSH: %d libraries, %d functions", n, m)
	}
	if err := f.Restore(codes, RestoreFlush); err != nil {
		t.Fatal(err)
	}
	if n, m := f.Counts(); n != 1 || m != 1 || f.Get("f2") != nil {
		t.Fatalf("after FLUSH restore: %d libraries, %d functions", n, m)
	}
}

// math.random draws from one redisLrand48 generator for scripts and functions, never
// reseeded between calls; values captured from a fresh redis 7.0.15.
func TestRandomSequence(t *testing.T) {
	e := NewEval(nil)
	f := NewFunctions(nil, nil)
	e.ShareRandom(f)
	if got := runEval(t, e, "return {math.random(100), math.random(100), math.random(1000000)}"); got != "*3\r\n:40\r\n:85\r\n:353337\r\n" {
		t.Fatalf("first script: %q", got)
	}
	if _, err := f.Load("#!lua name=r\nredis.register_function('r', function() return math.random(1000000) end)", false); err != nil {
		t.Fatal(err)
	}
	w := resp.Writer{Proto: 2}
	f.Call(f.Get("r"), &Run{}, nil, nil, &w)
	if string(w.Buf) != ":446584\r\n" {
		t.Fatalf("function: %q", w.Buf)
	}
	if got := runEval(t, e, "return tostring(math.random())"); got != "$16\r\n0.31869277233197\r\n" {
		t.Fatalf("third draw: %q", got)
	}
	e.Flush() // the generator outlives SCRIPT FLUSH; randomseed reseeds it
	if got := runEval(t, e, "math.randomseed(7) return {math.random(1000), math.random(1000)}"); got != "*2\r\n:267\r\n:683\r\n" {
		t.Fatalf("after randomseed(7): %q", got)
	}
}
