package aof

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/rdb"
)

// baseRewrite is the RESP base written by BGREWRITEAOF with
// aof-use-rdb-preamble no, as in single-file-plain (first 13 commands).
var baseRewrite = []string{
	"db0 SELECT 0",
	"db0 SET base:deleted-later x",
	"db0 SET base:ttl x",
	"db0 PEXPIREAT base:ttl 4102444800000",
	"db0 XADD base:stream 1-1 f v",
	"db0 XSETID base:stream 1-1 ENTRIESADDED 1 MAXDELETEDID 0-0",
	"db0 ZADD base:zset 1 one 2.5 two-and-half",
	`db0 SET base:string "from the base file"`,
	"db0 HMSET base:hash f v n 1",
	"db0 RPUSH base:list a b c",
	"db0 SADD base:set 1 2 3",
	"db1 SELECT 1",
	`db1 SET base:db1 "in db1"`,
}

// baseTimestamps is the base of multipart-aof-base-timestamps (same keys,
// another dict order; its #TS line is skipped).
var baseTimestamps = []string{
	"db0 SELECT 0",
	"db0 SET base:ttl x",
	"db0 PEXPIREAT base:ttl 4102444800000",
	"db0 HMSET base:hash f v n 1",
	"db0 XADD base:stream 1-1 f v",
	"db0 XSETID base:stream 1-1 ENTRIESADDED 1 MAXDELETEDID 0-0",
	"db0 SADD base:set 1 2 3",
	"db0 RPUSH base:list a b c",
	`db0 SET base:string "from the base file"`,
	"db0 ZADD base:zset 1 one 2.5 two-and-half",
	"db0 SET base:deleted-later x",
	"db1 SELECT 1",
	`db1 SET base:db1 "in db1"`,
}

// incrLog is the incr file of every directory; only the absolute times
// Redis computed differ between runs: ex, setex, expire, getex.
func incrLog(ex, setex, expire, getex string) []string {
	return []string{
		"db0 SELECT 0",
		`db0 SET incr:string "after rewrite"`,
		"db0 INCR incr:counter",
		"db0 INCRBY incr:counter 41",
		`db0 APPEND base:string " + appended"`,
		"db0 SET incr:ex v PXAT " + ex,
		"db0 SET incr:setex v PXAT " + setex,
		"db0 SET incr:expire v",
		"db0 PEXPIREAT incr:expire " + expire,
		"db0 SET incr:float 1.5",
		"db0 SET incr:float 1.75 KEEPTTL",
		"db0 RPUSH base:list d",
		"db0 LPOP base:list",
		"db0 SADD incr:spop only",
		"db0 SREM incr:spop only",
		"db0 ZINCRBY base:zset 10 one",
		"db0 HDEL base:hash n",
		"db0 HINCRBY base:hash counter 7",
		"db0 XADD base:stream 2-1 g w",
		"db0 DEL base:deleted-later",
		"TXN{db0 SET incr:multi1 a | db0 SET incr:multi2 b}",
		"TXN{db0 SET incr:lua from-lua | db0 INCR incr:luacount}",
		"db2 SELECT 2",
		`db2 SET incr:db2 "in db2"`,
		"db0 SELECT 0",
		"db0 SET incr:getex v",
		"db0 PEXPIREAT incr:getex " + getex,
		`db0 SET incr:binary "\x00\xff\r\n"`,
		"db0 RENAME incr:string incr:renamed",
	}
}

var (
	plainLog    = slices.Concat(baseRewrite, incrLog("3795305004006", "3795305004006", "3795305004007", "3795305004010"))
	rdbBaseIncr = incrLog("3795305002826", "3795305002827", "3795305002827", "3795305002831")
)

type corpusCase struct {
	dir       string
	multipart bool   // LoadDir on dir/appendonlydir; else LoadFile on dir/file
	file      string // single-file name (default appendonly.aof)
	want      []string
	files     []string // Result.Files
	rdbKeys   []int    // keys loaded by each RDB hook call
	offsets   []int64  // Offset of the first entry of each file, in order
	end       int64    // End of the last entry (0: not checked)
	trunc     *Truncation
	strictErr error // error kind without LoadTruncated (nil: same result)
	err       error // error kind with LoadTruncated
	errOffset int64
	keysLike  string // expected.jsonl whose key set is RDB keys + keys written by want
}

var corpusCases = []corpusCase{
	{dir: "single-file-plain", want: plainLog, files: []string{"appendonly.aof"}, offsets: []int64{0}, end: 2030},
	{dir: "single-file-rdb-preamble", want: rdbBaseIncr, files: []string{"appendonly.aof"}, rdbKeys: []int{9}, offsets: []int64{391}, end: 1765},
	{dir: "multipart-rdb-base", multipart: true, want: rdbBaseIncr,
		files: []string{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof"}, rdbKeys: []int{9}, offsets: []int64{0}, end: 1374},
	{dir: "multipart-aof-base-timestamps", multipart: true,
		want:  slices.Concat(baseTimestamps, incrLog("3795305003152", "3795305003152", "3795305003153", "3795305003156")),
		files: []string{"appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof"}, offsets: []int64{16, 16}, end: 1390},
	{dir: "multipart-with-history", multipart: true, want: []string{"db0 SELECT 0", "db0 SET after:second-rewrite yes"},
		files: []string{"appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof"}, rdbKeys: []int{21}, offsets: []int64{0}, end: 72,
		keysLike: "multipart-with-history/expected.jsonl"},
	{dir: "legacy", file: "rdb-preamble.aof", want: []string{"db0 SELECT 0", "db0 set k3 v3"}, files: []string{"rdb-preamble.aof"},
		rdbKeys: []int{2}, offsets: []int64{117}, end: 169, keysLike: "legacy/rdb-preamble.expected.jsonl"},
	{dir: "truncated", want: plainLog, files: []string{"appendonly.aof"}, offsets: []int64{0}, end: 2030,
		trunc:     &Truncation{File: "appendonly.aof", Size: 2074, ValidLen: 2030, RedisLen: 2030, Incomplete: true},
		strictErr: ErrUnexpectedEOF, errOffset: 2074},
	{dir: "truncated-multi", want: plainLog, files: []string{"appendonly.aof"}, offsets: []int64{0}, end: 2030,
		trunc:     &Truncation{File: "appendonly.aof", Size: 2120, ValidLen: 2030, RedisLen: 2030, Dropped: 2},
		strictErr: ErrUnexpectedEOF, errOffset: 2120},
	{dir: "truncated-preamble", files: []string{"appendonly.aof"}, err: ErrRDB, strictErr: ErrRDB, errOffset: 200},
	{dir: "bad-format", want: plainLog, files: []string{"appendonly.aof"}, offsets: []int64{0}, end: 2030,
		err: ErrBadFormat, strictErr: ErrBadFormat, errOffset: 2062},
}

func TestCorpusCoversEveryDirectory(t *testing.T) {
	root := testdata(t)
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if !slices.ContainsFunc(corpusCases, func(c corpusCase) bool { return c.dir == e.Name() }) {
			t.Errorf("corpus directory %s has no golden case", e.Name())
		}
	}
}

func TestCorpus(t *testing.T) {
	root := testdata(t)
	for _, c := range corpusCases {
		for _, truncated := range []bool{true, false} {
			name := c.dir + "/truncated=no"
			if truncated {
				name = c.dir + "/truncated=yes"
			}
			t.Run(name, func(t *testing.T) { checkCorpusCase(t, root, c, truncated) })
		}
	}
}

func checkCorpusCase(t *testing.T, root string, c corpusCase, truncated bool) {
	var keys rdbKeys
	opts := Options{RDB: keys.hook, LoadTruncated: truncated}
	var es []Entry
	fn := func(e Entry) error { es = append(es, e); return nil }
	var res *Result
	var err error
	if c.multipart {
		res, err = LoadDir(filepath.Join(root, c.dir, "appendonlydir"), opts, fn)
	} else {
		file := c.file
		if file == "" {
			file = "appendonly.aof"
		}
		res, err = LoadFile(filepath.Join(root, c.dir, file), opts, fn)
	}

	wantErr, wantTrunc := c.err, c.trunc
	if !truncated {
		wantErr, wantTrunc = c.strictErr, nil
	}
	if wantErr != nil {
		var e *Error
		if !errors.Is(err, wantErr) || !errors.As(err, &e) {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if e.Offset != c.errOffset {
			t.Errorf("error offset = %d, want %d (%v)", e.Offset, c.errOffset, err)
		}
		if e.File != "appendonly.aof" {
			t.Errorf("error file = %q", e.File)
		}
		switch wantErr {
		case ErrBadFormat:
			if !strings.HasPrefix(err.Error(), "Bad file format reading the append only file appendonly.aof at offset 2062") {
				t.Errorf("message %q", err)
			}
		case ErrUnexpectedEOF:
			if !strings.HasPrefix(err.Error(), "Unexpected end of file reading the append only file appendonly.aof") {
				t.Errorf("message %q", err)
			}
		case ErrRDB:
			// The hook's own error passes through.
			var re *rdb.Error
			if !errors.As(err, &re) {
				t.Errorf("RDB hook error not wrapped: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "Error reading the RDB preamble of the AOF file appendonly.aof, AOF loading aborted: ") {
				t.Errorf("message %q", err)
			}
		}
		if wantErr == ErrUnexpectedEOF {
			return // entries delivered before the error are the caller's to discard
		}
	} else if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}

	if got := renderAll(es); !slices.Equal(got, c.want) {
		t.Errorf("entries differ:\n got %d: %q\nwant %d: %q", len(got), got, len(c.want), c.want)
	}
	if !slices.Equal(res.Files, c.files) {
		t.Errorf("files = %q, want %q", res.Files, c.files)
	}
	var rdbCounts []int
	for _, k := range keys.calls {
		rdbCounts = append(rdbCounts, len(k))
	}
	if !slices.Equal(rdbCounts, c.rdbKeys) {
		t.Errorf("RDB hook calls loaded %v keys, want %v", rdbCounts, c.rdbKeys)
	}
	if wantTrunc == nil && res.Truncated != nil {
		t.Errorf("unexpected truncation %+v", res.Truncated)
	}
	if wantTrunc != nil && (res.Truncated == nil || *res.Truncated != *wantTrunc) {
		t.Errorf("truncation = %+v, want %+v", res.Truncated, wantTrunc)
	}
	if res.Commands != countCmds(es) || res.Entries != len(es) {
		t.Errorf("result counts %d/%d, delivered %d/%d", res.Entries, res.Commands, len(es), countCmds(es))
	}
	checkOffsets(t, es, c.offsets, c.end)
	if c.keysLike != "" {
		checkKeySet(t, filepath.Join(root, c.keysLike), keys.calls, es)
	}
}

func countCmds(es []Entry) int {
	n := 0
	for _, e := range es {
		n += len(e.Cmds)
	}
	return n
}

// checkOffsets: offsets strictly increase within a file, each Entry spans
// its commands, the first entry of each file starts where wanted.
func checkOffsets(t *testing.T, es []Entry, first []int64, end int64) {
	t.Helper()
	var firsts []int64
	file := ""
	var prevEnd int64
	for _, e := range es {
		if e.File != file {
			file, prevEnd = e.File, 0
			firsts = append(firsts, e.Offset)
		}
		if e.Offset < prevEnd || e.End <= e.Offset {
			t.Errorf("%s: entry [%d,%d) after end %d", e.File, e.Offset, e.End, prevEnd)
		}
		for _, c := range e.Cmds {
			if c.Offset <= e.Offset && e.Txn || c.Offset < e.Offset || c.Offset >= e.End {
				t.Errorf("%s: command at %d outside entry [%d,%d)", e.File, c.Offset, e.Offset, e.End)
			}
		}
		prevEnd = e.End
	}
	if len(es) > 0 && !slices.Equal(firsts, first) {
		t.Errorf("first offsets per file = %v, want %v", firsts, first)
	}
	if end != 0 && len(es) > 0 && es[len(es)-1].End != end {
		t.Errorf("last entry ends at %d, want %d", es[len(es)-1].End, end)
	}
}

// checkKeySet: for files whose RESP part only creates string keys, the keys
// of expected.jsonl are the RDB's plus those SET by the commands.
func checkKeySet(t *testing.T, expected string, rdbCalls [][]string, es []Entry) {
	t.Helper()
	data, err := os.ReadFile(expected)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var row struct {
			DB  int    `json:"db"`
			Key string `json:"key"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		want = append(want, strings.Join([]string{strconv.Itoa(row.DB), row.Key}, "/"))
	}
	var got []string
	for _, c := range rdbCalls {
		got = append(got, c...)
	}
	for _, e := range es {
		for _, c := range e.Cmds {
			if strings.EqualFold(string(c.Argv[0]), "SET") {
				got = append(got, strconv.Itoa(c.DB)+"/"+string(c.Argv[1]))
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("key set:\n got %q\nwant %q", got, want)
	}
}
