package script

import (
	"regexp"
	"strings"
)

// gopher-lua words some runtime errors differently from Lua 5.1; Redis users see Lua's
// texts. Lua 5.1 also names the variable when it can ("global 'x'"), which gopher-lua
// does not track: the translations give Lua's anonymous form.
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
		if culprit == "number" || culprit == "string" {
			culprit = p[3]
		}
		return "attempt to perform arithmetic on a " + culprit + " value"
	})
	s = reIndex.ReplaceAllString(s, "attempt to index a $1 value")
	s = strings.Replace(s, "__len undefined", "attempt to get length of a nil value", 1)
	return reCallNF.ReplaceAllString(s, "attempt to call a nil value")
}
