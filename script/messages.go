package script

import (
	"regexp"
	"strings"
)

// gopher-lua words some runtime errors differently from Lua 5.1; Redis users see Lua's
// texts. The translations give Lua's anonymous form; the error handler then adds the
// variable's name where Lua 5.1 would ("global 'x'", objname.go).
var (
	reArith  = regexp.MustCompile(`cannot perform (\w+) operation between (\w+) and (\w+)`)
	reIndex  = regexp.MustCompile(`attempt to index a non-table object\((\w+)\) with key '.*'`)
	reCallNF = regexp.MustCompile(`attempt to call a non-function object`)
)

func luaMessage(s string) string {
	if !strings.Contains(s, "attempt to") && !strings.Contains(s, "cannot perform") && !strings.Contains(s, "__len") {
		return s
	}
	s = reArith.ReplaceAllStringFunc(s, func(m string) string {
		p := reArith.FindStringSubmatch(m)
		culprit := p[2]
		if p[1] == "concat" {
			if culprit == "string" || culprit == "number" {
				culprit = p[3]
			}
			return "attempt to concatenate a " + culprit + " value"
		}
		if !arithLHS(p[2], p[3]) {
			culprit = p[3]
		}
		return "attempt to perform arithmetic on a " + culprit + " value"
	})
	s = reIndex.ReplaceAllString(s, "attempt to index a $1 value")
	s = strings.Replace(s, "__len undefined", "attempt to get length of a nil value", 1)
	return reCallNF.ReplaceAllString(s, "attempt to call a nil value")
}

// arithLHSFailed reports whether a gopher-lua arithmetic error blames its left operand, as
// luaMessage reads it.
func arithLHSFailed(s string) bool {
	p := reArith.FindStringSubmatch(s)
	return p != nil && p[1] != "concat" && arithLHS(p[2], p[3])
}

// arithLHS is luaG_aritherror's choice, from the operand types alone: the left operand unless
// it is a number, or a string beside a non-number (taken to be numeric: the types do not
// tell "1" from "a").
func arithLHS(lhs, rhs string) bool {
	return lhs != "number" && (lhs != "string" || rhs == "number" || rhs == "string")
}
