package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func read(t *testing.T, in string, lim Limits) ([][]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var out [][]string
	for {
		args, err := r.ReadCommand(lim)
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		var s []string
		for _, a := range args {
			s = append(s, string(a))
		}
		out = append(out, s)
	}
}

func TestReadCommands(t *testing.T) {
	lim := Limits{MaxBulk: 512 << 20}
	cases := []struct {
		in   string
		want string
	}{
		{"*1\r\n$4\r\nPING\r\n", "[[PING]]"},
		{"*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "[[GET ]]"},
		{"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", "[[PING]]"}, // empty multibulks are skipped
		{"PING\r\n", "[[PING]]"},
		{"PING\n", "[[PING]]"},
		{"\r\n\r\nPING\r\n", "[[PING]]"},
		{"set k \"a b\\x41\\n\"\r\n", "[[set k a bA\n]]"},
		{"set k 'it\\'s'\r\n", "[[set k it's]]"},
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n", "[[GET k] [PING]]"},
	}
	for _, c := range cases {
		got, err := read(t, c.in, lim)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if fmtArgs(got) != c.want {
			t.Errorf("%q: got %s, want %s", c.in, fmtArgs(got), c.want)
		}
	}
}

func fmtArgs(a [][]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, cmd := range a {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("[" + strings.Join(cmd, " ") + "]")
	}
	b.WriteByte(']')
	return b.String()
}

// Errors worded as Redis 7.0's networking.c.
func TestProtocolErrors(t *testing.T) {
	lim := Limits{MaxBulk: 1024}
	cases := []struct{ in, msg string }{
		{"*x\r\n", "invalid multibulk length"},
		{"*3000000000\r\n", "invalid multibulk length"},
		{"*1\r\n+PING\r\n", "expected '$', got '+'"},
		{"*1\r\n$-1\r\n", "invalid bulk length"},
		{"*1\r\n$abc\r\n", "invalid bulk length"},
		{"*1\r\n$2048\r\n", "invalid bulk length"}, // over proto-max-bulk-len
		{"set k \"unterminated\r\n", "unbalanced quotes in request"},
		{"*1\r\n" + strings.Repeat("9", 70000), "too big bulk count string"},
		{strings.Repeat("x", 70000), "too big inline request"},
		{"*" + strings.Repeat("1", 70000), "too big mbulk count string"},
	}
	for _, c := range cases {
		_, err := read(t, c.in, lim)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Msg != c.msg {
			t.Errorf("%.30q: err = %v, want protocol error %q", c.in, err, c.msg)
		}
	}
	// Unauthenticated clients are held to small requests.
	_, err := read(t, "*11\r\n", Limits{Unauthenticated: true})
	if err == nil || err.Error() != "Protocol error: unauthenticated multibulk length" {
		t.Errorf("unauthenticated multibulk: %v", err)
	}
	_, err = read(t, "*1\r\n$20000\r\n", Limits{Unauthenticated: true})
	if err == nil || err.Error() != "Protocol error: unauthenticated bulk length" {
		t.Errorf("unauthenticated bulk: %v", err)
	}
}

func TestQueryBufferLimit(t *testing.T) {
	in := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n" + strings.Repeat("v", 5000) + "\r\n"
	_, err := read(t, in, Limits{MaxBulk: 1 << 20, MaxQuery: 4096})
	if !errors.Is(err, ErrQueryBufferLimit) {
		t.Fatalf("err = %v, want ErrQueryBufferLimit", err)
	}
}

func TestTruncatedBulkIsUnexpectedEOF(t *testing.T) {
	// A big claimed bulk with few bytes behind it: an EOF, and no allocation of the claim.
	_, err := read(t, "*1\r\n$100000000\r\nabc", Limits{MaxBulk: 512 << 20})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{"*1\r\n$4\r\nPING\r\n", "PING\r\n", "set a \"b\\x00\"\n", "*2\r\n$1\r\na\r\n$-1\r\n", "*1\r\n$99999999999\r\n", "\x00\xff*\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for range 1000 {
			args, err := r.ReadCommand(Limits{MaxBulk: 1 << 20, MaxQuery: 1 << 22})
			if err != nil {
				return
			}
			if len(args) == 0 {
				t.Fatal("empty command returned")
			}
			total := 0
			for _, a := range args {
				total += len(a)
			}
			if total > len(in) {
				t.Fatalf("returned %d bytes of arguments from %d bytes of input", total, len(in))
			}
		}
	})
}

func TestWriterShapes(t *testing.T) {
	w2, w3 := &Writer{Proto: 2}, &Writer{Proto: 3}
	for _, w := range []*Writer{w2, w3} {
		w.Null()
		w.Map(1)
		w.Bool(true)
		w.Double(1.5)
		w.Set(0)
	}
	if got := string(w2.Buf); got != "$-1\r\n*2\r\n:1\r\n$3\r\n1.5\r\n*0\r\n" {
		t.Errorf("RESP2: %q", got)
	}
	if got := string(w3.Buf); got != "_\r\n%1\r\n#t\r\n,1.5\r\n~0\r\n" {
		t.Errorf("RESP3: %q", got)
	}
	w := &Writer{}
	w.Double(0.1)
	if got := string(w.Buf); got != "$19\r\n0.10000000000000001\r\n" { // printf("%.17g")
		t.Errorf("Double(0.1) = %q", got)
	}
}
