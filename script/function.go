package script

import (
	"context"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/slotdb/slotdb/server/resp"
)

// Function is one registered function (redis.register_function).
type Function struct {
	Name        string
	Description string // "" when none was given
	HasDesc     bool
	Flags       Flags
	Library     *Library
	fn          *lua.LFunction
}

// Library is one loaded library (FUNCTION LOAD).
type Library struct {
	Name      string
	Code      string
	Functions map[string]*Function
}

// SortedFunctions returns the library's functions by name.
func (l *Library) SortedFunctions() []*Function {
	out := make([]*Function, 0, len(l.Functions))
	for _, f := range l.Functions {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Functions holds the function libraries and their interpreter (functions.c,
// function_lua.c).
type Functions struct {
	rt    *runtime
	libs  map[string]*Library
	funcs map[string]*Function

	loading  *Library // the library whose code runs now (register_function)
	loadEnv  *lua.LTable
	loadLogf func(level int, msg string)
}

// NewFunctions starts the functions' interpreter. rand is the generator math.random shares
// with EVAL (Redis has one for both); log receives redis.log lines of library code.
func NewFunctions(known func(args [][]byte) bool, log func(level int, msg string)) *Functions {
	f := &Functions{libs: map[string]*Library{}, funcs: map[string]*Function{}, loadLogf: log}
	f.rt = f.newRuntime(known)
	return f
}

func (f *Functions) newRuntime(known func(args [][]byte) bool) *runtime {
	rt := newRuntime("@user_function")
	rt.Known = known
	rt.loadLog = f.loadLogf
	L := rt.L
	redis := rt.redisTable()
	redis.RawSetString("register_function", lua.LNil)
	rt.globals.RawSetString("redis", redis)
	// While a library loads, its code sees only redis.register_function, redis.log and the
	// version fields; everything else is a missing global.
	loadRedis := L.NewTable()
	for _, k := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		loadRedis.RawSetString(k, redis.RawGetString(k))
	}
	loadRedis.RawSetString("register_function", L.NewFunction(f.registerFunction))
	f.loadEnv = L.NewTable()
	f.loadEnv.RawSetString("redis", protectStrict(rt, loadRedis))
	index := L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		src := rt.globals
		if f.loading != nil {
			src = f.loadEnv
		}
		v := src.RawGet(k)
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		L.Push(v)
		return 1
	})
	rt.seal(index)
	return rt
}

// protectStrict wraps t in a read-only proxy whose missing fields are errors.
func protectStrict(rt *runtime, t *lua.LTable) *lua.LTable {
	L := rt.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		v := t.RawGet(k)
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		L.Push(v)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	mt.RawSetString("__metatable", lua.LFalse)
	p.Metatable = mt
	rt.real[p] = t
	return p
}

// Get finds a function by name.
func (f *Functions) Get(name string) *Function { return f.funcs[name] }

// Library finds a library by name.
func (f *Functions) Library(name string) *Library { return f.libs[name] }

// Libraries returns the libraries by name.
func (f *Functions) Libraries() []*Library {
	out := make([]*Library, 0, len(f.libs))
	for _, l := range f.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Counts returns the number of libraries and functions (FUNCTION STATS).
func (f *Functions) Counts() (libs, funcs int) { return len(f.libs), len(f.funcs) }

// Flush drops every library and restarts the interpreter.
func (f *Functions) Flush() {
	known, rand := f.rt.Known, f.rt.lrand
	f.rt.close()
	f.rt = f.newRuntime(known)
	f.rt.lrand = rand
	f.libs = map[string]*Library{}
	f.funcs = map[string]*Function{}
}

// Delete drops a library.
func (f *Functions) Delete(name string) bool {
	l := f.libs[name]
	if l == nil {
		return false
	}
	f.unlink(l)
	return true
}

func (f *Functions) unlink(l *Library) {
	delete(f.libs, l.Name)
	for name := range l.Functions {
		delete(f.funcs, name)
	}
}

func (f *Functions) link(l *Library) {
	f.libs[l.Name] = l
	for name, fn := range l.Functions {
		f.funcs[name] = fn
	}
}

// validName is functionsVerifyName: letters, digits and '_', at least one.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || isAlnum(c)) {
			return false
		}
	}
	return true
}

// parseMeta is functionExtractLibMetaData: "#!<engine> name=<lib>" on the first line.
func parseMeta(code string) (engine, name, rest string, err error) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "", Error("ERR Missing library metadata")
	}
	end := strings.IndexByte(code, '\n')
	if end < 0 {
		return "", "", "", Error("ERR Invalid library metadata")
	}
	parts, ok := resp.SplitArgs([]byte(code[:end]))
	if !ok || len(parts) == 0 {
		return "", "", "", Error("ERR Invalid library metadata")
	}
	engine = string(parts[0][2:])
	gotName := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(string(p[:5]), "name=") {
			if gotName {
				return "", "", "", Error("ERR Invalid metadata value, name argument was given multiple times")
			}
			name, gotName = string(p[5:]), true
			continue
		}
		return "", "", "", Error("ERR Invalid metadata value given: " + cstr(p))
	}
	if !gotName {
		return "", "", "", Error("ERR Library name was not given")
	}
	return engine, name, code[end:], nil
}

// compile runs a library's code so it registers its functions; nothing is linked.
func (f *Functions) compile(code string) (*Library, error) {
	engine, name, rest, err := parseMeta(code)
	if err != nil {
		return nil, err
	}
	if !validName(name) {
		return nil, Error("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, Error("ERR Engine '" + cstr([]byte(engine)) + "' not found")
	}
	rt := f.rt
	fn, cerr := rt.load(strings.NewReader(rest), "user_function")
	if cerr != nil {
		return nil, Error("ERR Error compiling function: " + compileMessage(cerr, []byte(rest)))
	}
	fn.Env = rt.env
	lib := &Library{Name: name, Code: code, Functions: map[string]*Function{}}
	f.loading = lib
	run := &Run{Name: name}
	_, msg := f.loadCall(run, fn)
	f.loading = nil
	if msg != "" {
		return nil, Error("ERR Error registering functions: " + msg)
	}
	if len(lib.Functions) == 0 {
		return nil, Error("ERR No functions registered")
	}
	return lib, nil
}

// loadTimeout is LOAD_TIMEOUT_MS: library code that runs longer is stopped.
const loadTimeout = 500 * time.Millisecond

// loadCall runs library code: errors are reported by their message only.
func (f *Functions) loadCall(run *Run, fn *lua.LFunction) (lua.LValue, string) {
	rt := f.rt
	L := rt.L
	done := run.killCh()
	timer := time.AfterFunc(loadTimeout, run.Kill)
	L.SetContext(killCtx{context.Background(), run, done})
	defer func() {
		timer.Stop()
		L.RemoveContext()
		L.SetTop(0)
	}()
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		if run.Killed() {
			return nil, "ERR FUNCTION LOAD timeout"
		}
		obj := errorObject(err)
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				return nil, string(s)
			}
			return nil, "ERR " + luaToStringValue(obj)
		}
		return nil, "ERR " + luaToStringValue(obj)
	}
	return nil, ""
}

// Load loads a library (FUNCTION LOAD [REPLACE]) and returns its name.
func (f *Functions) Load(code string, replace bool) (string, error) {
	engine, name, _, err := parseMeta(code)
	if err != nil {
		return "", err
	}
	if !validName(name) {
		return "", Error("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if !strings.EqualFold(engine, "lua") {
		return "", Error("ERR Engine '" + cstr([]byte(engine)) + "' not found")
	}
	old := f.libs[name]
	if old != nil && !replace {
		return "", Error("ERR Library '" + name + "' already exists")
	}
	lib, err := f.compile(code)
	if err != nil {
		return "", err
	}
	if old != nil {
		f.unlink(old)
	}
	for fname := range lib.Functions {
		if f.funcs[fname] != nil {
			if old != nil {
				f.link(old)
			}
			return "", Error("ERR Function " + fname + " already exists")
		}
	}
	f.link(lib)
	return lib.Name, nil
}

// registerFunction is redis.register_function (luaRegisterFunction).
func (f *Functions) registerFunction(L *lua.LState) int {
	lib := f.loading
	if lib == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var name lua.LValue = lua.LNil
	var cb lua.LValue = lua.LNil
	var flagsV lua.LValue = lua.LNil
	var desc lua.LValue = lua.LNil
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				bad = "named argument key given to redis.register_function is not a string"
				return
			}
			switch string(ks) {
			case "function_name":
				if name = luaStringish(v); name == lua.LNil {
					bad = "function_name argument given to redis.register_function must be a string"
				}
			case "callback":
				if _, ok := v.(*lua.LFunction); !ok {
					bad = "callback argument given to redis.register_function must be a function"
				}
				cb = v
			case "flags":
				if _, ok := v.(*lua.LTable); !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
				} else if _, ok := readFlags(v.(*lua.LTable)); !ok {
					bad = "unknown flag given"
				}
				flagsV = v
			case "description":
				if desc = luaStringish(v); desc == lua.LNil {
					bad = "description argument given to redis.register_function must be a string"
				}
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			raise(L, bad)
		}
		if name == lua.LNil {
			raise(L, "redis.register_function must get a function name argument")
		}
		if _, ok := cb.(*lua.LFunction); !ok {
			raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		name, cb = luaStringish(L.Get(1)), L.Get(2)
		if name == lua.LNil {
			raise(L, "first argument to redis.register_function must be a string")
		}
		if _, ok := cb.(*lua.LFunction); !ok {
			raise(L, "second argument to redis.register_function must be a function")
		}
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	fn := &Function{Name: string(name.(lua.LString)), Library: lib, fn: cb.(*lua.LFunction)}
	if desc != lua.LNil {
		fn.Description, fn.HasDesc = string(desc.(lua.LString)), true
	}
	if t, ok := flagsV.(*lua.LTable); ok {
		fn.Flags, _ = readFlags(t)
	}
	if !validName(fn.Name) {
		// Redis 7.0 words a bad function name as a bad library name.
		raise(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if lib.Functions[fn.Name] != nil {
		raise(L, "Function already exists in the library")
	}
	lib.Functions[fn.Name] = fn
	return 0
}

// luaStringish is luaGetStringSds: strings and numbers as a string, else nil.
func luaStringish(v lua.LValue) lua.LValue {
	switch v := v.(type) {
	case lua.LString:
		return v
	case lua.LNumber:
		return lua.LString(luaToStringValue(v))
	}
	return lua.LNil
}

// readFlags is luaRegisterFunctionReadFlags: an array of flag names, case-insensitive.
func readFlags(t *lua.LTable) (Flags, bool) {
	var flags Flags
	for i := 1; ; i++ {
		v := luaStringish(t.RawGetInt(i))
		if t.RawGetInt(i) == lua.LNil {
			return flags, true
		}
		if v == lua.LNil {
			return 0, false
		}
		fl, ok := flagByName(strings.ToLower(string(v.(lua.LString))))
		if !ok {
			return 0, false
		}
		flags |= fl
	}
}

// Call runs a function with its keys and arguments and writes the reply to w.
func (f *Functions) Call(fn *Function, run *Run, keys, args [][]byte, w *resp.Writer) {
	rt := f.rt
	if run.Name == "" {
		run.Name = fn.Name
	}
	v, errMsg := rt.call(run, fn.fn, stringArray(rt.L, keys), stringArray(rt.L, args))
	if errMsg != "" {
		w.Error(errMsg)
		return
	}
	writeReply(w, v, run.proto, 0)
}

// Codes returns every library's code, by library name (FUNCTION DUMP, persistence).
func (f *Functions) Codes() []string {
	var out []string
	for _, l := range f.Libraries() {
		out = append(out, l.Code)
	}
	return out
}

// Restore policies of FUNCTION RESTORE.
const (
	RestoreAppend = iota
	RestoreReplace
	RestoreFlush
)

// Restore loads libraries from their codes with a policy (functionRestoreCommand): all or
// nothing.
func (f *Functions) Restore(codes []string, policy int) error {
	// Compile everything first in a scratch set so that a failure changes nothing.
	fresh := map[string]*Library{}
	freshFuncs := map[string]*Function{}
	for _, code := range codes {
		lib, err := f.compile(code)
		if err != nil {
			return Error(strings.TrimPrefix(err.Error(), "ERR "))
		}
		if fresh[lib.Name] != nil {
			return Error("Library " + lib.Name + " already exists")
		}
		for name := range lib.Functions {
			if freshFuncs[name] != nil {
				return Error("Function " + name + " already exists")
			}
			freshFuncs[name] = lib.Functions[name]
		}
		fresh[lib.Name] = lib
	}
	if policy == RestoreFlush {
		f.libs = map[string]*Library{}
		f.funcs = map[string]*Function{}
		for _, l := range fresh {
			f.link(l)
		}
		return nil
	}
	// libraryJoin: conflicts are checked before anything moves.
	var replaced []*Library
	for name := range fresh {
		if old := f.libs[name]; old != nil {
			if policy != RestoreReplace {
				return Error("Library " + name + " already exists")
			}
			replaced = append(replaced, old)
		}
	}
	for _, old := range replaced {
		f.unlink(old)
	}
	for fname := range freshFuncs {
		if f.funcs[fname] != nil {
			for _, old := range replaced {
				f.link(old)
			}
			return Error("Function " + fname + " already exists")
		}
	}
	for _, l := range fresh {
		f.link(l)
	}
	return nil
}
