package rdb

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

type dumpCase struct {
	Key        string          `json:"key"`
	Type       string          `json:"type"`
	RDBType    int             `json:"rdb_type"`
	RDBVersion int             `json:"rdb_version"`
	PayloadHex string          `json:"payload_hex"`
	Value      json.RawMessage `json:"value"`
	Note       string          `json:"note"`
}

func loadPayloads(t testing.TB) []dumpCase {
	b, err := os.ReadFile(corpusPath(t, "rdb/dump/payloads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []dumpCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) < 50 {
		t.Fatalf("only %d payloads", len(cs))
	}
	return cs
}

func TestDumpPayloadsGolden(t *testing.T) {
	identical := 0
	for _, c := range loadPayloads(t) {
		p, err := hex.DecodeString(c.PayloadHex)
		if err != nil {
			t.Fatal(err)
		}
		o, err := DecodeDump(p)
		if err != nil {
			t.Errorf("%s (%s): %v (%s)", c.Key, c.Note, err, err.(*DumpError).Detail)
			continue
		}
		if int(o.RDBType) != c.RDBType || o.Kind.String() != c.Type {
			t.Errorf("%s: type %s/%d, want %s/%d", c.Key, o.Kind, o.RDBType, c.Type, c.RDBType)
		}
		want := canonicalExpected(t, c.Type, c.Value)
		if got := canonicalObject(&o); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: value mismatch\n got %.300v\nwant %.300v", c.Key, got, want)
		}
		// Our encoding must decode to the same value.
		enc := EncodeDump(&o)
		o2, err := DecodeDump(enc)
		if err != nil {
			t.Errorf("%s: re-encoded payload: %v", c.Key, err)
			continue
		}
		if got := canonicalObject(&o2); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: re-encoded value mismatch", c.Key)
		}
		if o2.RDBType != o.RDBType {
			t.Errorf("%s: re-encoded as type %d, Redis used %d", c.Key, o2.RDBType, o.RDBType)
		}
		if c.Note == "" && bytes.Equal(enc, p) {
			identical++
		}
	}
	// Same encoder choices and LZF as Redis: most payloads are byte-identical
	// (hashtable order and compressor state may differ for a few).
	if identical < 35 {
		t.Errorf("only %d payloads byte-identical to Redis's", identical)
	}
	t.Logf("%d payloads byte-identical", identical)
}

func TestRestoreErrorsGolden(t *testing.T) {
	b, err := os.ReadFile(corpusPath(t, "rdb/dump/restore-errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Case       string            `json:"case"`
		Args       []json.RawMessage `json:"args"`
		Reply      *string           `json:"reply"`
		ValueAfter json.RawMessage   `json:"value_after"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if len(c.Args) < 4 || c.Reply == nil {
			continue
		}
		n++
		payload := decodeBstr(t, c.Args[3])
		o, err := DecodeDump(payload)
		switch *c.Reply {
		case "-ERR " + ErrDumpPayload.Error():
			if !errors.Is(err, ErrDumpPayload) || "-ERR "+err.Error() != *c.Reply {
				t.Errorf("%s: got %v", c.Case, err)
			}
		case "-ERR " + ErrBadDataFormat.Error():
			if !errors.Is(err, ErrBadDataFormat) || "-ERR "+err.Error() != *c.Reply {
				t.Errorf("%s: got %v", c.Case, err)
			}
		default:
			// Other replies come from argument checks: the payload is fine.
			if err != nil {
				t.Errorf("%s: %v", c.Case, err)
				continue
			}
			if *c.Reply == "+OK" && c.ValueAfter != nil {
				if want := decodeBstr(t, c.ValueAfter); !bytes.Equal(o.Str, want) {
					t.Errorf("%s: value %q, want %q", c.Case, o.Str, want)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d RESTORE cases", n)
	}
}

func TestEncodeDumpKnown(t *testing.T) {
	cases := []struct {
		o    Object
		want string
	}{
		{Object{Kind: KindString, Str: []byte("hello world")}, "000b68656c6c6f20776f726c640a000bfc49b9a6c7a034"},
		{Object{Kind: KindString, Str: []byte("127")}, "00c07f0a000db5eb315254c514"},
		{Object{Kind: KindString, Str: []byte("")}, "00000a005d9b5c400f7fa2da"},
		{Object{Kind: KindString, Str: bytes.Repeat([]byte("a"), 21)}, ""},
	}
	for _, c := range cases {
		got := EncodeDump(&c.o)
		if c.want != "" && hex.EncodeToString(got) != c.want {
			t.Errorf("EncodeDump(%q) = %x, want %s", c.o.Str, got, c.want)
		}
		if c.want == "" && !bytes.HasPrefix(got, []byte{0x00, 0xc3, 0x06, 0x15, 0x01, 0x61, 0x61, 0xe0, 0x0a, 0x00}) {
			t.Errorf("21 x a: %x, want Redis's LZF bytes", got)
		}
	}
}
