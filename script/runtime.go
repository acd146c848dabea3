// Package script is the Lua runtime of EVAL and FUNCTION (Redis 7.0's script_lua.c, eval.c,
// function_lua.c) on gopher-lua: the sandbox, the redis.* API, the cjson/cmsgpack/bit/struct
// libraries, and the conversions between replies and Lua values. It knows nothing of the
// server: a script's redis.call goes through Run.Call, which the server implements.
package script

import (
	"context"
	"errors"
	stdmath "math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Log levels of redis.log, as Redis numbers them.
const (
	LogDebug   = 0
	LogVerbose = 1
	LogNotice  = 2
	LogWarning = 3
)

// Run is one script invocation: what the script may call and how it reports.
type Run struct {
	// Call runs a command for redis.call/pcall with the script client's protocol (2 or 3)
	// and returns its raw RESP reply. A command refused before it ran returns rejected,
	// Redis's text without the "-" ("ERR ..." or a bare message, which gets "ERR ").
	Call func(args [][]byte, proto int) (reply []byte, rejected string)
	// Log writes a redis.log line at a level (LogDebug..LogWarning).
	Log func(level int, msg string)
	// Name is the script's name in error suffixes: the SHA1 for EVAL, the function name.
	Name string

	proto  int // redis.setresp
	mu     sync.Mutex
	kill   chan struct{}
	killed atomic.Bool
}

func (r *Run) killCh() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kill == nil {
		r.kill = make(chan struct{})
	}
	return r.kill
}

// Kill stops the running script at its next instruction, as SCRIPT KILL does. Any
// goroutine may call it.
func (r *Run) Kill() {
	ch := r.killCh()
	if r.killed.CompareAndSwap(false, true) {
		close(ch)
	}
}

// Killed reports whether Kill was called.
func (r *Run) Killed() bool { return r.killed.Load() }

var errKilled = errors.New("Script killed by user with SCRIPT KILL...")

// killCtx is the context gopher-lua checks before every instruction.
type killCtx struct {
	context.Context
	r    *Run
	done chan struct{}
}

func (k killCtx) Done() <-chan struct{} { return k.done }
func (k killCtx) Err() error {
	if k.r.killed.Load() {
		return errKilled
	}
	return nil
}

// runtime is one Lua interpreter with the Redis API. Redis keeps one for EVAL scripts and
// one for function libraries. Not safe for concurrent use: the server runs one script at a
// time.
type runtime struct {
	L       *lua.LState
	globals *lua.LTable // the real globals
	env     *lua.LTable // what scripts see: a read-only proxy of globals
	real    map[*lua.LTable]*lua.LTable
	run     *Run    // the invocation in progress, nil between calls
	source  string  // "@user_script" or "@user_function"
	lrand   *uint64 // redisLrand48 state, shared by the EVAL and function interpreters
	errh    *lua.LFunction
	// baseToNumber is gopher-lua's tonumber, for bases other than 10.
	baseToNumber lua.LGFunction
	// Known answers redis.acl_check_cmd: does the command exist.
	Known func(args [][]byte) bool
	// loadLog receives redis.log lines while a library loads (no Run then).
	loadLog func(level int, msg string)
}

// libraries loaded into every runtime, under their global names.
var libraries = []struct {
	name string
	open lua.LGFunction
}{
	{lua.BaseLibName, lua.OpenBase},
	{lua.TabLibName, lua.OpenTable},
	{lua.StringLibName, lua.OpenString},
	{lua.MathLibName, lua.OpenMath},
	{lua.CoroutineLibName, lua.OpenCoroutine},
	{"cjson", openCjson},
	{"struct", openStruct},
	{"cmsgpack", openCmsgpack},
	{"bit", openBit},
}

// Globals that gopher-lua's base library adds and Redis's sandbox does not have.
var removedGlobals = []string{"dofile", "loadfile", "print", "_printregs", "module", "require", "_GOPHER_LUA_VERSION",
	"getfenv", "setfenv", "newproxy"}

func newRuntime(source string) *runtime {
	// Lua 5.1 allows about 200 nested C calls and LUAI_MAXCALLS 20000 Lua frames; a
	// deeper recursion is a "stack overflow" error, not a crash.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 20000, MinimizeStackMemory: true,
		RegistrySize: 1024 * 20, RegistryMaxSize: 1 << 22})
	seed := uint64(lrand48Init)
	r := &runtime{L: L, real: map[*lua.LTable]*lua.LTable{}, source: source, lrand: &seed}
	for _, lib := range libraries {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	r.globals = g
	for _, name := range removedGlobals {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	g.RawSetString("pcall", L.NewFunction(r.pcall))
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("next", L.NewFunction(r.next))
	g.RawSetString("pairs", L.NewFunction(r.pairs))
	g.RawSetString("rawget", L.NewFunction(r.rawget))
	g.RawSetString("rawset", L.NewFunction(r.rawset))
	g.RawSetString("loadstring", L.NewFunction(r.loadstring))
	g.RawSetString("error", L.NewFunction(luaErrorFn))
	r.baseToNumber = g.RawGetString("tonumber").(*lua.LFunction).GFunction
	g.RawSetString("tonumber", L.NewFunction(r.toNumber))
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(r.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(r.mathRandomseed))
	str := g.RawGetString("string").(*lua.LTable)
	str.RawSetString("dump", lua.LNil)
	str.RawSetString("rep", L.NewFunction(strRep))
	str.RawSetString("format", L.NewFunction(wrapFormat(str.RawGetString("format").(*lua.LFunction).GFunction)))
	g.RawGetString("table").(*lua.LTable).RawSetString("concat", L.NewFunction(tableConcat))
	math.RawSetString("huge", lua.LNumber(stdmath.Inf(1)))
	r.errh = L.NewFunction(r.errorHandler)
	r.registerConcatArg() // concat.go
	return r
}

// seal makes the globals read-only for scripts: env becomes a proxy whose reads of missing
// names fail ("Script attempted to access nonexistent global variable") and whose writes
// fail ("Attempt to modify a readonly table"), as are the library tables reachable from it.
func (r *runtime) seal(index lua.LValue) {
	L := r.L
	seen := map[*lua.LTable]*lua.LTable{}
	var proxy func(t *lua.LTable) *lua.LTable
	proxy = func(t *lua.LTable) *lua.LTable {
		if p, ok := seen[t]; ok {
			return p
		}
		p := L.NewTable()
		seen[t] = p
		var fix []lua.LValue
		t.ForEach(func(k, v lua.LValue) {
			if _, ok := v.(*lua.LTable); ok {
				fix = append(fix, k)
			}
		})
		for _, k := range fix {
			t.RawSet(k, proxy(t.RawGet(k).(*lua.LTable)))
		}
		mt := L.NewTable()
		mt.RawSetString("__index", t)
		mt.RawSetString("__newindex", L.NewFunction(readonlyError))
		mt.RawSetString("__metatable", lua.LFalse)
		p.Metatable = mt
		r.real[p] = t
		return p
	}
	g := r.globals
	var fix []lua.LValue
	g.ForEach(func(k, v lua.LValue) {
		if _, ok := v.(*lua.LTable); ok && v != g {
			fix = append(fix, k)
		}
	})
	for _, k := range fix {
		g.RawSet(k, proxy(g.RawGet(k).(*lua.LTable)))
	}
	env := L.NewTable()
	mt := L.NewTable()
	if index == nil {
		// env's __index is the globals table itself, whose own __index raises the
		// missing-global error: a global that exists is found without a Go call (as in
		// Redis, where _G holds the globals and only misses reach its metatable).
		gmt := L.NewTable()
		gmt.RawSetString("__index", L.NewFunction(r.globalIndex))
		g.Metatable = gmt
		index = g
	}
	mt.RawSetString("__index", index)
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	env.Metatable = mt
	r.real[env] = g
	g.RawSetString("_G", env)
	r.env = env
}

// globalIndex is the globals' __index: a missing global is an error in Redis's sandbox.
func (r *runtime) globalIndex(L *lua.LState) int {
	k := L.Get(2)
	v := r.globals.RawGet(k)
	if v == lua.LNil {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
	}
	L.Push(v)
	return 1
}

// luaErrorFn is Lua's error(): a number message gets a position like a string does.
// The position is that of the function at the level, none when it is a Go function.
func luaErrorFn(L *lua.LState) int {
	obj := L.Get(1)
	if n, ok := obj.(lua.LNumber); ok {
		obj = lua.LString(formatG14(float64(n)))
	}
	if msg, ok := obj.(lua.LString); ok {
		if level := L.OptInt(2, 1); level > 0 {
			if dbg, ok := L.GetStack(level); ok {
				if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
					obj = lua.LString(dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": " + string(msg))
				}
			}
		}
	}
	L.Error(obj, 0)
	return 0
}

// luaToNumber is Lua 5.1's tonumber: base 10 goes through strtod, which takes exponents,
// hex and surrounding spaces.
func (r *runtime) toNumber(L *lua.LState) int {
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil && L.CheckInt(2) != 10 {
		return r.baseToNumber(L)
	}
	switch v := L.CheckAny(1).(type) {
	case lua.LNumber:
		L.Push(v)
	case lua.LString:
		if f, ok := strtod(string(v)); ok {
			L.Push(lua.LNumber(f))
		} else {
			L.Push(lua.LNil)
		}
	default:
		L.Push(lua.LNil)
	}
	return 1
}

func strtod(s string) (float64, bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	if s == "" {
		return 0, false
	}
	neg := false
	t := s
	if t[0] == '-' || t[0] == '+' {
		neg, t = t[0] == '-', t[1:]
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		if neg {
			return -float64(n), true
		}
		return float64(n), true
	}
	if strings.ContainsRune(s, '_') {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// argError is luaL_argerror's text: "bad argument #n to 'fname' (msg)".
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// maxString bounds strings a script builds with string.rep: Lua's allocator would fail
// with "not enough memory" long before the machine runs out.
const maxString = 512 << 20

func strRep(L *lua.LState) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || str == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(len(str))*int64(n) > maxString {
		L.RaiseError("not enough memory")
	}
	L.Push(lua.LString(strings.Repeat(str, n)))
	return 1
}

func readonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// unproxy returns the table a read-only proxy stands for.
func (r *runtime) unproxy(t *lua.LTable) *lua.LTable {
	if real, ok := r.real[t]; ok {
		return real
	}
	return t
}

func (r *runtime) next(L *lua.LState) int {
	tb := r.unproxy(L.CheckTable(1))
	k, v := tb.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func (r *runtime) pairs(L *lua.LState) int {
	tb := L.CheckTable(1)
	L.Push(r.globals.RawGetString("next"))
	L.Push(tb)
	L.Push(lua.LNil)
	return 3
}

func (r *runtime) rawget(L *lua.LState) int {
	L.Push(r.unproxy(L.CheckTable(1)).RawGet(L.CheckAny(2)))
	return 1
}

func (r *runtime) rawset(L *lua.LState) int {
	tb := L.CheckTable(1)
	if _, ok := r.real[tb]; ok {
		// lua_rawset fails inside a C function: Lua adds no position to the message.
		L.Error(errTable(L, "ERR Attempt to modify a readonly table"), 0)
	}
	L.RawSet(tb, L.CheckAny(2), L.CheckAny(3))
	L.Push(tb)
	return 1
}

// loadstring compiles in the sandbox: the chunk sees the protected globals.
func (r *runtime) loadstring(L *lua.LState) int {
	src := L.CheckString(1)
	name := L.OptString(2, src)
	fn, err := r.load(strings.NewReader(src), chunkName(name))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(compileMessage(err, []byte(src))))
		return 2
	}
	fn.Env = r.env
	L.Push(fn)
	return 1
}

// chunkName is Lua's luaO_chunkid for a string chunk: [string "first line..."].
func chunkName(src string) string {
	line, _, cut := strings.Cut(src, "\n")
	if len(line) > 45 {
		line, cut = line[:45], true
	}
	if cut {
		return `[string "` + line + `..."]`
	}
	return `[string "` + line + `"]`
}

// pcall is Redis 7's: an error table with an err field is returned as its message.
func (r *runtime) pcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	if err := L.PCall(nargs, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		obj := errorObject(err)
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

func errorObject(err error) lua.LValue {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// errorHandler is Redis's __redis__err__handler: the error becomes a table {err, source,
// line} naming the place of the error (the caller's when a Go function raised it).
func (r *runtime) errorHandler(L *lua.LState) int {
	obj := L.Get(1)
	var t *lua.LTable
	if r.run != nil && r.run.killed.Load() {
		t = errTable(L, "ERR "+errKilled.Error())
	} else if tb, ok := obj.(*lua.LTable); ok {
		t = tb
	} else {
		raw := luaToStringValue(obj)
		msg := luaMessage(raw)
		if dbg, ok := L.GetStack(1); ok {
			if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What != "G" {
				msg = nameTypeError(L, dbg, msg, arithLHSFailed(raw)) // objname.go
			}
		}
		t = errTable(L, "ERR "+msg)
	}
	for level := 1; level < 4; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

func errTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// call runs fn with args under the error handler and returns its result, or the error
// reply text (without "-") built as luaCallFunction does.
func (r *runtime) call(run *Run, fn *lua.LFunction, args ...lua.LValue) (lua.LValue, string) {
	L := r.L
	done := run.killCh()
	run.proto = 2
	r.run = run
	L.SetContext(killCtx{context.Background(), run, done})
	defer func() {
		L.RemoveContext()
		r.run = nil
		L.SetTop(0)
	}()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), 1, r.errh); err != nil {
		return nil, r.errorReply(run, errorObject(err))
	}
	return L.Get(-1), ""
}

// errorReply formats a failed run's error object as Redis's reply text.
func (r *runtime) errorReply(run *Run, obj lua.LValue) string {
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := luaToStringValue(obj)
		if strings.Contains(msg, "callstack overflow") {
			// The handler itself could not run: the place of the overflow is lost; Lua
			// would name the recursing line, which is the first for one-line scripts.
			src := r.source
			return "ERR " + src[1:] + ":1: stack overflow script: " + run.Name + ", on " + src + ":1."
		}
		return "ERR Error running script " + run.Name + ", " + truncate(msg, 100)
	}
	msg := ""
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		msg = string(s)
	} else if n, ok := t.RawGetString("err").(lua.LNumber); ok {
		msg = luaToStringValue(n)
	}
	src, sok := t.RawGetString("source").(lua.LString)
	line := t.RawGetString("line")
	if sok && line != lua.LNil {
		msg += " script: " + run.Name + ", on " + string(src) + ":" + luaToStringValue(line) + "."
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Close releases the interpreter.
func (r *runtime) close() { r.L.Close() }
