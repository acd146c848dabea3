package rdb

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// expectedKey is one line of an *.expected.jsonl / *.file-content.jsonl.
type expectedKey struct {
	DB         int             `json:"db"`
	Key        json.RawMessage `json:"key"`
	Type       string          `json:"type"`
	Encoding   string          `json:"encoding"`
	EncAfter   string          `json:"encoding_after_load"`
	ExpireAtMs int64           `json:"expire_at_ms"`
	Value      json.RawMessage `json:"value"`
	RDBType    int             `json:"rdb_type"`
}

func decodeBstr(t testing.TB, raw json.RawMessage) []byte {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []byte(s)
	}
	var h struct{ Hex string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("bad bstr %s", raw)
	}
	b, err := hex.DecodeString(h.Hex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bstr renders bytes the way the corpus does.
func bstr(b []byte) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return map[string]any{"hex": hex.EncodeToString(b)}
}

type zpair struct {
	M string
	S float64
}

// canonical turns an expected JSON value into a comparable Go value.
func canonicalExpected(t testing.TB, typ string, raw json.RawMessage) any {
	t.Helper()
	var arr []json.RawMessage
	switch typ {
	case "string":
		return string(decodeBstr(t, raw))
	case "list", "set":
		if err := json.Unmarshal(raw, &arr); err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, r := range arr {
			out = append(out, string(decodeBstr(t, r)))
		}
		if typ == "set" {
			sort.Strings(out)
		}
		return out
	case "zset":
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal(raw, &pairs); err != nil {
			t.Fatal(err)
		}
		out := []zpair{}
		for _, p := range pairs {
			var s string
			json.Unmarshal(p[1], &s)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("score %q: %v", s, err)
			}
			out = append(out, zpair{string(decodeBstr(t, p[0])), f})
		}
		sortZ(out)
		return out
	case "hash":
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal(raw, &pairs); err != nil {
			t.Fatal(err)
		}
		out := [][2]string{}
		for _, p := range pairs {
			out = append(out, [2]string{string(decodeBstr(t, p[0])), string(decodeBstr(t, p[1]))})
		}
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
		return out
	case "stream":
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Fatalf("unexpected type %q", typ)
	return nil
}

func sortZ(z []zpair) {
	sort.Slice(z, func(i, j int) bool {
		if z[i].S != z[j].S {
			return z[i].S < z[j].S
		}
		return z[i].M < z[j].M
	})
}

// canonicalObject renders a decoded object like canonicalExpected.
func canonicalObject(o *Object) any {
	switch o.Kind {
	case KindString:
		return string(o.Str)
	case KindList, KindSet:
		src := o.List
		if o.Kind == KindSet {
			src = o.Set
		}
		out := []string{}
		for _, b := range src {
			out = append(out, string(b))
		}
		if o.Kind == KindSet {
			sort.Strings(out)
		}
		return out
	case KindZSet:
		out := []zpair{}
		for _, m := range o.ZSet {
			out = append(out, zpair{string(m.Member), m.Score})
		}
		sortZ(out)
		return out
	case KindHash:
		out := [][2]string{}
		for _, f := range o.Hash {
			out = append(out, [2]string{string(f.Name), string(f.Value)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
		return out
	case KindStream:
		b, err := json.Marshal(streamJSON(o.Stream))
		if err != nil {
			panic(err)
		}
		var v any
		json.Unmarshal(b, &v)
		return v
	}
	return nil
}

func streamJSON(s *Stream) map[string]any {
	entries := []any{}
	for _, e := range s.Entries {
		fs := []any{}
		for _, f := range e.Fields {
			fs = append(fs, []any{bstr(f.Name), bstr(f.Value)})
		}
		entries = append(entries, []any{e.ID.String(), fs})
	}
	groups := []any{}
	for _, g := range s.Groups {
		pending := []any{}
		for _, p := range g.Pending {
			pending = append(pending, []any{p.ID.String(), bstr(p.Consumer), p.DeliveryTime, p.DeliveryCount})
		}
		consumers := []any{}
		for _, c := range g.Consumers {
			cp := []any{}
			for _, id := range c.Pending {
				for _, p := range g.Pending {
					if p.ID == id {
						cp = append(cp, []any{id.String(), p.DeliveryTime, p.DeliveryCount})
					}
				}
			}
			consumers = append(consumers, map[string]any{"name": bstr(c.Name), "seen_time_ms": c.SeenTime, "pending": cp})
		}
		var er any
		if g.EntriesRead >= 0 {
			er = g.EntriesRead
		}
		groups = append(groups, map[string]any{"name": bstr(g.Name), "last_delivered_id": g.LastID.String(),
			"entries_read": er, "pending": pending, "consumers": consumers})
	}
	return map[string]any{"length": s.Length, "last_generated_id": s.LastID.String(),
		"max_deleted_entry_id": s.MaxDeletedID.String(), "entries_added": s.EntriesAdded,
		"recorded_first_entry_id": s.FirstID.String(), "listpack_nodes": s.Nodes,
		"entries": entries, "groups": groups}
}

func readExpected(t testing.TB, path string) []expectedKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []expectedKey
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e expectedKey
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DB != out[j].DB {
			return out[i].DB < out[j].DB
		}
		return bytes.Compare(decodeBstr(t, out[i].Key), decodeBstr(t, out[j].Key)) < 0
	})
	return out
}

// readAll decodes a whole file, returning entries sorted like the corpus.
func readAll(t testing.TB, path string) ([]*Entry, *Reader, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(bufio.NewReader(f))
	var out []*Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r, err
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DB != out[j].DB {
			return out[i].DB < out[j].DB
		}
		return bytes.Compare(out[i].Key, out[j].Key) < 0
	})
	return out, r, nil
}

// compareEntries checks got against the expected lines; checkEnc compares
// OBJECT ENCODING where the corpus gives a comparable one.
func compareEntries(t *testing.T, got []*Entry, want []expectedKey) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d keys, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		wk := decodeBstr(t, w.Key)
		name := fmt.Sprintf("db %d key %q", w.DB, wk)
		if g.DB != w.DB || !bytes.Equal(g.Key, wk) {
			t.Errorf("entry %d: got db %d key %q, want %s", i, g.DB, g.Key, name)
			continue
		}
		if g.Object.Kind.String() != w.Type {
			t.Errorf("%s: type %s, want %s", name, g.Object.Kind, w.Type)
			continue
		}
		if int(g.Object.RDBType) != w.RDBType {
			t.Errorf("%s: rdb type %d, want %d", name, g.Object.RDBType, w.RDBType)
		}
		if g.ExpireAt != w.ExpireAtMs {
			t.Errorf("%s: expire %d, want %d", name, g.ExpireAt, w.ExpireAtMs)
		}
		wantEnc := w.EncAfter
		if wantEnc == "" && w.Type != "string" {
			wantEnc = w.Encoding
		}
		if wantEnc != "" && g.Object.Encoding != wantEnc {
			t.Errorf("%s: encoding %s, want %s", name, g.Object.Encoding, wantEnc)
		}
		gv, wv := canonicalObject(&g.Object), canonicalExpected(t, w.Type, w.Value)
		if !reflect.DeepEqual(gv, wv) {
			gs, ws := fmt.Sprint(gv), fmt.Sprint(wv)
			t.Errorf("%s: value mismatch\n got %.600s\nwant %.600s", name, gs, ws)
		}
	}
}

// loadedLikeRedis applies what a master does on load: skip empty
// aggregates and keys already expired.
func loadedLikeRedis(es []*Entry) []*Entry {
	now := time.Now().UnixMilli()
	var out []*Entry
	for _, e := range es {
		if e.Object.IsEmpty() || (e.ExpireAt >= 0 && e.ExpireAt < now) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func corpusFiles(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"rdb/*.rdb", "rdb/legacy/*.rdb", "rdb/legacy/rdbtools/*.rdb"} {
		m, err := filepath.Glob(corpusPath(t, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d corpus files found", len(files))
	}
	return files
}

// refusedFiles are corpus files Redis refuses; the reader must too, with an
// error containing the given text.
var refusedFiles = map[string]string{
	"corrupt_ziplist.rdb":          "ziplist",
	"redis_40_with_module.rdb":     "ReJSON-RL",
	"redis_60_with_module_aux.rdb": "test__rdb",
}

func TestGoldenCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		base := strings.TrimSuffix(path, ".rdb")
		t.Run(strings.TrimPrefix(path, corpusPath(t, "rdb")+"/"), func(t *testing.T) {
			got, r, err := readAll(t, path)
			if want, ok := refusedFiles[filepath.Base(path)]; ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one mentioning %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(base + ".file-content.jsonl"); err == nil {
				t.Run("file-content", func(t *testing.T) {
					compareEntries(t, got, readExpected(t, base+".file-content.jsonl"))
				})
			}
			compareEntries(t, loadedLikeRedis(got), readExpected(t, base+".expected.jsonl"))
			checkFunctions(t, r, base+".expected-functions.json")
		})
	}
}

func checkFunctions(t *testing.T, r *Reader, path string) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if len(r.Functions()) != 0 {
			t.Errorf("unexpected functions %q", r.Functions())
		}
		return
	}
	var want struct {
		Libraries []struct{ Code string }
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got := r.Functions()
	if len(got) != len(want.Libraries) {
		t.Fatalf("got %d libraries, want %d", len(got), len(want.Libraries))
	}
	for i, l := range want.Libraries {
		if string(got[i]) != l.Code {
			t.Errorf("library %d: got %q, want %q", i, got[i], l.Code)
		}
	}
}

// Opcode-level facts the jsonl files do not carry.
func TestGoldenOpcodes(t *testing.T) {
	cases := []struct {
		file     string
		idle     int64
		freq     int
		noCRC    bool
		auxKey   string
		auxValue string
		version  int
	}{
		{"rdb/lru.rdb", 0, -1, false, "redis-ver", "7.0.15", 10},
		{"rdb/lfu.rdb", -1, 6, false, "redis-bits", "64", 10},
		{"rdb/nochecksum.rdb", -1, -1, true, "aof-base", "0", 10},
		{"rdb/legacy/scriptbackup.rdb", -1, -1, false, "repl-offset", "", 10},
		{"rdb/legacy/encodings.rdb", -1, -1, true, "", "", 4},
	}
	for _, c := range cases {
		got, r, err := readAll(t, corpusPath(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		for _, e := range got {
			if e.Idle != c.idle || e.Freq != c.freq {
				t.Errorf("%s %q: idle %d freq %d, want %d %d", c.file, e.Key, e.Idle, e.Freq, c.idle, c.freq)
			}
		}
		if r.ChecksumDisabled() != c.noCRC {
			t.Errorf("%s: ChecksumDisabled %v", c.file, r.ChecksumDisabled())
		}
		if v, _ := r.Version(); v != c.version {
			t.Errorf("%s: version %d, want %d", c.file, v, c.version)
		}
		if c.auxKey != "" {
			found := false
			for _, a := range r.Aux() {
				if string(a.Key) == c.auxKey && (c.auxValue == "" || string(a.Value) == c.auxValue) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: aux %s=%s missing in %q", c.file, c.auxKey, c.auxValue, r.Aux())
			}
		}
	}
}

var _ = math.Inf
