package difftest

import "strconv"

// Sorted-set and geo command families, for NewGenerator. Scores and ranges come from small
// pools so that commands collide (equal scores, lex ties, inclusive/exclusive bounds); no
// command here has a random reply (ZRANDMEMBER only with counts that return everything).
const (
	FamilyZSet Family = "zset"
	FamilyGeo  Family = "geo"
)

func init() {
	familyGens[FamilyZSet] = zsetGens
	familyGens[FamilyGeo] = geoGens
}

var zsetKeys = []string{"{z}a", "{z}b", "{z}c", "{z}s"}

func (g *Generator) zkey() string {
	if g.chance(10) {
		return g.key() // sometimes a key of another type, or missing
	}
	return zsetKeys[g.rng.IntN(len(zsetKeys))]
}

func (g *Generator) zmember() string {
	return g.pick("a", "b", "c", "d", "e", "", "aa", "\x00", "\xff", "m1", "m2")
}

func (g *Generator) zscore() string {
	if g.chance(5) {
		return g.float()
	}
	return strconv.Itoa(g.rng.IntN(7) - 2)
}

func (g *Generator) zbound() string {
	b := g.pick("-inf", "+inf", "0", "1", "2", "(1", "(2", "3", "(-1", "abc", "nan", "")
	return b
}

func (g *Generator) lexBound() string {
	return g.pick("-", "+", "[a", "(a", "[b", "(c", "[", "(", "a", "[aa", "(\xff")
}

func (g *Generator) zlimit() []string {
	if g.chance(3) {
		return []string{"LIMIT", g.pick("0", "1", "-1", "5"), g.pick("1", "2", "-1", "0")}
	}
	return nil
}

var zsetGens = []func(*Generator) []string{
	func(g *Generator) []string {
		o := []string{"ZADD", g.zkey()}
		if g.chance(3) {
			o = append(o, g.pick("NX", "XX", "GT", "LT", "CH", "INCR"))
		}
		for n := 1 + g.rng.IntN(3); n > 0; n-- {
			o = append(o, g.zscore(), g.zmember())
		}
		return o
	},
	func(g *Generator) []string { return one("ZINCRBY", g.zkey(), g.zscore(), g.zmember()) },
	func(g *Generator) []string { return one("ZREM", g.zkey(), g.zmember(), g.zmember()) },
	func(g *Generator) []string { return one("ZCARD", g.zkey()) },
	func(g *Generator) []string { return one("ZSCORE", g.zkey(), g.zmember()) },
	func(g *Generator) []string { return one("ZMSCORE", g.zkey(), g.zmember(), g.zmember()) },
	func(g *Generator) []string { return one(g.pick("ZRANK", "ZREVRANK"), g.zkey(), g.zmember()) },
	func(g *Generator) []string { return one("ZCOUNT", g.zkey(), g.zbound(), g.zbound()) },
	func(g *Generator) []string { return one("ZLEXCOUNT", g.zkey(), g.lexBound(), g.lexBound()) },
	func(g *Generator) []string {
		o := one("ZRANGE", g.zkey())
		switch g.rng.IntN(3) {
		case 0:
			o = append(o, g.smallInt(), g.smallInt())
		case 1:
			o = append(o, g.zbound(), g.zbound(), "BYSCORE")
			o = append(o, g.zlimit()...)
		default:
			o = append(o, g.lexBound(), g.lexBound(), "BYLEX")
			o = append(o, g.zlimit()...)
		}
		if g.chance(2) {
			o = append(o, "REV")
		}
		if g.chance(2) {
			o = append(o, "WITHSCORES")
		}
		return o
	},
	func(g *Generator) []string {
		o := one(g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), g.zkey(), g.zbound(), g.zbound())
		if g.chance(2) {
			o = append(o, "WITHSCORES")
		}
		return append(o, g.zlimit()...)
	},
	func(g *Generator) []string {
		return cmd(g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), one(g.zkey(), g.lexBound(), g.lexBound()), g.zlimit())
	},
	func(g *Generator) []string {
		return one("ZREVRANGE", g.zkey(), g.smallInt(), g.smallInt(), g.pick("WITHSCORES", "0"))[:4+g.rng.IntN(2)]
	},
	func(g *Generator) []string {
		return one("ZRANGESTORE", g.zkey(), g.zkey(), g.smallInt(), g.smallInt())
	},
	func(g *Generator) []string {
		switch g.rng.IntN(3) {
		case 0:
			return one("ZREMRANGEBYRANK", g.zkey(), g.smallInt(), g.smallInt())
		case 1:
			return one("ZREMRANGEBYSCORE", g.zkey(), g.zbound(), g.zbound())
		}
		return one("ZREMRANGEBYLEX", g.zkey(), g.lexBound(), g.lexBound())
	},
	func(g *Generator) []string {
		o := one(g.pick("ZPOPMIN", "ZPOPMAX"), g.zkey())
		if g.chance(2) {
			o = append(o, g.pick("0", "1", "2", "10", "-1"))
		}
		return o
	},
	func(g *Generator) []string {
		o := one("ZMPOP", "2", g.zkey(), g.zkey(), g.pick("MIN", "MAX"))
		if g.chance(2) {
			o = append(o, "COUNT", g.pick("1", "3", "0"))
		}
		return o
	},
	func(g *Generator) []string {
		name := g.pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD")
		var o []string
		if len(name) > 6 && name[len(name)-5:] == "STORE" {
			o = append(o, g.zkey())
		}
		o = append(o, "2", g.zkey(), g.zkey())
		if name != "ZDIFF" && name != "ZDIFFSTORE" && name != "ZINTERCARD" && g.chance(2) {
			o = append(o, "WEIGHTS", g.zscore(), g.zscore())
		}
		if name != "ZDIFF" && name != "ZDIFFSTORE" && name != "ZINTERCARD" && g.chance(2) {
			o = append(o, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
		}
		if (name == "ZUNION" || name == "ZINTER" || name == "ZDIFF") && g.chance(2) {
			o = append(o, "WITHSCORES")
		}
		return cmd(name, o)
	},
	func(g *Generator) []string {
		return one("ZRANDMEMBER", g.zkey(), g.pick("100", "0"), "WITHSCORES")
	},
	func(g *Generator) []string { return one("SADD", "{z}s", g.zmember()) },
}

var geoGens = []func(*Generator) []string{
	func(g *Generator) []string {
		return one("GEOADD", "{z}g", g.pick("13.361389", "15.087269", "12.5", "200", "abc"),
			g.pick("38.115556", "37.502669", "41.9", "85.06"), g.zmember())
	},
	func(g *Generator) []string { return one("GEOPOS", "{z}g", g.zmember(), g.zmember()) },
	func(g *Generator) []string { return one("GEOHASH", "{z}g", g.zmember()) },
	func(g *Generator) []string {
		return one("GEODIST", "{z}g", g.zmember(), g.zmember(), g.pick("m", "km", "mi", "ft", "x"))
	},
	func(g *Generator) []string {
		o := one("GEOSEARCH", "{z}g", "FROMLONLAT", "14", "38")
		if g.chance(2) {
			o = append(o, "BYRADIUS", g.pick("100", "200", "1000", "-1"), g.pick("km", "mi"))
		} else {
			o = append(o, "BYBOX", g.pick("100", "400"), g.pick("100", "400"), "km")
		}
		o = append(o, g.pick("ASC", "DESC"))
		if g.chance(2) {
			o = append(o, "WITHDIST", "WITHCOORD", "WITHHASH")
		}
		return o
	},
}
