// Package persisttest holds what the persistence tests share: the corpus's expected.jsonl
// format read into comparable records, the same records made from rdb.Objects, and a whole
// server's contents read over RESP (SCAN + DUMP + PEXPIRETIME) — which works the same against
// slotdb and a real redis-server.
package persisttest

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slotdb/slotdb/rdb"
)

// Record is one key, normalized: Value is canonical JSON text of the value (sets and hashes
// sorted, scores as shortest floats with -0 as 0, stream node counts left out), so two
// records are equal when their fields are.
type Record struct {
	DB       int
	Key      string
	Type     string
	ExpireAt int64 // -1 = none
	Value    string
}

func (r Record) String() string {
	return fmt.Sprintf("db=%d key=%q type=%s expire=%d value=%.300s", r.DB, r.Key, r.Type, r.ExpireAt, r.Value)
}

// TestdataDir returns <repo root>/../shared/testdata, failing when it is missing.
func TestdataDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
	td := filepath.Join(dir, "..", "shared", "testdata")
	if st, err := os.Stat(td); err != nil || !st.IsDir() {
		return "", fmt.Errorf("testdata directory %s is missing", td)
	}
	return td, nil
}

// bstr decodes the corpus's binary-safe string: a JSON string or {"hex": ...}.
func bstr(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		h, _ := x["hex"].(string)
		b, err := hex.DecodeString(h)
		return string(b), err
	}
	return "", fmt.Errorf("not a bstr: %v", v)
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// ReadExpected reads an expected.jsonl file, sorted by db then key.
func ReadExpected(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		r, err := fromJSON(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	Sort(out)
	return out, sc.Err()
}

func fromJSON(m map[string]any) (Record, error) {
	key, err := bstr(m["key"])
	if err != nil {
		return Record{}, err
	}
	r := Record{DB: int(num(m["db"])), Key: key, Type: m["type"].(string), ExpireAt: num(m["expire_at_ms"])}
	o := rdb.Object{}
	v := m["value"]
	switch r.Type {
	case "string":
		o.Kind = rdb.KindString
		s, err := bstr(v)
		if err != nil {
			return r, err
		}
		o.Str = []byte(s)
	case "list", "set":
		o.Kind = rdb.KindList
		if r.Type == "set" {
			o.Kind = rdb.KindSet
		}
		for _, e := range v.([]any) {
			s, err := bstr(e)
			if err != nil {
				return r, err
			}
			if o.Kind == rdb.KindList {
				o.List = append(o.List, []byte(s))
			} else {
				o.Set = append(o.Set, []byte(s))
			}
		}
	case "zset":
		o.Kind = rdb.KindZSet
		for _, e := range v.([]any) {
			p := e.([]any)
			s, err := bstr(p[0])
			if err != nil {
				return r, err
			}
			f, err := strconv.ParseFloat(p[1].(string), 64)
			if err != nil {
				return r, err
			}
			o.ZSet = append(o.ZSet, rdb.ZMember{Member: []byte(s), Score: f})
		}
	case "hash":
		o.Kind = rdb.KindHash
		for _, e := range v.([]any) {
			p := e.([]any)
			a, err1 := bstr(p[0])
			b, err2 := bstr(p[1])
			if err1 != nil || err2 != nil {
				return r, fmt.Errorf("bad hash field")
			}
			o.Hash = append(o.Hash, rdb.Field{Name: []byte(a), Value: []byte(b)})
		}
	case "stream":
		o.Kind = rdb.KindStream
		st, err := streamFromJSON(v.(map[string]any))
		if err != nil {
			return r, err
		}
		o.Stream = st
	default:
		return r, fmt.Errorf("unknown type %q", r.Type)
	}
	r.Value = Value(&o)
	return r, nil
}

func parseID(v any) rdb.StreamID {
	s, _ := v.(string)
	ms, seq, _ := strings.Cut(s, "-")
	a, _ := strconv.ParseUint(ms, 10, 64)
	b, _ := strconv.ParseUint(seq, 10, 64)
	return rdb.StreamID{Ms: a, Seq: b}
}

func streamFromJSON(m map[string]any) (*rdb.Stream, error) {
	st := &rdb.Stream{
		Length: uint64(num(m["length"])), LastID: parseID(m["last_generated_id"]),
		MaxDeletedID: parseID(m["max_deleted_entry_id"]), EntriesAdded: uint64(num(m["entries_added"])),
		FirstID: parseID(m["recorded_first_entry_id"]),
	}
	for _, e := range m["entries"].([]any) {
		p := e.([]any)
		en := rdb.StreamEntry{ID: parseID(p[0])}
		for _, f := range p[1].([]any) {
			fv := f.([]any)
			a, _ := bstr(fv[0])
			b, _ := bstr(fv[1])
			en.Fields = append(en.Fields, rdb.Field{Name: []byte(a), Value: []byte(b)})
		}
		st.Entries = append(st.Entries, en)
	}
	for _, g := range m["groups"].([]any) {
		gm := g.(map[string]any)
		name, _ := bstr(gm["name"])
		sg := rdb.StreamGroup{Name: []byte(name), LastID: parseID(gm["last_delivered_id"]), EntriesRead: -1}
		if gm["entries_read"] != nil {
			sg.EntriesRead = num(gm["entries_read"])
		}
		for _, p := range gm["pending"].([]any) {
			pa := p.([]any)
			c, _ := bstr(pa[1])
			sg.Pending = append(sg.Pending, rdb.StreamPending{ID: parseID(pa[0]), Consumer: []byte(c),
				DeliveryTime: num(pa[2]), DeliveryCount: uint64(num(pa[3]))})
		}
		for _, c := range gm["consumers"].([]any) {
			cm := c.(map[string]any)
			cn, _ := bstr(cm["name"])
			sc := rdb.StreamConsumer{Name: []byte(cn), SeenTime: num(cm["seen_time_ms"])}
			for _, p := range cm["pending"].([]any) {
				sc.Pending = append(sc.Pending, parseID(p.([]any)[0]))
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		st.Groups = append(st.Groups, sg)
	}
	return st, nil
}

// FromObject makes a record from a decoded value (expireAt <= 0: none).
func FromObject(db int, key []byte, o *rdb.Object, expireAt int64) Record {
	if expireAt <= 0 {
		expireAt = -1
	}
	return Record{DB: db, Key: string(key), Type: o.Kind.String(), ExpireAt: expireAt, Value: Value(o)}
}

// jstr renders bytes as JSON text: the string when it is valid UTF-8, else hex.
func jstr(b []byte) string {
	if utf8.Valid(b) {
		q, _ := json.Marshal(string(b))
		return string(q)
	}
	return `{"hex":"` + hex.EncodeToString(b) + `"}`
}

func score(f float64) string {
	if f == 0 {
		f = 0 // -0 compares equal to 0, as in Redis
	}
	switch {
	case math.IsInf(f, 1):
		return `"inf"`
	case math.IsInf(f, -1):
		return `"-inf"`
	}
	return `"` + strconv.FormatFloat(f, 'g', 17, 64) + `"`
}

// Value is the canonical text of o's value.
func Value(o *rdb.Object) string {
	var b strings.Builder
	list := func(items [][]byte, sorted bool) {
		ss := make([]string, len(items))
		for i, it := range items {
			ss[i] = string(it)
		}
		if sorted {
			sort.Strings(ss)
		}
		b.WriteByte('[')
		for i, s := range ss {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jstr([]byte(s)))
		}
		b.WriteByte(']')
	}
	switch o.Kind {
	case rdb.KindString:
		b.WriteString(jstr(o.Str))
	case rdb.KindList:
		list(o.List, false)
	case rdb.KindSet:
		list(o.Set, true)
	case rdb.KindZSet:
		ms := append([]rdb.ZMember(nil), o.ZSet...)
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Score != ms[j].Score {
				return ms[i].Score < ms[j].Score
			}
			return string(ms[i].Member) < string(ms[j].Member)
		})
		b.WriteByte('[')
		for i, m := range ms {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[" + jstr(m.Member) + "," + score(m.Score) + "]")
		}
		b.WriteByte(']')
	case rdb.KindHash:
		fs := append([]rdb.Field(nil), o.Hash...)
		sort.Slice(fs, func(i, j int) bool { return string(fs[i].Name) < string(fs[j].Name) })
		b.WriteByte('[')
		for i, f := range fs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[" + jstr(f.Name) + "," + jstr(f.Value) + "]")
		}
		b.WriteByte(']')
	case rdb.KindStream:
		b.WriteString(streamValue(o.Stream))
	}
	return b.String()
}

func streamValue(st *rdb.Stream) string {
	if st == nil {
		st = &rdb.Stream{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"length":%d,"last":"%s","max_deleted":"%s","added":%d,"first":"%s","entries":[`,
		len(st.Entries), st.LastID, st.MaxDeletedID, st.EntriesAdded, st.FirstID)
	for i, en := range st.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `["%s",[`, en.ID)
		for j, f := range en.Fields {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[" + jstr(f.Name) + "," + jstr(f.Value) + "]")
		}
		b.WriteString("]]")
	}
	b.WriteString(`],"groups":[`)
	gs := append([]rdb.StreamGroup(nil), st.Groups...)
	sort.Slice(gs, func(i, j int) bool { return string(gs[i].Name) < string(gs[j].Name) })
	for i, g := range gs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":%s,"last":"%s","read":%d,"pending":[`, jstr(g.Name), g.LastID, g.EntriesRead)
		ps := append([]rdb.StreamPending(nil), g.Pending...)
		sort.Slice(ps, func(i, j int) bool {
			return ps[i].ID.Ms < ps[j].ID.Ms || ps[i].ID.Ms == ps[j].ID.Ms && ps[i].ID.Seq < ps[j].ID.Seq
		})
		for j, p := range ps {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `["%s",%s,%d,%d]`, p.ID, jstr(p.Consumer), p.DeliveryTime, p.DeliveryCount)
		}
		b.WriteString(`],"consumers":[`)
		cs := append([]rdb.StreamConsumer(nil), g.Consumers...)
		sort.Slice(cs, func(i, j int) bool { return string(cs[i].Name) < string(cs[j].Name) })
		for j, c := range cs {
			if j > 0 {
				b.WriteByte(',')
			}
			ids := make([]string, len(c.Pending))
			for k, id := range c.Pending {
				ids[k] = `"` + id.String() + `"`
			}
			sort.Strings(ids)
			fmt.Fprintf(&b, `{"name":%s,"seen":%d,"pending":[%s]}`, jstr(c.Name), c.SeenTime, strings.Join(ids, ","))
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return b.String()
}

// Sort orders records by db, then key bytes.
func Sort(rs []Record) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].DB != rs[j].DB {
			return rs[i].DB < rs[j].DB
		}
		return rs[i].Key < rs[j].Key
	})
}

// Diff lists the differences between two sorted record sets (empty when equal).
func Diff(want, got []Record) []string {
	var out []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j >= len(got) || i < len(want) && (want[i].DB < got[j].DB || want[i].DB == got[j].DB && want[i].Key < got[j].Key):
			out = append(out, "missing: "+want[i].String())
			i++
		case i >= len(want) || want[i].DB > got[j].DB || want[i].DB == got[j].DB && want[i].Key > got[j].Key:
			out = append(out, "unexpected: "+got[j].String())
			j++
		default:
			if want[i] != got[j] {
				out = append(out, "differs:\n  want "+want[i].String()+"\n  got  "+got[j].String())
			}
			i++
			j++
		}
	}
	return out
}
