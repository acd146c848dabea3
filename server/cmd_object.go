package server

import (
	"math/bits"

	"github.com/slotdb/slotdb/engine"
)

// OBJECT and MEMORY USAGE (object.c). slotdb keeps no Redis objects, so the answers are the
// ones Redis would give for the value as stored: strings exactly, collections through the
// per-type hooks below.

func init() {
	register("object|help", func(c *Client, a [][]byte) { writeHelpLines(c, objectHelp) })
	register("object|encoding", cmdObjectEncoding)
	register("object|refcount", cmdObjectRefcount)
	register("object|idletime", cmdObjectIdletime)
	register("object|freq", cmdObjectFreq)
	register("memory|usage", cmdMemoryUsage)
	register("memory|help", func(c *Client, a [][]byte) { writeHelpLines(c, memoryHelp) })
}

// valueHooks let a collection type's own file answer for its values: OBJECT ENCODING, MEMORY
// USAGE and DEBUG DIGEST(-VALUE). A type registers them from its init with registerValueHooks;
// a nil hook falls back to the defaults here (a count-based guess, an estimate, an error).
type valueHooks struct {
	encoding func(e *engine.Engine, db int, key []byte, m *engine.Meta) (string, error)
	memory   func(e *engine.Engine, db int, key []byte, m *engine.Meta, samples int64) (int64, error)
	// digest folds the value's elements into d as xorObjectDigest does for the type (the
	// type word and the expiry are added by the caller); see the digest* helpers.
	digest func(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error
}

var typeHooks = map[engine.Type]valueHooks{}

func registerValueHooks(t engine.Type, h valueHooks) { typeHooks[t] = h }

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

// writeHelpLines is addReplyHelp: an array of status lines.
func writeHelpLines(c *Client, lines []string) {
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Simple(l)
	}
}

const (
	errLFUNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUSelected    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

	sharedRefcount = 1<<31 - 1 // OBJ_SHARED_REFCOUNT (INT_MAX)
	sharedIntegers = 10000     // OBJ_SHARED_INTEGERS
)

// configValue reads a live configuration value ("" when the server has no config wired).
func (c *Client) configValue(name string) string {
	if c.s.cfg.Get == nil {
		return ""
	}
	for _, nv := range c.s.cfg.Get([]string{name}) {
		if nv[0] == name {
			return nv[1]
		}
	}
	return ""
}

func (c *Client) lfuPolicy() bool {
	p := c.configValue("maxmemory-policy")
	return p == "allkeys-lfu" || p == "volatile-lfu"
}

// sharedIntegersAllowed mirrors tryObjectEncoding: with maxmemory set and an LRU or LFU policy
// every value needs its own object (for its access data), so small integers are not shared.
func (c *Client) sharedIntegersAllowed() bool {
	mm := c.configValue("maxmemory")
	if mm == "" || mm == "0" {
		return true
	}
	switch c.configValue("maxmemory-policy") {
	case "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu":
		return false
	}
	return true
}

// lookupNoTouch is lookupKeyReadWithFlags(LOOKUP_NOTOUCH): a read that leaves the key's
// access data alone (TYPE, EXISTS, TTL and friends, OBJECT).
func (c *Client) lookupNoTouch(key []byte) (*engine.Meta, bool) {
	m, err := c.s.eng.LookupNoTouch(c.db, key)
	if err != nil {
		c.storeError(err)
		return nil, false
	}
	return m, true
}

// objectLookup is objectCommandLookupOrReply: a missing key answers null, and the lookup does
// not count as an access.
func (c *Client) objectLookup(key []byte) (*engine.Meta, bool) {
	m, ok := c.lookupNoTouch(key)
	if ok && m == nil {
		c.w.Null()
		return nil, false
	}
	return m, ok
}

func cmdObjectEncoding(c *Client, args [][]byte) {
	m, ok := c.objectLookup(args[2])
	if !ok {
		return
	}
	enc, err := valueEncoding(c.s.eng, c.db, args[2], m)
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.BulkString(enc)
}

func cmdObjectRefcount(c *Client, args [][]byte) {
	m, ok := c.objectLookup(args[2])
	if !ok {
		return
	}
	c.w.Int(c.refcount(m))
}

// refcount is the value object's refcount: small integers are the shared objects.
func (c *Client) refcount(m *engine.Meta) int64 {
	if m.Type == engine.TypeString && stringEncoding(m) == "int" && c.sharedIntegersAllowed() {
		if n, _ := parseInt(m.Value); n >= 0 && n < sharedIntegers {
			return sharedRefcount
		}
	}
	return 1
}

// cmdObjectIdletime is the seconds since the key's last access by the engine's LRU clock
// (engine/access.go); under an LFU policy the clock is not kept.
func cmdObjectIdletime(c *Client, args [][]byte) {
	m, ok := c.objectLookup(args[2])
	if !ok {
		return
	}
	if c.lfuPolicy() {
		c.w.Error(errLFUSelected)
		return
	}
	c.w.Int(c.s.eng.IdleTime(m))
}

// cmdObjectFreq is the key's logarithmic access counter after decay (LFUDecrAndReturn); only
// an LFU policy keeps it.
func cmdObjectFreq(c *Client, args [][]byte) {
	m, ok := c.objectLookup(args[2])
	if !ok {
		return
	}
	if !c.lfuPolicy() {
		c.w.Error(errLFUNotSelected)
		return
	}
	c.w.Int(int64(c.s.eng.Freq(m)))
}

// stringEncoding is what tryObjectEncoding makes of a string value: "int" for a string2ll
// integer of at most 20 characters, "embstr" up to 44 bytes, else "raw"; "raw" also for values
// grown in place (FlagRaw).
func stringEncoding(m *engine.Meta) string {
	if m.Flags&engine.FlagRaw != 0 {
		return "raw"
	}
	if len(m.Value) <= 20 && m.Flags&engine.FlagNotInt == 0 {
		if _, ok := parseInt(m.Value); ok {
			return "int"
		}
	}
	if len(m.Value) <= embstrLimit {
		return "embstr"
	}
	return "raw"
}

const embstrLimit = 44 // OBJ_ENCODING_EMBSTR_SIZE_LIMIT

// valueEncoding answers OBJECT ENCODING for any type.
func valueEncoding(e *engine.Engine, db int, key []byte, m *engine.Meta) (string, error) {
	if m.Type == engine.TypeString {
		return stringEncoding(m), nil
	}
	if h := typeHooks[m.Type].encoding; h != nil {
		return h(e, db, key, m)
	}
	// Defaults by element count with Redis's default thresholds; a type's hook knows better
	// (element sizes, intsets, configured limits).
	small := m.Count <= 128
	switch m.Type {
	case engine.TypeList:
		return "quicklist", nil
	case engine.TypeSet:
		return "hashtable", nil
	case engine.TypeZSet:
		if small {
			return "listpack", nil
		}
		return "skiplist", nil
	case engine.TypeHash:
		if small {
			return "listpack", nil
		}
		return "hashtable", nil
	case engine.TypeStream:
		return "stream", nil
	}
	return "unknown", nil
}

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]. Like Redis it looks at the key as stored,
// logically expired or not.
func cmdMemoryUsage(c *Client, args [][]byte) {
	samples := int64(5)
	for j := 3; j < len(args); j++ {
		if eqFold(args[j], "samples") && j+1 < len(args) {
			n, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if n < 0 {
				c.w.Error(errSyntax)
				return
			}
			if n == 0 {
				n = 1<<63 - 1
			}
			samples = n
			j++
		} else {
			c.w.Error(errSyntax)
			return
		}
	}
	key := args[2]
	m, err := c.s.eng.Peek(c.db, key)
	if err != nil {
		c.storeError(err)
		return
	}
	if m == nil {
		c.w.Null()
		return
	}
	n, err := memoryUsage(c.s.eng, c.db, key, m, samples)
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Int(n)
}

// Sizes of Redis 7.0's structures on 64-bit Linux.
const (
	robjSize      = 16 // sizeof(robj)
	dictEntrySize = 24 // dictEntryMemUsage()
)

// memoryUsage is what Redis would report: the key's sds, the dict entry and the value. For
// strings this is Redis's number when the value was written whole (SET and friends); values
// grown in place (FlagRaw) are counted as after a greedy growth to their length, an estimate:
// Redis's figure depends on the history of the appends.
func memoryUsage(e *engine.Engine, db int, key []byte, m *engine.Meta, samples int64) (int64, error) {
	n := sdsAllocSize(len(key)) + dictEntrySize
	if m.Type == engine.TypeString {
		switch stringEncoding(m) {
		case "int":
			return n + robjSize, nil
		case "embstr":
			return n + jemallocSize(robjSize+3+len(m.Value)+1), nil // robj + sdshdr8 + value + NUL
		default:
			if m.Flags&engine.FlagRaw != 0 {
				return n + robjSize + sdsGreedyAllocSize(len(m.Value)), nil
			}
			return n + robjSize + sdsAllocSize(len(m.Value)), nil
		}
	}
	if h := typeHooks[m.Type].memory; h != nil {
		v, err := h(e, db, key, m, samples)
		return n + v, err
	}
	// A rough guess for collections without a hook: an object, a header and some bytes per
	// element.
	return n + robjSize + 64 + int64(len(m.Extra)) + m.Count*32, nil
}

// sdsAllocSize is zmalloc_size of an sds of length n as sdsnewlen allocates it.
func sdsAllocSize(n int) int64 {
	var hdr int
	switch {
	case n < 1<<5:
		hdr = 1
	case n < 1<<8:
		hdr = 3
	case n < 1<<16:
		hdr = 5
	case int64(n) < 1<<32:
		hdr = 9
	default:
		hdr = 17
	}
	return jemallocSize(hdr + n + 1)
}

// sdsGreedyAllocSize is zmalloc_size of an sds that sdsMakeRoomFor grew to length n: room for
// twice the length under 1 MiB, 1 MiB more above, and never the 1-byte header type.
func sdsGreedyAllocSize(n int) int64 {
	const maxPrealloc = 1 << 20 // SDS_MAX_PREALLOC
	room := n * 2
	if n >= maxPrealloc {
		room = n + maxPrealloc
	}
	if room < 1<<5 {
		return jemallocSize(3 + room + 1) // sdshdr8
	}
	return sdsAllocSize(room)
}

// jemallocSize is the usable size jemalloc 5 gives a request: 8, then multiples of 16 up to
// 128, then four size classes per doubling.
func jemallocSize(n int) int64 {
	size := int64(n)
	switch {
	case size <= 8:
		return 8
	case size <= 128:
		return (size + 15) &^ 15
	}
	lg := bits.Len64(uint64(size-1)) - 1 // floor(log2(size-1))
	delta := int64(1) << (lg - 2)
	return (size + delta - 1) &^ (delta - 1)
}
