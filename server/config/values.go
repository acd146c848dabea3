package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Value forms held per parameter type:
//   Bool: bool; Int/Octal/Memory/Percent: int64; Enum: int;
//   String: strVal; Special: see the special* types below.

type strVal struct {
	s    string
	null bool
}

type savePoint struct {
	Seconds int64
	Changes int32
}

type obufLimit struct {
	Hard, Soft  uint64
	SoftSeconds int32
}

type replicaOf struct {
	Host string
	Port int64
}

// Client classes of client-output-buffer-limit, in Redis's order.
var obufClasses = []string{"normal", "slave", "pubsub"}

const loadbufSize = 256 // Redis formats some errors into a 256-byte buffer

func truncErr(s string) string {
	if len(s) > loadbufSize-1 {
		return s[:loadbufSize-1]
	}
	return s
}

// parseNumeric is numericParseString + numericBoundaryCheck.
func parseNumeric(p *Param, v string) (int64, string) {
	var ll int64
	ok := false
	if p.Type == Memory || p.Type == Percent {
		if u, err := ParseMemory(v); err == nil {
			ll, ok = int64(u), true
		}
	}
	if !ok && p.Type == Percent && len(v) > 1 && v[len(v)-1] == '%' {
		if x, good := string2ll(v[:len(v)-1]); good && x >= 0 {
			ll, ok = -x, true
		}
	}
	if !ok && p.Type == Octal {
		if x, good := strtoll8(v); good {
			ll, ok = x, true
		}
	}
	if !ok && p.Type == Int {
		ll, ok = string2ll(v)
	}
	if !ok {
		switch p.Type {
		case Percent:
			return 0, "argument must be a memory or percent value"
		case Memory:
			return 0, "argument must be a memory value"
		case Octal:
			return 0, "argument couldn't be parsed as an octal number"
		}
		return 0, "argument couldn't be parsed into an integer"
	}
	if p.Has(Unsigned) {
		u, lo, hi := uint64(ll), uint64(p.Min), uint64(p.Max)
		if u > hi || u < lo {
			if p.Type == Octal {
				return 0, "argument must be between " + strconv.FormatUint(lo, 8) + " and " + strconv.FormatUint(hi, 8) + " inclusive"
			}
			return 0, "argument must be between " + strconv.FormatUint(lo, 10) + " and " + strconv.FormatUint(hi, 10) + " inclusive"
		}
	} else if p.Type == Percent && ll < 0 {
		if ll < p.Min {
			return 0, "percentage argument must be less or equal to " + strconv.FormatInt(-p.Min, 10)
		}
	} else if ll > p.Max || ll < p.Min {
		return 0, "argument must be between " + strconv.FormatInt(p.Min, 10) + " and " + strconv.FormatInt(p.Max, 10) + " inclusive"
	}
	return ll, ""
}

// strtoll8 is strtoll(s, &end, 8) with errno == 0 and *end == '\0'.
func strtoll8(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		sign, t = t[:1], t[1:]
	}
	if t == "" {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '7' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(sign+t, 8, 64)
	return v, err == nil
}

func formatNumeric(p *Param, v int64) string {
	switch {
	case p.Type == Percent && v < 0:
		return strconv.FormatInt(-v, 10) + "%"
	case p.Type == Memory || p.Type == Percent:
		return strconv.FormatUint(uint64(v), 10)
	case p.Type == Octal:
		return strconv.FormatUint(uint64(v), 8)
	}
	return strconv.FormatInt(v, 10)
}

// enumValue is configEnumGetValue: several names only for bit-flag enums.
func enumValue(p *Param, args []string) (int, string) {
	multi := p.Has(MultiArg)
	bad := len(args) == 0 || (!multi && len(args) != 1)
	val := 0
	for _, a := range args {
		if bad {
			break
		}
		matched := false
		for _, ev := range p.Enum {
			if strings.EqualFold(a, ev.Name) {
				val |= ev.Value
				matched = true
			}
		}
		bad = !matched
	}
	if bad {
		names := make([]string, len(p.Enum))
		for i, ev := range p.Enum {
			names[i] = ev.Name
		}
		return 0, truncErr("argument(s) must be one of the following: " + strings.Join(names, ", "))
	}
	if strings.HasPrefix(p.Name, "shutdown-on-sig") && val&1 != 0 && val&2 != 0 {
		return 0, "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	return val, ""
}

// enumName is configEnumGetName: an exact value first, else the bit flags
// that compose it, else "unknown".
func enumName(p *Param, v int) string {
	var names []string
	unmatched := v
	for _, ev := range p.Enum {
		if ev.Value == v {
			return ev.Name
		}
		if p.Has(MultiArg) && ev.Value != 0 && unmatched&ev.Value == ev.Value {
			names = append(names, ev.Name)
			unmatched &^= ev.Value
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// validString runs the is_valid_fn config.c attaches to some strings.
func (c *Config) validString(p *Param, v string) string {
	switch p.Name {
	case "dbfilename":
		if strings.Contains(v, "/") {
			return "dbfilename can't be a path, just a filename"
		}
	case "appendfilename":
		if v == "" {
			return "appendfilename can't be empty"
		}
		if strings.Contains(v, "/") {
			return "appendfilename can't be a path, just a filename"
		}
	case "appenddirname":
		if v == "" {
			return "appenddirname can't be empty"
		}
		if strings.Contains(v, "/") {
			return "appenddirname can't be a path, just a dirname"
		}
	case "cluster-announce-hostname":
		if len(v) >= 256 {
			return "Hostnames must be less than 256 characters"
		}
		for i := 0; i < len(v); i++ {
			ch := v[i]
			if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
				return "Hostnames may only contain alphanumeric characters, hyphens or dots"
			}
		}
	case "proc-title-template":
		if !c.validProcTitle(v) {
			return "template format is invalid or contains unknown variables"
		}
	}
	return ""
}

// validProcTitle is validateProcTitleTemplate: the template expands (with an
// empty title) to something that is not blank.
func (c *Config) validProcTitle(t string) bool {
	var out strings.Builder
	for p := t; p != ""; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		p = p[i+1:]
		if p == "" {
			return false
		}
		if p[0] == '{' {
			out.WriteByte('{')
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 {
			return false
		}
		switch p[:j] {
		case "title":
		case "listen-addr", "port", "tls-port":
			out.WriteString("x") // never empty in Redis
		case "server-mode":
			if c.lookup("cluster-enabled").v.(bool) {
				out.WriteString("[cluster]")
			}
		case "unixsocket":
			out.WriteString(c.lookup("unixsocket").v.(strVal).s)
		case "config-file":
			out.WriteString(c.file)
		default:
			return false
		}
		p = p[j+1:]
	}
	return strings.Trim(out.String(), " ") != ""
}

// strerror gives C's text for an errno (Go's table is C's, lower-cased).
func strerror(err error) string {
	var en syscall.Errno
	switch x := err.(type) {
	case *os.PathError:
		return strerror(x.Err)
	case *os.LinkError:
		return strerror(x.Err)
	case *os.SyscallError:
		return strerror(x.Err)
	case syscall.Errno:
		en = x
	default:
		return err.Error()
	}
	s := en.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-32) + s[1:]
	}
	return s
}

// resolveDir checks that dir exists and is a directory as chdir(2) would,
// and returns the absolute path getcwd(3) would then report.
func resolveDir(cwd, dir string) (string, string) {
	path := dir
	if !filepath.IsAbs(path) {
		path = filepath.Join(cwd, path)
	}
	if dir == "" {
		return "", "No such file or directory"
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", strerror(err)
	}
	if !st.IsDir() {
		return "", "Not a directory"
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return filepath.Clean(path), ""
}
