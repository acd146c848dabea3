package script

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// RedisVersion and RedisVersionNum are redis.REDIS_VERSION and redis.REDIS_VERSION_NUM.
const (
	RedisVersion    = "7.0.15"
	RedisVersionNum = 0x0007000f
)

// SHA1Hex is the digest EVAL names scripts by (lowercase hex).
func SHA1Hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// redisTable builds the redis.* API table (luaRegisterRedisAPI).
func (r *runtime) redisTable() *lua.LTable {
	L := r.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":        func(L *lua.LState) int { return r.redisCall(L, true) },
		"pcall":       func(L *lua.LState) int { return r.redisCall(L, false) },
		"log":         r.redisLog,
		"setresp":     r.setResp,
		"sha1hex":     sha1hex,
		"error_reply": errorReply,
		"status_reply": func(L *lua.LState) int {
			if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
				L.Push(errorReplyTable(L, "wrong number or type of arguments"))
				return 1
			}
			L.Push(fieldTable(L, "ok", L.Get(1)))
			return 1
		},
		"set_repl":           r.setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      r.aclCheckCmd,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": RedisVersionNum,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	return t
}

// raise raises an error table as luaPushError + luaError do.
func raise(L *lua.LState, msg string) {
	L.Error(errorReplyTable(L, msg), 0)
}

// argv converts redis.call's arguments (luaArgsToRedisArgv): strings as they are, numbers
// as "%.17g"; anything else is an error.
func argv(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			args[i-1] = []byte(formatG17(float64(v)))
		case lua.LString:
			args[i-1] = []byte(v)
		default:
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
	}
	return args, ""
}

// formatG17 is C's "%.17g".
func formatG17(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

func (r *runtime) redisCall(L *lua.LState, raiseErr bool) int {
	run := r.run
	if run == nil {
		raise(L, "redis.call/pcall can only be called inside a script invocation")
	}
	args, bad := argv(L)
	if bad != "" {
		if raiseErr {
			raise(L, bad)
		}
		L.Push(errorReplyTable(L, bad))
		return 1
	}
	L.SetTop(0)
	reply, rejected := run.Call(args, run.proto)
	if rejected != "" {
		t := errorReplyTable(L, rejected)
		if raiseErr {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	v := replyToLua(L, reply)
	if raiseErr && len(reply) > 0 && reply[0] == '-' {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

func (r *runtime) redisLog(L *lua.LState) int {
	argc := L.GetTop()
	if argc < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); isStr {
			if f, err := strconv.ParseFloat(string(s), 64); err == nil {
				lv, ok = lua.LNumber(f), true
			}
		}
	}
	if !ok {
		raise(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < LogDebug || level > LogWarning {
		raise(L, "Invalid debug level.")
	}
	msg := ""
	for i := 2; i <= argc; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			if i != 2 {
				msg += " "
			}
			msg += string(v)
		case lua.LNumber:
			if i != 2 {
				msg += " "
			}
			msg += luaToStringValue(v)
		}
	}
	if r.run != nil && r.run.Log != nil {
		r.run.Log(level, msg)
	} else if r.loadLog != nil {
		r.loadLog(level, msg)
	}
	return 0
}

func (r *runtime) setResp(L *lua.LState) int {
	if r.run == nil {
		raise(L, "redis.setresp can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	n := int(luaNumber(L.Get(1)))
	if n != 2 && n != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	r.run.proto = n
	return 0
}

func (r *runtime) setRepl(L *lua.LState) int {
	if r.run == nil {
		raise(L, "redis.set_repl can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	f := int(luaNumber(L.Get(1)))
	if f&^3 != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0 // replication of scripts is by effects; the flag is accepted
}

// aclCheckCmd answers true for any known command: slotdb has only the default user.
func (r *runtime) aclCheckCmd(L *lua.LState) int {
	if r.run == nil {
		raise(L, "redis.acl_check_cmd can only be called inside a script invocation")
	}
	args, bad := argv(L)
	if bad != "" {
		raise(L, bad)
	}
	if r.Known != nil && !r.Known(args) {
		raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}

// luaNumber is lua_tonumber: numbers and numeric strings, else 0.
func luaNumber(v lua.LValue) float64 {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f
		}
	}
	return 0
}

func sha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	var b []byte
	switch v := L.Get(1).(type) {
	case lua.LString:
		b = []byte(v)
	case lua.LNumber:
		b = []byte(luaToStringValue(v))
	}
	L.Push(lua.LString(SHA1Hex(b)))
	return 1
}

func errorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(errorReplyTable(L, "wrong number or type of arguments"))
		return 1
	}
	s := string(L.Get(1).(lua.LString))
	if len(s) == 0 || s[0] != '-' {
		s = "-" + s
	}
	L.Push(errorReplyTable(L, s))
	return 1
}

// luaToString is tostring with Lua 5.1's number format ("%.14g").
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(luaToStringValue(n)))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

func luaToStringValue(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return formatG14(float64(n))
	}
	return v.String()
}

// formatG14 is Lua 5.1's LUA_NUMBER_FMT "%.14g".
func formatG14(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f: // glibc prints the sign: 0/0 is -nan on x86
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// redisLrand48 is Redis's rand.c: the 48-bit LCG of lrand48 with a fixed implementation.
// Its state starts as lrand48's (x = 0x1234ABCD330E) when the server starts and is never
// reseeded by Redis 7.0 except by math.randomseed.
func (r *runtime) lrand48() int32 {
	*r.lrand = (0x5DEECE66D**r.lrand + 0xB) & (1<<48 - 1)
	return int32(*r.lrand >> 17)
}

const lrand48Init = 0x1234ABCD330E

func (r *runtime) srand48(seed int32) { *r.lrand = uint64(uint32(seed))<<16 | 0x330E }

const lrand48Max = math.MaxInt32

func (r *runtime) mathRandom(L *lua.LState) int {
	if r.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	rv := float64(int64(r.lrand48())%lrand48Max) / float64(lrand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(rv))
	case 1:
		u := int(L.CheckNumber(1))
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(rv*float64(u)) + 1))
	case 2:
		l := int(L.CheckNumber(1))
		u := int(L.CheckNumber(2))
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(rv*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (r *runtime) mathRandomseed(L *lua.LState) int {
	if r.run == nil {
		L.RaiseError("math.randomseed can only be called inside a script invocation")
	}
	r.srand48(int32(int64(L.CheckNumber(1))))
	return 0
}
