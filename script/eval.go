package script

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/slotdb/slotdb/server/resp"
)

// Flags are a script's or function's flags (shebang "flags=" or register_function's).
type Flags uint

const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagCompat marks an EVAL script without a shebang: Redis's SCRIPT_FLAG_EVAL_COMPAT_MODE,
	// where flags are decided per command as before 7.0.
	FlagCompat
)

var flagNames = []struct {
	name string
	flag Flags
}{
	{"no-writes", FlagNoWrites},
	{"allow-oom", FlagAllowOOM},
	{"allow-stale", FlagAllowStale},
	{"no-cluster", FlagNoCluster},
	{"allow-cross-slot-keys", FlagAllowCrossSlot},
}

// FlagList names the flags as FUNCTION LIST shows them, in Redis's order.
func (f Flags) List() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.flag != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Script is one EVAL script, compiled.
type Script struct {
	SHA   string
	Body  []byte
	Flags Flags
	fn    *lua.LFunction
}

// Eval is the EVAL scripts' interpreter and script cache (SCRIPT LOAD / EXISTS / FLUSH).
type Eval struct {
	rt      *runtime
	scripts map[string]*Script
	bytes   int
}

// NewEval starts an interpreter. known, when set, answers redis.acl_check_cmd's question
// whether a command exists.
func NewEval(known func(args [][]byte) bool) *Eval {
	e := &Eval{scripts: map[string]*Script{}}
	e.rt = newEvalRuntime(known)
	return e
}

func newEvalRuntime(known func(args [][]byte) bool) *runtime {
	rt := newRuntime("@user_script")
	rt.Known = known
	rt.globals.RawSetString("redis", rt.redisTable())
	rt.seal(nil)
	return rt
}

// Error is a script error whose text is Redis's reply (without the leading '-').
type Error string

func (e Error) Error() string { return string(e) }

// ShebangFlags parses a "#!lua flags=..." first line (evalExtractShebangFlags). It returns
// the flags (FlagCompat when there is no shebang) and the shebang's length.
func ShebangFlags(body []byte) (Flags, int, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return FlagCompat, 0, nil
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, Error("ERR Invalid script shebang")
	}
	parts, ok := resp.SplitArgs(body[:end])
	if !ok || len(parts) == 0 {
		return 0, 0, Error("ERR Invalid engine in script shebang")
	}
	if string(parts[0]) != "#!lua" {
		return 0, 0, Error("ERR Unexpected engine in script shebang: " + cstr(parts[0]))
	}
	var flags Flags
	for _, p := range parts[1:] {
		rest, ok := bytes.CutPrefix(p, []byte("flags="))
		if !ok {
			return 0, 0, Error("ERR Unknown lua shebang option: " + cstr(p))
		}
		if len(rest) == 0 {
			continue
		}
		for _, name := range bytes.Split(rest, []byte(",")) {
			f, ok := flagByName(string(name))
			if !ok {
				return 0, 0, Error("ERR Unexpected flag in script shebang: " + cstr(name))
			}
			flags |= f
		}
	}
	return flags, end, nil
}

func flagByName(name string) (Flags, bool) {
	for _, fn := range flagNames {
		if fn.name == name {
			return fn.flag, true
		}
	}
	return 0, false
}

// cstr cuts at a NUL as C's "%s" does.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Load compiles a script and caches it by SHA1 (luaCreateFunction); a cached script is not
// compiled again.
func (e *Eval) Load(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	if s := e.scripts[sha]; s != nil {
		return s, nil
	}
	flags, shebang, err := ShebangFlags(body)
	if err != nil {
		return nil, err
	}
	src := body[shebang:] // the shebang's newline stays: line numbers are the user's
	fn, err := e.rt.load(bytes.NewReader(src), "user_script")
	if err != nil {
		return nil, Error("ERR Error compiling script (new function): " + compileMessage(err, src))
	}
	fn.Env = e.rt.env
	// The main chunk is vararg; without '...' in its body gopher-lua builds a Lua 5.0
	// "arg" table on every call, which no script can reach (the chunk has no local of that
	// name): skip it.
	fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
	s := &Script{SHA: sha, Body: append([]byte(nil), body...), Flags: flags, fn: fn}
	e.scripts[sha] = s
	e.bytes += len(body)
	return s, nil
}

// ShareRandom makes f's math.random draw from e's generator: Redis has one generator for
// scripts and functions.
func (e *Eval) ShareRandom(f *Functions) { f.rt.lrand = e.rt.lrand }

// Get finds a cached script by SHA1, case-insensitively.
func (e *Eval) Get(sha string) *Script { return e.scripts[strings.ToLower(sha)] }

// Len is the number of cached scripts; Bytes their total source size.
func (e *Eval) Len() int   { return len(e.scripts) }
func (e *Eval) Bytes() int { return e.bytes }

// Flush drops every script and starts a fresh interpreter (SCRIPT FLUSH).
func (e *Eval) Flush() {
	known, rand := e.rt.Known, e.rt.lrand
	e.rt.close()
	e.rt = newEvalRuntime(known)
	e.rt.lrand = rand
	e.scripts = map[string]*Script{}
	e.bytes = 0
}

// Run runs a script with KEYS and ARGV and writes its reply (or error) to w. The random
// generator is reseeded for every script, as Redis 7.0 does, so math.random is
// deterministic.
func (e *Eval) Run(s *Script, run *Run, keys, args [][]byte, w *resp.Writer) {
	rt := e.rt
	rt.globals.RawSetString("KEYS", stringArray(rt.L, keys))
	rt.globals.RawSetString("ARGV", stringArray(rt.L, args))
	if run.Name == "" {
		run.Name = s.SHA
	}
	v, errMsg := rt.call(run, s.fn)
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	writeReply(w, v, run.proto, 0)
}

func stringArray(L *lua.LState, elems [][]byte) *lua.LTable {
	t := L.CreateTable(len(elems), 0)
	for i, b := range elems {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

// compileMessage renders a compile error as Lua 5.1 does: "user_script:1: msg near 'tok'".
func compileMessage(err error, src []byte) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) && ae.Cause != nil {
		err = ae.Cause
	}
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return strings.TrimSpace(err.Error())
	}
	msg := pe.Message
	if msg == "syntax error" {
		msg = "unexpected symbol"
	}
	line, tok := pe.Pos.Line, pe.Token
	if line == parse.EOF || tok == "" || tok == "EOF" {
		tok = "<eof>"
	}
	if line == parse.EOF {
		line = bytes.Count(src, []byte("\n")) + 1
	}
	return pe.Pos.Source + ":" + strconv.Itoa(line) + ": " + msg + " near '" + tok + "'"
}
