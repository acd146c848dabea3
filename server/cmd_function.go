package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/slotdb/slotdb/rdb"
	"github.com/slotdb/slotdb/script"
)

// Functions (Redis 7.0's functions.c): FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/
// KILL and FCALL. Libraries live in memory and, as a FUNCTION DUMP payload, in the store's
// node-local marker "functions", so a restart keeps them.

func init() {
	register("fcall", cmdFcall)
	register("fcall_ro", cmdFcall)
	register("function|load", cmdFunctionLoad)
	register("function|list", cmdFunctionList)
	register("function|delete", cmdFunctionDelete)
	register("function|flush", cmdFunctionFlush)
	register("function|dump", cmdFunctionDump)
	register("function|restore", cmdFunctionRestore)
	register("function|stats", cmdFunctionStats)
	register("function|kill", cmdFunctionKill)
	register("function|help", cmdFunctionHelp)
}

const functionsMarker = "functions"

// loadSavedFunctions restores the libraries saved in the store (at first use).
func (s *Server) loadSavedFunctions() {
	if s.eng == nil {
		return
	}
	payload, ok, err := s.eng.Marker(functionsMarker)
	if err != nil {
		s.log.Warn("Reading saved functions: " + err.Error())
		return
	}
	if !ok {
		return
	}
	codes, err := parseFunctionsDump(payload)
	if err == nil {
		err = s.scr.funcs.Restore(codes, script.RestoreFlush)
	}
	if err != nil {
		s.log.Warn("Loading saved functions: " + err.Error())
	}
}

// saveFunctions writes the libraries to the store after a change.
func (s *Server) saveFunctions() {
	if s.eng == nil {
		return
	}
	var payload []byte
	if codes := s.scr.funcs.Codes(); len(codes) > 0 {
		payload = functionsDump(codes)
	}
	if err := s.eng.SetMarker(functionsMarker, payload); err != nil {
		s.log.Warn("Saving functions: " + err.Error())
	}
}

// functionsDump is FUNCTION DUMP's payload: FUNCTION2 records, RDB version, CRC64.
func functionsDump(codes []string) []byte {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.DumpVersion)
	for _, code := range codes {
		w.WriteFunction([]byte(code))
	}
	w.Close()
	b := buf.Bytes()
	out := append([]byte(nil), b[9:len(b)-9]...) // without header, EOF and checksum
	out = binary.LittleEndian.AppendUint16(out, rdb.DumpVersion)
	return binary.LittleEndian.AppendUint64(out, rdb.CRC64(0, out))
}

var errFunctionPayload = errors.New("DUMP payload version or checksum are wrong")

// parseFunctionsDump checks a payload as verifyDumpPayload and returns the library codes.
func parseFunctionsDump(p []byte) ([]string, error) {
	n := len(p)
	if n < 10 {
		return nil, errFunctionPayload
	}
	if binary.LittleEndian.Uint16(p[n-10:]) > rdb.DumpVersion ||
		binary.LittleEndian.Uint64(p[n-8:]) != rdb.CRC64(0, p[:n-8]) {
		return nil, errFunctionPayload
	}
	body := p[:n-10]
	file := append([]byte("REDIS0010"), body...)
	file = append(file, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	r := rdb.NewReader(bytes.NewReader(file))
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.New("can not read data type")
		}
		if e != nil {
			return nil, errors.New("given type is not a function")
		}
	}
	var codes []string
	for _, f := range r.Functions() {
		codes = append(codes, string(f))
	}
	return codes, nil
}

func cmdFcall(c *Client, args [][]byte) {
	ro := eqFold(args[0], "fcall_ro")
	sc := c.s.scripts()
	fn := sc.funcs.Get(string(args[1]))
	if fn == nil {
		c.w.Error("ERR Function not found")
		return
	}
	nk, ok := numKeys(c, args[2], len(args)-3, true)
	if !ok {
		return
	}
	if !c.s.scriptAllowed(c, fn.Flags, ro) {
		return
	}
	keys, argv := args[3:3+nk], args[3+nk:]
	c.s.runScript(c, false, fn.Name, args, keys, fn.Flags, ro, func(run *script.Run) {
		sc.funcs.Call(fn, run, keys, argv, &c.w)
	})
}

func cmdFunctionLoad(c *Client, args [][]byte) {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if eqFold(args[i], "replace") {
			replace = true
			continue
		}
		c.w.Error("ERR Unknown option given: " + string(cString(args[i])))
		return
	}
	if i != len(args)-1 {
		c.w.Error("ERR Function code is missing")
		return
	}
	sc := c.s.scripts()
	name, err := sc.funcs.Load(string(args[i]), replace)
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.s.saveFunctions()
	c.s.propagateArgv(-1, args) // replicas load it too: propagate.go
	c.w.BulkString(name)
}

func cmdFunctionList(c *Client, args [][]byte) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case !withCode && eqFold(args[i], "withcode"):
			withCode = true
		case pattern == nil && eqFold(args[i], "libraryname"):
			if i >= len(args)-1 {
				c.w.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern = args[i]
		default:
			c.w.Error("ERR Unknown argument " + string(cString(args[i])))
			return
		}
	}
	var libs []*script.Library
	for _, l := range c.s.scripts().funcs.Libraries() {
		if pattern == nil || stringMatch(pattern, []byte(l.Name), true) {
			libs = append(libs, l)
		}
	}
	c.w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.w.Map(4)
		} else {
			c.w.Map(3)
		}
		c.w.BulkString("library_name")
		c.w.BulkString(l.Name)
		c.w.BulkString("engine")
		c.w.BulkString("LUA")
		c.w.BulkString("functions")
		fns := l.SortedFunctions()
		c.w.Array(len(fns))
		for _, f := range fns {
			c.w.Map(3)
			c.w.BulkString("name")
			c.w.BulkString(f.Name)
			c.w.BulkString("description")
			if f.HasDesc {
				c.w.BulkString(f.Description)
			} else {
				c.w.Null()
			}
			c.w.BulkString("flags")
			flags := f.Flags.List()
			c.w.Set(len(flags))
			for _, fl := range flags {
				c.w.Simple(fl) // status replies, as Redis's addReplyStatus
			}
		}
		if withCode {
			c.w.BulkString("library_code")
			c.w.BulkString(l.Code)
		}
	}
}

func cmdFunctionDelete(c *Client, args [][]byte) {
	if !c.s.scripts().funcs.Delete(string(args[2])) {
		c.w.Error("ERR Library not found")
		return
	}
	c.s.saveFunctions()
	c.s.propagateArgv(-1, args)
	c.w.OK()
}

func cmdFunctionFlush(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async")) {
		c.w.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.s.scripts().funcs.Flush()
	c.s.saveFunctions()
	c.s.propagateArgv(-1, args)
	c.w.OK()
}

func cmdFunctionDump(c *Client, args [][]byte) {
	c.w.Bulk(functionsDump(c.s.scripts().funcs.Codes()))
}

func cmdFunctionRestore(c *Client, args [][]byte) {
	policy := script.RestoreAppend
	if len(args) > 4 {
		c.w.Error("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.")
		return
	}
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "append"):
		case eqFold(args[3], "replace"):
			policy = script.RestoreReplace
		case eqFold(args[3], "flush"):
			policy = script.RestoreFlush
		default:
			c.w.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	codes, err := parseFunctionsDump(args[2])
	if err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	if err := c.s.scripts().funcs.Restore(codes, policy); err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	c.s.saveFunctions()
	c.s.propagateArgv(-1, args)
	c.w.OK()
}

func cmdFunctionStats(c *Client, args [][]byte) {
	sc := c.s.scripts()
	c.w.Map(2)
	c.w.BulkString("running_script")
	if r := sc.running.Load(); r == nil {
		c.w.Null()
	} else {
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(r.name)
		c.w.BulkString("command")
		c.w.Array(len(r.args))
		for _, a := range r.args {
			c.w.Bulk(a)
		}
		c.w.BulkString("duration_ms")
		c.w.Int(time.Since(r.start).Milliseconds())
	}
	c.w.BulkString("engines")
	c.w.Map(1)
	c.w.BulkString("LUA")
	libs, funcs := sc.funcs.Counts()
	c.w.Map(2)
	c.w.BulkString("libraries_count")
	c.w.Int(int64(libs))
	c.w.BulkString("functions_count")
	c.w.Int(int64(funcs))
}

func cmdFunctionKill(c *Client, args [][]byte) { c.s.killScript(c, false) }

func cmdFunctionHelp(c *Client, args [][]byte) {
	text := `FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
LOAD [REPLACE] <FUNCTION CODE>
    Create a new library with the given library name and code.
DELETE <LIBRARY NAME>
    Delete the given library.
LIST [LIBRARYNAME PATTERN] [WITHCODE]
    Return general information on all the libraries:
    * Library name
    * The engine used to run the Library
    * Library description
    * Functions list
    * Library code (if WITHCODE is given)
    It also possible to get only function that matches a pattern using LIBRARYNAME argument.
STATS
    Return information about the current function running:
    * Function name
    * Command used to run the function
    * Duration in MS that the function is running
    If no function is running, return nil
    In addition, returns a list of available engines.
KILL
    Kill the current running function.
FLUSH [ASYNC|SYNC]
    Delete all the libraries.
    When called without the optional mode argument, the behavior is determined by the
    lazyfree-lazy-user-flush configuration directive. Valid modes are:
    * ASYNC: Asynchronously flush the libraries.
    * SYNC: Synchronously flush the libraries.
DUMP
    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command
RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]
    Restore the libraries represented by the given payload, it is possible to give a restore policy to
    control how to handle existing libraries (default APPEND):
    * FLUSH: delete all existing libraries.
    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.
    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old
      libraries with the new libraries (notice that even on this option there is a chance of failure
      in case of functions name collision with another library).
HELP
    Prints this help.`
	lines := strings.Split(text, "\n")
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Simple(l)
	}
}
