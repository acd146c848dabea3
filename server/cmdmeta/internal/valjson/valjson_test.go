package valjson

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/server/resp"
)

func TestRoundTrip(t *testing.T) {
	v := resp.Value{Kind: resp.KindArray, Elems: []resp.Value{
		{Kind: resp.KindBulk, Str: "bulk \"quoted\" \\ <tag> \u00e9\r\n"},
		{Kind: resp.KindSimple, Str: "OK"},
		{Kind: resp.KindError, Str: "ERR x"},
		{Kind: resp.KindInt, Int: -9223372036854775808},
		{Kind: resp.KindNull},
		{Kind: resp.KindMap, Elems: []resp.Value{{Kind: resp.KindBulk, Str: "k"}, {Kind: resp.KindSet, Elems: []resp.Value{}}}},
		{Kind: resp.KindDouble, Float: 1.5},
		{Kind: resp.KindDouble, Float: math.Inf(-1)},
		{Kind: resp.KindBool, Int: 1},
		{Kind: resp.KindBool},
		{Kind: resp.KindVerbatim, Str: "v"},
		{Kind: resp.KindArray, Elems: []resp.Value{}},
	}}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, v)
	}
}

func TestMarshalRejects(t *testing.T) {
	bad := []resp.Value{
		{Kind: resp.KindBulk, Str: "\xff"},
		{Kind: resp.KindMap, Elems: []resp.Value{{Kind: resp.KindInt}}},
		{Kind: resp.Kind(99)},
	}
	for _, v := range bad {
		if _, err := Marshal(v); err == nil {
			t.Errorf("Marshal(%+v) succeeded", v)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	bad := []string{
		``, `[`, `[1,]`, `[1 2]`, `"abc`, `{"%":[1]}`, `{"?":1}`, `{"+":1}`, `{"#":1}`,
		`{"~":[]`, `{"~" []}`, `12x`, `1 2`, `nul`, `{",":"x"}`, `"\x"`, `-`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
	}
	for _, s := range bad {
		if v, err := Unmarshal([]byte(s)); err == nil {
			t.Errorf("Unmarshal(%.30q) = %+v, want error", s, v)
		} else if !strings.Contains(err.Error(), "valjson") {
			t.Errorf("Unmarshal(%.30q) error %q lacks context", s, err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`["a",1,null,{"%":["k",{"~":[{"+":"x"}]}]},{",":"1.5"},{"#":true}]`))
	f.Add([]byte(`"esc\"aped"`))
	f.Add([]byte(`{",":"NaN"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		if err != nil {
			return
		}
		b, err := Marshal(v)
		if err != nil {
			return // e.g. invalid UTF-8 inside a string
		}
		// Compare encodings, not values: NaN != NaN.
		v2, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("re-decode of %q: %v", b, err)
		}
		if b2, err := Marshal(v2); err != nil || string(b2) != string(b) {
			t.Fatalf("re-encode of %q gave %q, %v", b, b2, err)
		}
	})
}
