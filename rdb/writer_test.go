package rdb

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sampleEntries covers every kind and both small and large size classes.
func sampleEntries() []*Entry {
	var big [][]byte
	var bigHash []Field
	var bigZ []ZMember
	var ints [][]byte
	for i := 0; i < 3000; i++ {
		big = append(big, []byte("element-"+strconv.Itoa(i)+strings.Repeat("x", i%50)))
		bigHash = append(bigHash, Field{[]byte("f" + strconv.Itoa(i)), []byte(strconv.Itoa(i * 7))})
		bigZ = append(bigZ, ZMember{[]byte("m" + strconv.Itoa(i)), float64(i) / 3})
	}
	for i := -300; i < 300; i++ {
		ints = append(ints, []byte(strconv.Itoa(i*1000003)))
	}
	var entries []StreamEntry
	for i := 0; i < 250; i++ {
		f := []Field{{[]byte("a"), []byte(strconv.Itoa(i))}}
		if i%7 == 0 {
			f = append(f, Field{[]byte("extra"), []byte("v")})
		}
		entries = append(entries, StreamEntry{ID: StreamID{uint64(1000 + i), uint64(i % 3)}, Fields: f})
	}
	stream := &Stream{
		Entries: entries, Length: 250, LastID: StreamID{1249, 1}, FirstID: StreamID{1000, 0},
		MaxDeletedID: StreamID{5, 0}, EntriesAdded: 260,
		Groups: []StreamGroup{
			{Name: []byte("g1"), LastID: StreamID{1002, 2}, EntriesRead: 3,
				Pending: []StreamPending{
					{ID: StreamID{1000, 0}, Consumer: []byte("alice"), DeliveryTime: 1700000000000, DeliveryCount: 2},
					{ID: StreamID{1001, 1}, Consumer: []byte("bob"), DeliveryTime: 1700000000001, DeliveryCount: 1},
				},
				Consumers: []StreamConsumer{
					{Name: []byte("alice"), SeenTime: 1700000000100, ActiveTime: 1700000000100, Pending: []StreamID{{1000, 0}}},
					{Name: []byte("bob"), SeenTime: 1700000000200, ActiveTime: 1700000000200, Pending: []StreamID{{1001, 1}}},
				}},
			{Name: []byte("g2"), EntriesRead: -1},
		},
	}
	bs := func(ss ...string) [][]byte {
		var out [][]byte
		for _, s := range ss {
			out = append(out, []byte(s))
		}
		return out
	}
	return []*Entry{
		{Key: []byte("s:small"), Object: Object{Kind: KindString, Str: []byte("hello")}},
		{Key: []byte("s:int"), Object: Object{Kind: KindString, Str: []byte("-123456")}},
		{Key: []byte("s:bigint"), Object: Object{Kind: KindString, Str: []byte("9223372036854775807")}},
		{Key: []byte("s:empty"), Object: Object{Kind: KindString, Str: []byte{}}},
		{Key: []byte("s:large"), Object: Object{Kind: KindString, Str: bytes.Repeat([]byte("abcdefgh"), 5000)}},
		{Key: []byte("12345"), Object: Object{Kind: KindString, Str: []byte("int key")}, ExpireAt: 4102444800000},
		{Key: []byte("a key long enough to be compressed aaaaaaaaaaaa"), Object: Object{Kind: KindString, Str: []byte("x")}},
		{Key: []byte("l:small"), Object: Object{Kind: KindList, List: bs("a", "1", "-5000", "", "\x00\xff")}},
		{Key: []byte("l:large"), Object: Object{Kind: KindList, List: big}},
		{Key: []byte("l:hugeelem"), Object: Object{Kind: KindList, List: [][]byte{bytes.Repeat([]byte("z"), 20000), []byte("b")}}},
		{Key: []byte("set:ints"), Object: Object{Kind: KindSet, Set: bs("3", "-9223372036854775808", "70000", "1")}},
		{Key: []byte("set:bigints"), Object: Object{Kind: KindSet, Set: ints}},
		{Key: []byte("set:strs"), Object: Object{Kind: KindSet, Set: bs("a", "b", "007")}},
		{Key: []byte("set:large"), Object: Object{Kind: KindSet, Set: big}},
		{Key: []byte("z:small"), Object: Object{Kind: KindZSet, ZSet: []ZMember{{[]byte("a"), 1.5}, {[]byte("b"), math.Inf(-1)}, {[]byte("c"), math.Inf(1)}, {[]byte("d"), 0.1}, {[]byte("e"), 1e300}, {[]byte("f"), -3}}}},
		{Key: []byte("z:large"), Object: Object{Kind: KindZSet, ZSet: bigZ}},
		{Key: []byte("h:small"), Object: Object{Kind: KindHash, Hash: []Field{{[]byte("f"), []byte("v")}, {[]byte("n"), []byte("12")}, {[]byte(""), []byte("")}}}},
		{Key: []byte("h:large"), Object: Object{Kind: KindHash, Hash: bigHash}},
		{Key: []byte("h:longval"), Object: Object{Kind: KindHash, Hash: []Field{{[]byte("f"), bytes.Repeat([]byte("v"), 100)}}}},
		{Key: []byte("st:large"), Object: Object{Kind: KindStream, Stream: stream}},
		{Key: []byte("st:empty"), Object: Object{Kind: KindStream, Stream: &Stream{LastID: StreamID{5, 5}, Groups: []StreamGroup{{Name: []byte("g"), EntriesRead: -1}}}}},
		{DB: 3, Key: []byte("other-db"), Object: Object{Kind: KindString, Str: []byte("x")}, Idle: 77},
		{DB: 3, Key: []byte("lfu"), Object: Object{Kind: KindString, Str: []byte("y")}, Freq: 9},
	}
}

func normalize(es []*Entry) {
	for _, e := range es {
		if e.ExpireAt == 0 {
			e.ExpireAt = -1
		}
		if e.Idle == 0 {
			e.Idle = -1
		}
		if e.Freq == 0 {
			e.Freq = -1
		}
		if s := e.Object.Stream; s != nil {
			s.Length = uint64(len(s.Entries))
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	for _, version := range []int{10, 11} {
		for _, compress := range []bool{true, false} {
			want := sampleEntries()
			normalize(want)
			var buf bytes.Buffer
			w := NewWriter(&buf, version)
			w.Compress = compress
			w.WriteStandardAux(12345, false)
			w.WriteFunction([]byte("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
			w.SelectDB(0, uint64(len(want)-1), 1)
			for _, e := range want {
				if err := w.WriteEntry(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r := NewReader(bytes.NewReader(buf.Bytes()))
			var got []*Entry
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("v%d compress=%v: %v", version, compress, err)
				}
				got = append(got, e)
			}
			if v, _ := r.Version(); v != version {
				t.Errorf("version %d", v)
			}
			if len(r.Functions()) != 1 || len(r.Aux()) != 5 || r.ChecksumDisabled() {
				t.Errorf("functions %d aux %d", len(r.Functions()), len(r.Aux()))
			}
			if len(got) != len(want) {
				t.Fatalf("got %d entries, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.DB != w.DB || !bytes.Equal(g.Key, w.Key) || g.ExpireAt != w.ExpireAt || g.Idle != w.Idle || g.Freq != w.Freq {
					t.Errorf("v%d entry %d: got %v, want %v", version, i, g, w)
				}
				if w.Object.Stream != nil && g.Object.Stream != nil {
					w.Object.Stream.Nodes = g.Object.Stream.Nodes // informational
				}
				gv, wv := canonicalObject(&g.Object), canonicalObject(&w.Object)
				if !reflect.DeepEqual(gv, wv) {
					t.Errorf("v%d %q: value mismatch\n got %.300s\nwant %.300s", version, w.Key, fmt.Sprint(gv), fmt.Sprint(wv))
				}
				if w.Object.Kind == KindStream {
					gs, ws := g.Object.Stream, w.Object.Stream
					if gs.FirstID != ws.FirstID || gs.MaxDeletedID != ws.MaxDeletedID || gs.EntriesAdded != ws.EntriesAdded {
						t.Errorf("v%d %q: stream metadata %+v", version, w.Key, gs)
					}
					for gi := range gs.Groups {
						for ci, c := range gs.Groups[gi].Consumers {
							if c.ActiveTime != ws.Groups[gi].Consumers[ci].ActiveTime {
								t.Errorf("v%d %q: active time %d", version, w.Key, c.ActiveTime)
							}
						}
					}
				}
			}
			// Encodings chosen as Redis would.
			types := map[string]byte{}
			for _, e := range got {
				types[string(e.Key)] = e.Object.RDBType
			}
			setStrs := byte(TypeSet)
			stream := byte(TypeStreamListpacks2)
			if version == 11 {
				setStrs, stream = TypeSetListpack, TypeStreamListpacks3
			}
			for k, want := range map[string]byte{
				"s:small": TypeString, "l:small": TypeListQuicklist2, "set:ints": TypeSetIntset,
				"set:bigints": TypeSet, "set:strs": setStrs, "set:large": TypeSet, "z:small": TypeZSetListpack,
				"z:large": TypeZSet2, "h:small": TypeHashListpack, "h:large": TypeHash, "h:longval": TypeHash,
				"st:large": stream,
			} {
				if types[k] != want {
					t.Errorf("v%d %s: type %d, want %d", version, k, types[k], want)
				}
			}
		}
	}
}

func TestWriterRejects(t *testing.T) {
	if err := NewWriter(io.Discard, 9).Close(); err == nil {
		t.Error("version 9 accepted")
	}
	w := NewWriter(io.Discard, 0)
	if err := w.WriteEntry(&Entry{Key: []byte("k"), Object: Object{Kind: Kind(42)}}); err == nil {
		t.Error("unknown kind accepted")
	}
}
