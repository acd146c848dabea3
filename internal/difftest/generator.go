package difftest

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Family names a group of commands the Generator draws from.
type Family string

// Command families. FamilyTypes creates lists, sets and hashes so that string commands meet
// wrong-type keys; leave it out while the candidate only has strings.
const (
	FamilyStrings Family = "strings"
	FamilyKeys    Family = "keys"
	FamilyServer  Family = "server"
	FamilyTypes   Family = "types"
)

// DefaultFamilies are the families of the foundation commands.
var DefaultFamilies = []Family{FamilyStrings, FamilyKeys, FamilyServer}

// Generator produces a reproducible stream of commands from a seed. The key space is small so
// that commands collide; TTLs are long (or already past) so that nothing expires mid-run and
// both servers stay in step.
type Generator struct {
	Seed int64
	rng  *rand.Rand
	gens []func(*Generator) []string
}

// NewGenerator returns a generator over the given families (DefaultFamilies when none).
func NewGenerator(seed int64, families ...Family) *Generator {
	if len(families) == 0 {
		families = DefaultFamilies
	}
	g := &Generator{Seed: seed, rng: rand.New(rand.NewPCG(uint64(seed), 0x5107db))}
	for _, f := range families {
		g.gens = append(g.gens, familyGens[f]...)
	}
	return g
}

// Next returns the next command.
func (g *Generator) Next() []string {
	args := g.gens[g.rng.IntN(len(g.gens))](g)
	switch g.rng.IntN(40) {
	case 0: // wrong arity: drop trailing arguments
		if len(args) > 1 {
			args = args[:g.rng.IntN(len(args)-1)+1]
		}
	case 1: // a stray extra token: a syntax error or an arity error
		args = append(args, g.pick("NX", "XX", "GARBAGE", "1", ""))
	}
	return args
}

func (g *Generator) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }
func (g *Generator) chance(n int) bool        { return g.rng.IntN(n) == 0 }

var genKeys = []string{"a", "b", "c", "n", "f", "bits", "{t}x", "{t}y"}

func (g *Generator) key() string { return genKeys[g.rng.IntN(len(genKeys))] }

func (g *Generator) keys(min, max int) []string {
	n := min + g.rng.IntN(max-min+1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.key()
	}
	return out
}

func (g *Generator) value() string {
	switch g.rng.IntN(4) {
	case 0:
		return g.integer()
	case 1:
		return g.float()
	}
	return g.pick("", "foo", "bar", "hello world", "\x00\xff\r\n", strings.Repeat("x", 60),
		" 12", "12 ", "0x10", "12abc", "-", "+1", "01", "é")
}

func (g *Generator) integer() string {
	if g.chance(3) {
		return g.pick("9223372036854775807", "-9223372036854775808", "9223372036854775808",
			"-9223372036854775809", "0", "-0", "1e3", "", "abc")
	}
	return strconv.Itoa(g.rng.IntN(2001) - 1000)
}

func (g *Generator) float() string {
	return g.pick("0.1", "10.5", "-1.5", "1e308", "-1e308", "3.0e3", "1.7976931348623157e308",
		"5.0e-324", "inf", "-inf", "nan", "0", "-0", "1.", ".5", "abc", "1,5", "5e")
}

// ttl returns a relative TTL that never elapses during a run, or one that is invalid or
// already over, whose effect is immediate and so the same on both servers.
func (g *Generator) ttl(ms bool) string {
	if g.chance(4) {
		return g.pick("0", "-1", "-100", "9223372036854775807", "abc", "1.5", "")
	}
	n := 1000 + g.rng.IntN(100000)
	if ms {
		n *= 1000
	}
	return strconv.Itoa(n)
}

// at returns an absolute expiry time: far in the future, invalid, or (when past is true)
// already over. SET with a past time leaves a logically expired key that only active expiry
// removes, at a moment that differs between servers (DBSIZE would race), so SET gets no past
// times; EXPIREAT and GETEX delete at once.
func (g *Generator) at(ms, past bool) string {
	if past && g.chance(3) {
		return g.pick("1", "0", "-1", "abc")
	}
	if g.chance(6) {
		return g.pick("0", "-1", "abc")
	}
	if ms {
		return "4102444800000"
	}
	return "4102444800"
}

func (g *Generator) smallInt() string { return strconv.Itoa(g.rng.IntN(40) - 10) }

func (g *Generator) setOpts() []string {
	var o []string
	if g.chance(3) {
		o = append(o, g.pick("NX", "XX"))
	}
	if g.chance(3) {
		o = append(o, "GET")
	}
	switch g.rng.IntN(7) {
	case 0:
		o = append(o, "EX", g.ttl(false))
	case 1:
		o = append(o, "PX", g.ttl(true))
	case 2:
		o = append(o, "EXAT", g.at(false, false))
	case 3:
		o = append(o, "PXAT", g.at(true, false))
	case 4:
		o = append(o, "KEEPTTL")
	}
	g.rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
	if g.chance(15) { // conflicting or misspelt options
		o = append(o, g.pick("NX", "XX", "EX", "KEEPTTL", "PXAT", "FOO"))
	}
	return o
}

func (g *Generator) bitUnit() []string {
	if g.chance(2) {
		return []string{g.pick("BYTE", "BIT", "byte", "BITS")}
	}
	return nil
}

func (g *Generator) bitfieldOps(readOnly bool) []string {
	var o []string
	for n := 1 + g.rng.IntN(3); n > 0; n-- {
		typ := g.pick("u8", "i8", "u1", "i5", "u63", "i64", "u64", "i65", "x8")
		off := g.pick("0", "3", "#1", "100", "-1")
		if readOnly || g.chance(3) {
			o = append(o, "GET", typ, off)
			continue
		}
		switch g.rng.IntN(3) {
		case 0:
			o = append(o, "SET", typ, off, g.integer())
		case 1:
			o = append(o, "INCRBY", typ, off, g.integer())
		default:
			o = append(o, "OVERFLOW", g.pick("WRAP", "SAT", "FAIL", "NONE"))
		}
	}
	return o
}

func cmd(name string, rest ...[]string) []string {
	out := []string{name}
	for _, r := range rest {
		out = append(out, r...)
	}
	return out
}

func one(s ...string) []string { return s }

var familyGens = map[Family][]func(*Generator) []string{
	FamilyStrings: {
		func(g *Generator) []string { return one("GET", g.key()) },
		func(g *Generator) []string { return cmd("SET", one(g.key(), g.value()), g.setOpts()) },
		func(g *Generator) []string { return cmd("SET", one(g.key(), g.value()), g.setOpts()) },
		func(g *Generator) []string { return one("SETNX", g.key(), g.value()) },
		func(g *Generator) []string { return one("SETEX", g.key(), g.ttl(false), g.value()) },
		func(g *Generator) []string { return one("PSETEX", g.key(), g.ttl(true), g.value()) },
		func(g *Generator) []string { return one("GETSET", g.key(), g.value()) },
		func(g *Generator) []string { return one("GETDEL", g.key()) },
		func(g *Generator) []string {
			var o []string
			switch g.rng.IntN(6) {
			case 0:
				o = one("EX", g.ttl(false))
			case 1:
				o = one("PX", g.ttl(true))
			case 2:
				o = one("EXAT", g.at(false, true))
			case 3:
				o = one("PXAT", g.at(true, true))
			case 4:
				o = one("PERSIST")
			}
			return cmd("GETEX", one(g.key()), o)
		},
		func(g *Generator) []string { return cmd("MGET", g.keys(1, 4)) },
		func(g *Generator) []string {
			var kv []string
			for n := 1 + g.rng.IntN(3); n > 0; n-- {
				kv = append(kv, g.key(), g.value())
			}
			return cmd(g.pick("MSET", "MSETNX"), kv)
		},
		func(g *Generator) []string { return one("APPEND", g.key(), g.value()) },
		func(g *Generator) []string { return one("STRLEN", g.key()) },
		func(g *Generator) []string { return one(g.pick("INCR", "DECR"), g.pick("n", g.key())) },
		func(g *Generator) []string { return one(g.pick("INCRBY", "DECRBY"), g.pick("n", g.key()), g.integer()) },
		func(g *Generator) []string { return one("INCRBYFLOAT", g.pick("f", g.key()), g.float()) },
		func(g *Generator) []string {
			return one(g.pick("GETRANGE", "SUBSTR"), g.key(), g.smallInt(), g.pick(g.smallInt(), "-1", "9223372036854775807"))
		},
		func(g *Generator) []string {
			return one("SETRANGE", g.key(), g.pick(g.smallInt(), "0", "100", "-1", "536870912", "abc"), g.value())
		},
		func(g *Generator) []string {
			var o []string
			switch g.rng.IntN(4) {
			case 0:
				o = one("LEN")
			case 1:
				o = one("IDX")
				if g.chance(2) {
					o = append(o, "MINMATCHLEN", g.pick("0", "2", "-1"))
				}
				if g.chance(2) {
					o = append(o, "WITHMATCHLEN")
				}
			case 2:
				o = one(g.pick("LEN", "IDX"), g.pick("LEN", "FOO"))
			}
			return cmd("LCS", one(g.key(), g.key()), o)
		},
		func(g *Generator) []string {
			return one("SETBIT", g.pick("bits", g.key()), g.pick("0", "7", "8", "63", "100", "-1", "4294967296"), g.pick("0", "1", "1", "2"))
		},
		func(g *Generator) []string {
			return one("GETBIT", g.pick("bits", g.key()), g.pick("0", "7", "100", "-1"))
		},
		func(g *Generator) []string {
			o := one(g.pick("bits", g.key()))
			if g.chance(2) {
				o = append(o, g.smallInt(), g.smallInt())
				o = append(o, g.bitUnit()...)
			}
			return cmd("BITCOUNT", o)
		},
		func(g *Generator) []string {
			o := one(g.pick("bits", g.key()), g.pick("0", "1", "2"))
			if g.chance(2) {
				o = append(o, g.smallInt())
				if g.chance(2) {
					o = append(o, g.smallInt())
					o = append(o, g.bitUnit()...)
				}
			}
			return cmd("BITPOS", o)
		},
		func(g *Generator) []string {
			op := g.pick("AND", "OR", "XOR", "NOT", "and", "NAND")
			return cmd("BITOP", one(op, g.pick("bits", g.key())), g.keys(1, 3))
		},
		func(g *Generator) []string {
			return cmd("BITFIELD", one(g.pick("bits", g.key())), g.bitfieldOps(false))
		},
		func(g *Generator) []string {
			return cmd("BITFIELD_RO", one(g.pick("bits", g.key())), g.bitfieldOps(!g.chance(8)))
		},
	},
	FamilyKeys: {
		func(g *Generator) []string { return cmd(g.pick("DEL", "UNLINK", "EXISTS", "TOUCH"), g.keys(1, 3)) },
		func(g *Generator) []string { return one("TYPE", g.key()) },
		func(g *Generator) []string {
			name := g.pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT")
			ms := name[0] == 'P'
			t := g.ttl(ms)
			if strings.HasSuffix(name, "AT") {
				t = g.at(ms, true)
			}
			o := one(g.key(), t)
			if g.chance(2) {
				o = append(o, g.pick("NX", "XX", "GT", "LT", "nx", "FOO"))
				if g.chance(6) {
					o = append(o, g.pick("NX", "XX", "GT", "LT"))
				}
			}
			return cmd(name, o)
		},
		func(g *Generator) []string {
			return one(g.pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"), g.key())
		},
		func(g *Generator) []string { return one(g.pick("RENAME", "RENAMENX"), g.key(), g.key()) },
		func(g *Generator) []string {
			o := one(g.key(), g.key())
			if g.chance(3) {
				o = append(o, "DB", g.pick("0", "1", "16", "x"))
			}
			if g.chance(2) {
				o = append(o, "REPLACE")
			}
			return cmd("COPY", o)
		},
		func(g *Generator) []string { return one("MOVE", g.key(), g.pick("1", "0", "16", "-1")) },
		func(g *Generator) []string { return one("KEYS", g.pick("*", "?", "{t}*", "[a-c]", "b*", "x")) },
		func(g *Generator) []string {
			o := one("0")
			if g.chance(2) {
				o = append(o, "MATCH", g.pick("*", "?", "{t}*", "[a-c]"))
			}
			o = append(o, "COUNT", "1000")
			if g.chance(3) {
				o = append(o, "TYPE", g.pick("string", "list", "none"))
			}
			return cmd("SCAN", o)
		},
		func(g *Generator) []string { return one("RANDOMKEY") },
		func(g *Generator) []string {
			return one("OBJECT", g.pick("ENCODING", "REFCOUNT", "FREQ", "encoding"), g.key())
		},
	},
	FamilyServer: {
		func(g *Generator) []string { return one("DBSIZE") },
		func(g *Generator) []string { return one("SELECT", g.pick("0", "0", "0", "1", "16", "x")) },
		func(g *Generator) []string { return one("SWAPDB", g.pick("0", "1"), g.pick("0", "1", "16")) },
		func(g *Generator) []string {
			if g.chance(10) {
				return one(g.pick("FLUSHDB", "FLUSHALL"), g.pick("SYNC", "ASYNC"))
			}
			return one("PING")
		},
		func(g *Generator) []string { return one("ECHO", g.value()) },
		func(g *Generator) []string { return one(g.pick("NOSUCHCMD", "GETT", "ge t"), g.key()) },
	},
	FamilyTypes: {
		func(g *Generator) []string { return one("RPUSH", g.key(), g.value()) },
		func(g *Generator) []string { return one("SADD", g.key(), g.value()) },
		func(g *Generator) []string { return one("HSET", g.key(), "f", g.value()) },
	},
}

// RunRandom sends n generated commands to both sides over one connection and returns the
// mismatches; each is labelled with the seed and step so that a failure can be replayed.
func (r *Runner) RunRandom(g *Generator, n int) []Mismatch {
	var out []Mismatch
	for i := 0; i < n; i++ {
		if m := r.gaveUp("random seed=" + strconv.FormatInt(g.Seed, 10) + " step=" + strconv.Itoa(i)); m != nil {
			return append(out, *m)
		}
		args := g.Next()
		if m := r.Do("random seed="+strconv.FormatInt(g.Seed, 10)+" step="+strconv.Itoa(i), args...); m != nil {
			out = append(out, *m)
		}
	}
	return out
}

// RunRandomChunks runs chunks of size generated commands, each on a fresh connection after
// FLUSHALL, and returns at most the first mismatch of each chunk: once two servers disagree
// their states part, so later differences in the chunk are mostly echoes. Each mismatch carries
// the chunk's commands up to it, ready to paste into a case file.
func (r *Runner) RunRandomChunks(g *Generator, chunks, size int) []Mismatch {
	var out []Mismatch
	for c := 0; c < chunks; c++ {
		r.drop(r.cur)
		label := "random seed=" + strconv.FormatInt(g.Seed, 10) + " chunk=" + strconv.Itoa(c)
		if m := r.Do(label+" setup", "FLUSHALL"); m != nil {
			return append(out, *m)
		}
		var hist []string
		if m := r.gaveUp(label); m != nil {
			return append(out, *m)
		}
		for i := 0; i < size; i++ {
			args := g.Next()
			hist = append(hist, quoteCmd(args))
			if m := r.Do(label+" step="+strconv.Itoa(i), args...); m != nil {
				if len(hist) > 40 {
					hist = append([]string{"..."}, hist[len(hist)-40:]...)
				}
				m.Reason = strings.TrimSpace(m.Reason + "\n     commands since FLUSHALL:\n       " + strings.Join(hist, "\n       "))
				out = append(out, *m)
				// Skip the rest of the chunk but keep the stream aligned with the seed.
				for i++; i < size; i++ {
					g.Next()
				}
			}
		}
	}
	return out
}
