package proctest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

var validReplies = []struct {
	name string
	raw  string
	want any
}{
	{"simple", "+OK\r\n", "OK"},
	{"error", "-ERR unknown command 'x'\r\n", Error("ERR unknown command 'x'")},
	{"int", ":-42\r\n", int64(-42)},
	{"bulk", "$3\r\nfoo\r\n", "foo"},
	{"bulk binary", "$4\r\na\r\nb\r\n", "a\r\nb"},
	{"empty bulk", "$0\r\n\r\n", ""},
	{"null bulk", "$-1\r\n", nil},
	{"null array", "*-1\r\n", nil},
	{"empty array", "*0\r\n", []any{}},
	{"nested", "*2\r\n*1\r\n:1\r\n$1\r\nx\r\n", []any{[]any{int64(1)}, "x"}},
	{"resp3 null", "_\r\n", nil},
	{"double", ",3.5\r\n", 3.5},
	{"double inf", ",-inf\r\n", math.Inf(-1)},
	{"bool", "#t\r\n", true},
	{"bignum", "(12345678901234567890\r\n", mustBig("12345678901234567890")},
	{"blob error", "!5\r\nERR x\r\n", Error("ERR x")},
	{"verbatim", "=8\r\ntxt:abcd\r\n", "abcd"},
	{"map", "%2\r\n+a\r\n:1\r\n+b\r\n*0\r\n", map[string]any{"a": int64(1), "b": []any{}}},
	{"set", "~1\r\n$1\r\nm\r\n", []any{"m"}},
	{"push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n", []any{"message", "ch", "x"}},
	{"attribute", "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", "v"},
	{"attribute nested", "*1\r\n|1\r\n+a\r\n+b\r\n:7\r\n", []any{int64(7)}},
}

func mustBig(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 10)
	return n
}

func TestReadRawValid(t *testing.T) {
	for _, tc := range validReplies {
		t.Run(tc.name, func(t *testing.T) {
			// Two replies back to back: ReadRaw must stop exactly at the end of the first.
			br := bufio.NewReaderSize(strings.NewReader(tc.raw+"+NEXT\r\n"), 16)
			got, err := ReadRaw(br)
			if err != nil || string(got) != tc.raw {
				t.Fatalf("ReadRaw = %q, %v; want %q", got, err, tc.raw)
			}
			if next, err := ReadRaw(br); err != nil || string(next) != "+NEXT\r\n" {
				t.Fatalf("second ReadRaw = %q, %v", next, err)
			}
			r, err := ParseReply([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Raw()) != tc.raw {
				t.Errorf("Raw() = %q, want %q", r.Raw(), tc.raw)
			}
			v := r.Value()
			if bw, ok := tc.want.(*big.Int); ok {
				if bv, ok := v.(*big.Int); !ok || bv.Cmp(bw) != 0 {
					t.Errorf("Value() = %#v, want %v", v, bw)
				}
			} else if !reflect.DeepEqual(v, tc.want) {
				t.Errorf("Value() = %#v, want %#v", v, tc.want)
			}
		})
	}
}

func TestReadRawInvalid(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "EOF"},
		{"+OK", "truncated at offset 0"},
		{"+OK\n", "malformed line"},
		{"$5\r\nab", "truncated at offset 4"},
		{"$2\r\nabcd\r\n", "not followed by CRLF"},
		{"$-2\r\n", "bad length"},
		{"$03\r\nabc\r\n", "bad length"},
		{"~-1\r\n", "bad length"},
		{"*2\r\n:1\r\n", "truncated at offset 8"},
		{":1x\r\n", "bad integer"},
		{"#x\r\n", "bad boolean"},
		{"_x\r\n", "null with payload"},
		{"(1.5\r\n", "bad big number"},
		{"?\r\n", "unknown reply type"},
		{"$?\r\n", "streamed"},
		{"$999999999999\r\n", "over"},
		{strings.Repeat("*1\r\n", 200) + ":1\r\n", "nesting deeper"},
		{"+" + strings.Repeat("a", maxLine) + "\r\n", "line longer"},
	} {
		_, err := ReadRaw(bufio.NewReader(strings.NewReader(tc.raw)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadRaw(%.40q) error = %v, want containing %q", tc.raw, err, tc.want)
		}
	}
	if _, err := ParseReply([]byte("+OK\r\n+X\r\n")); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("ParseReply with trailing bytes: %v", err)
	}
}

func TestEncodeCommand(t *testing.T) {
	got := string(EncodeCommand("SET", "k", "a\r\nb", ""))
	want := "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$0\r\n\r\n"
	if got != want {
		t.Errorf("EncodeCommand = %q, want %q", got, want)
	}
}

// FuzzReadRaw checks that any input gives a reply or an error (never a panic or hang), and
// that an accepted reply re-encodes to the same bytes.
func FuzzReadRaw(f *testing.F) {
	for _, tc := range validReplies {
		f.Add([]byte(tc.raw))
	}
	f.Add([]byte("*3\r\n$1\r\n"))
	f.Add([]byte("%1\r\n|1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := ReadRaw(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				t.Fatalf("plain EOF after reading %d bytes", len(raw))
			}
			return
		}
		r, err := ParseReply(raw)
		if err != nil {
			t.Fatalf("ParseReply(%q) after ReadRaw accepted it: %v", raw, err)
		}
		if !bytes.Equal(r.Raw(), raw) {
			t.Fatalf("Raw() = %q, want %q", r.Raw(), raw)
		}
		_ = r.Value()
	})
}
