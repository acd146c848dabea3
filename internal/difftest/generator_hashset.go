package difftest

import (
	"math"
	"strconv"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Random hash and set commands. Not in DefaultFamilies: run them with HashSetRules added to
// DefaultRules, which allow the differences random collections bring.

const (
	FamilyHash Family = "hash"
	FamilySet  Family = "set"
)

// HashSetRules cover what legitimately differs in random hash and set streams. Hashtable
// encodings have per-process dict order, and a random stream cannot tell which hashes became
// hashtables, so whole-hash replies are sorted (the case files check listpack order). Set
// replies keep intset order: slotdb also replies hashtable sets of integers in numeric order,
// so IntsetOrSorted compares them as they are whenever Redis's reply is in numeric order.
var HashSetRules = []Rule{
	{"HGETALL *", "hashtable-encoded hashes come in dict order", SortedPairs},
	{"HKEYS *", "hashtable-encoded hashes come in dict order", Sorted},
	{"HVALS *", "hashtable-encoded hashes come in dict order", Sorted},
	{"HRANDFIELD *", "the picks are random", Shape},
	{"SRANDMEMBER *", "the picks are random", Shape},
	{"SPOP *", "the picks are random", Shape},
	{"HSCAN *", "hashtable-encoded hashes come in dict order", ScanSorted},
	{"SSCAN *", "hashtable-encoded sets come in dict order", ScanSorted},
	{"SMEMBERS *", "hashtable-encoded sets come in dict order", IntsetOrSorted},
	{"SINTER *", "hashtable-encoded sets come in dict order", IntsetOrSorted},
	{"SUNION *", "hashtable-encoded sets come in dict order", IntsetOrSorted},
	{"SDIFF *", "hashtable-encoded sets come in dict order", IntsetOrSorted},
}

var hashFields = []string{"f", "g", "h", "n", "x"}

func (g *Generator) field() string { return hashFields[g.rng.IntN(len(hashFields))] }

func (g *Generator) member() string {
	if g.chance(2) {
		return g.pick("1", "2", "3", "10", "-5", "100")
	}
	return g.value()
}

func (g *Generator) scanOpts() []string {
	o := []string{"0"}
	if g.chance(3) {
		o = append(o, "MATCH", g.pick("*", "f*", "?", "1*"))
	}
	return append(o, "COUNT", "1000") // one call: cursors of hashtables are per-server
}

func init() {
	familyGens[FamilyHash] = []func(*Generator) []string{
		func(g *Generator) []string {
			var o []string
			for n := 1 + g.rng.IntN(3); n > 0; n-- {
				o = append(o, g.field(), g.value())
			}
			return cmd(g.pick("HSET", "HMSET"), one(g.key()), o)
		},
		func(g *Generator) []string { return one("HSETNX", g.key(), g.field(), g.value()) },
		func(g *Generator) []string { return one("HGET", g.key(), g.field()) },
		func(g *Generator) []string { return one("HMGET", g.key(), g.field(), g.field()) },
		func(g *Generator) []string { return one("HDEL", g.key(), g.field(), g.field()) },
		func(g *Generator) []string {
			return one(g.pick("HLEN", "HKEYS", "HVALS", "HGETALL"), g.key())
		},
		func(g *Generator) []string { return one(g.pick("HEXISTS", "HSTRLEN"), g.key(), g.field()) },
		func(g *Generator) []string { return one("HINCRBY", g.key(), g.field(), g.integer()) },
		func(g *Generator) []string { return one("HINCRBYFLOAT", g.key(), g.field(), g.float()) },
		func(g *Generator) []string {
			o := one(g.key())
			if g.chance(3) {
				o = append(o, g.pick("0", "2", "-3", "10", "x"))
				if g.chance(2) {
					o = append(o, g.pick("WITHVALUES", "withvalues", "FOO"))
				}
			}
			return cmd("HRANDFIELD", o)
		},
		func(g *Generator) []string { return cmd("HSCAN", one(g.key()), g.scanOpts()) },
		func(g *Generator) []string { return one("OBJECT", "ENCODING", g.key()) },
	}
	familyGens[FamilySet] = []func(*Generator) []string{
		func(g *Generator) []string {
			var o []string
			for n := 1 + g.rng.IntN(4); n > 0; n-- {
				o = append(o, g.member())
			}
			return cmd("SADD", one(g.key()), o)
		},
		func(g *Generator) []string { return one("SREM", g.key(), g.member(), g.member()) },
		func(g *Generator) []string { return one("SISMEMBER", g.key(), g.member()) },
		func(g *Generator) []string { return one("SMISMEMBER", g.key(), g.member(), g.member()) },
		func(g *Generator) []string { return one(g.pick("SMEMBERS", "SCARD"), g.key()) },
		func(g *Generator) []string {
			o := one(g.key())
			if g.chance(2) {
				o = append(o, g.pick("0", "1", "3", "100", "-1", "x"))
			}
			return cmd("SRANDMEMBER", o)
		},
		// No SPOP: its random removals would part the two servers' states (even "SPOP key 1000"
		// becomes a random "SPOP key" when Next drops trailing arguments). The case files test it.
		func(g *Generator) []string { return one("SMOVE", g.key(), g.key(), g.member()) },
		func(g *Generator) []string {
			return cmd(g.pick("SINTER", "SUNION", "SDIFF"), g.keys(1, 3))
		},
		func(g *Generator) []string {
			return cmd(g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), one(g.key()), g.keys(1, 3))
		},
		func(g *Generator) []string {
			ks := g.keys(1, 3)
			o := cmd("SINTERCARD", one(g.pick("1", "2", "3", "0")), ks)
			if g.chance(3) {
				o = append(o, "LIMIT", g.pick("0", "1", "2", "-1"))
			}
			return o
		},
		func(g *Generator) []string { return cmd("SSCAN", one(g.key()), g.scanOpts()) },
		func(g *Generator) []string { return one("OBJECT", "ENCODING", g.key()) },
	}
}

// IntsetOrSorted leaves a set reply as it is when the reference lists integers in increasing
// numeric order (how Redis iterates an intset), and sorts both replies otherwise.
func IntsetOrSorted(ref, got *proctest.Reply) {
	if !ref.IsAggregate() || ref.Null {
		return
	}
	prev := int64(math.MinInt64)
	inOrder := true
	for i, e := range ref.Elems {
		n, err := strconv.ParseInt(e.Str, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != e.Str || (i > 0 && n <= prev) {
			inOrder = false
			break
		}
		prev = n
	}
	if !inOrder {
		Sorted(ref, got)
	}
}
