package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// DEBUG (debug.c): the subcommands tools rely on — DIGEST and DIGEST-VALUE (redis-cli compares
// values with them on MIGRATE's BUSYKEY path), OBJECT, SLEEP, SET-ACTIVE-EXPIRE — and HELP. The others
// answer Redis's unknown-subcommand error.

func init() {
	register("debug", cmdDebug)
	// DEBUG SLEEP stalls the whole server in Redis (and DIGEST sees one instant): run it alone.
	registerExclusive("debug")
}

const errDebugNotAllowed = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`

func cmdDebug(c *Client, args [][]byte) {
	if !c.debugAllowed() {
		c.w.Error(errDebugNotAllowed)
		return
	}
	sub := args[1]
	switch {
	case eqFold(sub, "help") && len(args) == 2:
		writeHelpLines(c, debugHelp)
	case eqFold(sub, "sleep") && len(args) == 3:
		// utime = dtime*1000000, truncated; nanosleep refuses a negative time.
		if us := strtodPrefix(args[2]) * 1e6; us >= 1 {
			time.Sleep(time.Duration(min(us, float64(math.MaxInt64/1000))) * time.Microsecond)
		}
		c.w.OK()
	case eqFold(sub, "object") && len(args) == 3:
		debugObject(c, args[2])
	case eqFold(sub, "set-active-expire") && len(args) == 3:
		c.s.eng.SetActiveExpire(atoiPrefix(args[2]) != 0)
		c.w.OK()
	case eqFold(sub, "digest") && len(args) == 2:
		d, err := datasetDigest(c.s.eng)
		if err != nil {
			c.storeError(err)
			return
		}
		c.w.Simple(d.String())
	case eqFold(sub, "digest-value"):
		out := make([]string, 0, len(args)-2)
		for _, key := range args[2:] {
			var d digest
			// Redis reads the dict directly: a logically expired key still has a digest.
			m, err := c.s.eng.Peek(c.db, key)
			if err == nil && m != nil {
				err = objectDigest(c.s.eng, c.db, key, m, &d)
			}
			if err != nil {
				c.storeError(err)
				return
			}
			out = append(out, d.String())
		}
		c.w.Array(len(out))
		for _, s := range out {
			c.w.Simple(s)
		}
	default:
		c.w.Error(sanitize(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try DEBUG HELP.", sub)))
	}
}

// debugObject is DEBUG OBJECT key: the value's low-level description, from the dict without
// touching the key. "Value at" is the address of the key's record in memory; serializedlength
// is rdbSavedObjectLen (with rdbcompression yes); lru and lru_seconds_idle come from the
// key's access stamp (engine/access.go). A list's quicklist fields describe its elements
// packed as RPUSH packs them (see listMemory), exact for lists built by pushes at the tail.
func debugObject(c *Client, key []byte) {
	m, err := c.s.eng.Peek(c.db, key)
	if err != nil {
		c.storeError(err)
		return
	}
	if m == nil {
		c.w.Error("ERR no such key")
		return
	}
	enc, err := valueEncoding(c.s.eng, c.db, key, m)
	if err != nil {
		c.storeError(err)
		return
	}
	var serialized int
	var extra string
	err = c.s.eng.View(c.db, [][]byte{key}, func(tx *engine.Tx) error {
		// m, not a lookup: a logically expired key is still described (and not deleted).
		o, err := tx.ReadObject(key, m)
		if err != nil {
			return err
		}
		serialized = len(rdb.EncodeDump(o)) - 11 // type byte, version, CRC64
		if m.Type == engine.TypeList {
			extra = quicklistFields(o.List, c.configValue("list-max-listpack-size"), c.configValue("list-compress-depth"))
		}
		return nil
	})
	if err != nil {
		c.storeError(err)
		return
	}
	c.w.Simple(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
		m, c.refcount(m), enc, serialized, c.s.eng.AccessLRU(m), c.s.eng.IdleTime(m), extra))
}

// quicklistFields are DEBUG OBJECT's ql_* fields for a list of elems pushed at the tail
// (_quicklistNodeAllowInsert with the configured fill).
func quicklistFields(elems [][]byte, fill, depth string) string {
	f, err := strconv.Atoi(fill)
	if err != nil {
		f = -2
	}
	limits := [...]int64{4096, 8192, 16384, 32768, 65536} // optimization_level
	const overhead, safety = 8, 8192                      // SIZE_ESTIMATE_OVERHEAD, SIZE_SAFETY_LIMIT
	var nodes, size, lp, count int64
	allow := func(sz int64) bool {
		n := lp + sz + overhead
		if f < 0 {
			return n <= limits[min(-f-1, len(limits)-1)]
		}
		return n <= safety && count < int64(f)
	}
	for _, v := range elems {
		if lp == 0 || !allow(int64(len(v))) {
			size += lp
			nodes++
			lp, count = 7, 0 // listpack header and end byte
		}
		lp += listpackEntrySize(v)
		count++
	}
	size += lp
	avg := 0.0
	if nodes > 0 {
		avg = float64(len(elems)) / float64(nodes)
	}
	d, _ := strconv.Atoi(depth)
	return fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
		nodes, avg, f, d, size)
}

// debugAllowed applies enable-debug-command as processCommand does for protected commands:
// "yes", or "local" from a loopback or unix-socket client. Redis's default is "no".
func (c *Client) debugAllowed() bool {
	switch c.configValue("enable-debug-command") {
	case "yes":
		return true
	case "local":
		return c.isLocal()
	}
	return false
}

func (c *Client) isLocal() bool {
	if c.conn != nil && c.conn.RemoteAddr().Network() == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(c.raddr)
	return err == nil && (host == "127.0.0.1" || host == "::1")
}

// digest is the 20-byte accumulator of DEBUG DIGEST (debug.c).
type digest [20]byte

// xor folds SHA1(b) into d (xorDigest): order does not matter.
func (d *digest) xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix folds b into d so that order matters (mixDigest): d = SHA1(d ^ SHA1(b)).
func (d *digest) mix(b []byte) {
	d.xor(b)
	*d = sha1.Sum(d[:])
}

func (d *digest) mixUint32(v uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v) // htonl
	d.mix(b[:])
}

func (d *digest) String() string { return hex.EncodeToString(d[:]) }

// Element digests as xorObjectDigest computes them, for the collection types' digest hooks.

// digestListElem adds a list element, in list order.
func (d *digest) digestListElem(elem []byte) { d.mix(elem) }

// digestSetMember adds a set member, in any order.
func (d *digest) digestSetMember(member []byte) { d.xor(member) }

// digestHashField adds a hash field and its value, in any order.
func (d *digest) digestHashField(field, value []byte) {
	var e digest
	e.mix(field)
	e.mix(value)
	d.xor(e[:])
}

// digestZSetMember adds a sorted-set member and its score (printed with "%.17g"), in any order.
func (d *digest) digestZSetMember(member []byte, score float64) {
	var e digest
	e.mix(member)
	e.mix([]byte(formatG17(score)))
	d.xor(e[:])
}

// formatG17 is C's printf("%.17g").
func formatG17(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// redisTypeCode is the OBJ_* number Redis hashes for each type.
func redisTypeCode(t engine.Type) uint32 {
	switch t {
	case engine.TypeList:
		return 1
	case engine.TypeSet:
		return 2
	case engine.TypeZSet:
		return 3
	case engine.TypeHash:
		return 4
	case engine.TypeStream:
		return 6
	}
	return 0 // OBJ_STRING
}

// objectDigest is xorObjectDigest: the type, the value, and a marker when the key has a TTL.
func objectDigest(e *engine.Engine, db int, key []byte, m *engine.Meta, d *digest) error {
	d.mixUint32(redisTypeCode(m.Type))
	if m.Type == engine.TypeString {
		d.mix(m.Value)
	} else if h := typeHooks[m.Type].digest; h != nil {
		if err := h(e, db, key, m, d); err != nil {
			return err
		}
	} else {
		return replyError("ERR DEBUG DIGEST is not supported for " + m.Type.String() + " values yet")
	}
	if m.ExpireAt != 0 {
		d.xor([]byte("!!expire!!"))
	}
	return nil
}

// datasetDigest is computeDatasetDigest: per non-empty database its number, then every key's
// own digest (key mixed, then the value) folded in, in any order.
func datasetDigest(e *engine.Engine) (digest, error) {
	var final digest
	for db := range e.Databases() {
		first := true
		err := e.Walk(db, func(key []byte, m *engine.Meta) error {
			if first {
				final.mixUint32(uint32(db))
				first = false
			}
			var kd digest
			kd.mix(key)
			if err := objectDigest(e, db, key, m, &kd); err != nil {
				return err
			}
			final.xor(kd[:])
			return nil
		})
		if err != nil {
			return digest{}, err
		}
	}
	return final, nil
}

// strtodPrefix is strtod(s, NULL) for decimal input: the longest numeric prefix after leading
// spaces, 0 when there is none.
func strtodPrefix(b []byte) float64 {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	start := i
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	end := i
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && b[j] >= '0' && b[j] <= '9' {
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			end = j
		}
	}
	f, err := strconv.ParseFloat(string(b[start:end]), 64)
	if err != nil && !math.IsInf(f, 0) { // out of range still gives ±Inf or 0, as strtod
		return 0
	}
	return f
}

// atoiPrefix is C's atoi: leading spaces, a sign, digits; 0 when there are none.
func atoiPrefix(b []byte) int64 {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0') // wraps on overflow, like the int it stands for is undefined
	}
	if neg {
		n = -n
	}
	return n
}

var debugHelp = []string{
	"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"CONFIG-REWRITE-FORCE-ALL",
	"    Like CONFIG REWRITE but writes all configuration options, including",
	"    keywords not listed in original configuration file or default values.",
	"CRASH-AND-RECOVER [<milliseconds>]",
	"    Hard crash and restart after a <milliseconds> delay (default 0).",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"REPLICATE <string>",
	"    Replicates the provided string to replicas, allowing data divergence.",
	"MALLCTL <key> [<val>]",
	"    Get or set a malloc tuning integer.",
	"MALLCTL-STR <key> [<val>]",
	"    Get or set a malloc tuning string.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"RESTART [<milliseconds>]",
	"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
	"SDSLEN <key>",
	"    Show low level SDS string info representing `key` and value.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"CLIENT-EVICTION",
	"    Show low level client eviction pools info (maxmemory-clients).",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
	"CLUSTERLINK KILL <to|from|all> <node-id>",
	"    Kills the link based on the direction to/from (both) with the provided node.",
	"HELP",
	"    Prints this help.",
}
