package difftest

import "strconv"

// FamilyLists draws list commands (t_list.c): pushes, pops with counts, index/set/range/trim,
// LINSERT/LREM/LPOS with their options, moves and LMPOP, and the blocking forms with data
// present or a short timeout (never 0: a random stream has no second client to serve it).
// Its keys are the shared ones, and it sets strings itself, so lists meet wrong types.
const FamilyLists Family = "lists"

func init() { familyGens[FamilyLists] = listGens }

// listValue favours a few short values so that LREM, LPOS and LINSERT find matches.
func (g *Generator) listValue() string {
	if g.chance(5) {
		return g.value()
	}
	return g.pick("a", "b", "c", "1", "2")
}

func (g *Generator) listValues(min, max int) []string {
	n := min + g.rng.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.listValue()
	}
	return out
}

func (g *Generator) listIndex() string {
	if g.chance(8) {
		return g.pick("x", "9223372036854775807", "-9223372036854775808", "", "1.5")
	}
	return strconv.Itoa(g.rng.IntN(16) - 8)
}

func (g *Generator) listWhere() string {
	if g.chance(15) {
		return g.pick("MIDDLE", "")
	}
	return g.pick("LEFT", "RIGHT", "left")
}

func (g *Generator) listTimeout() string {
	if g.chance(4) {
		return g.pick("-1", "x", "nan", "inf", "-0.5")
	}
	return g.pick("0.01", "0.02")
}

func (g *Generator) listCount() string {
	if g.chance(6) {
		return g.pick("0", "-1", "x", "9223372036854775807")
	}
	return strconv.Itoa(1 + g.rng.IntN(4))
}

var listGens = []func(*Generator) []string{
	func(g *Generator) []string {
		return cmd(g.pick("LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), one(g.key()), g.listValues(1, 4))
	},
	func(g *Generator) []string {
		c := one(g.pick("LPOP", "RPOP"), g.key())
		if g.chance(2) {
			c = append(c, g.listCount())
		}
		return c
	},
	func(g *Generator) []string { return one("LLEN", g.key()) },
	func(g *Generator) []string { return one("LINDEX", g.key(), g.listIndex()) },
	func(g *Generator) []string { return one("LSET", g.key(), g.listIndex(), g.listValue()) },
	func(g *Generator) []string { return one("LRANGE", g.key(), g.listIndex(), g.listIndex()) },
	func(g *Generator) []string { return one("LTRIM", g.key(), g.listIndex(), g.listIndex()) },
	func(g *Generator) []string {
		return one("LINSERT", g.key(), g.pick("BEFORE", "AFTER", "after", "MIDDLE"), g.listValue(), g.listValue())
	},
	func(g *Generator) []string { return one("LREM", g.key(), g.listIndex(), g.listValue()) },
	func(g *Generator) []string {
		c := one("LPOS", g.key(), g.listValue())
		for range g.rng.IntN(3) {
			switch g.rng.IntN(3) {
			case 0:
				c = append(c, "RANK", g.pick("1", "2", "-1", "-2", "0", "x"))
			case 1:
				c = append(c, "COUNT", g.pick("0", "1", "2", "-1"))
			default:
				c = append(c, "MAXLEN", g.pick("0", "1", "3", "-1"))
			}
		}
		return c
	},
	func(g *Generator) []string {
		if g.chance(3) {
			return one("RPOPLPUSH", g.key(), g.key())
		}
		return one("LMOVE", g.key(), g.key(), g.listWhere(), g.listWhere())
	},
	func(g *Generator) []string {
		keys := g.keys(1, 3)
		c := cmd("LMPOP", one(strconv.Itoa(len(keys))), keys, one(g.listWhere()))
		if g.chance(2) {
			c = append(c, "COUNT", g.listCount())
		}
		return c
	},
	func(g *Generator) []string {
		return cmd(g.pick("BLPOP", "BRPOP"), g.keys(1, 3), one(g.listTimeout()))
	},
	func(g *Generator) []string {
		if g.chance(3) {
			return one("BRPOPLPUSH", g.key(), g.key(), g.listTimeout())
		}
		return one("BLMOVE", g.key(), g.key(), g.listWhere(), g.listWhere(), g.listTimeout())
	},
	func(g *Generator) []string {
		keys := g.keys(1, 2)
		return cmd("BLMPOP", one(g.listTimeout(), strconv.Itoa(len(keys))), keys, one(g.listWhere()), one("COUNT", g.listCount()))
	},
	func(g *Generator) []string { return one(g.pick("TYPE", "EXISTS", "DEL", "GET"), g.key()) },
	func(g *Generator) []string { return one("SET", g.key(), g.listValue()) }, // wrong types
}
