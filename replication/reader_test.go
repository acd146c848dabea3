package replication

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// Buffered says whether ReadCommand can return without waiting for more input.
func TestCommandReaderBuffered(t *testing.T) {
	full := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n"
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"\n", true}, // a keepalive
		{full, true},
		{full[:len(full)-1], false},
		{full[:len(full)-4], false}, // bulk body incomplete
		{full[:10], false},          // inside a length line
		{"*1\r\n", false},
		{"*0\r\n", true},
		{"+junk\r\n", true}, // ReadCommand reports the error at once
	} {
		// A pipe: the reader must never block, whatever is buffered.
		pr, pw := io.Pipe()
		go func() { pw.Write([]byte(tc.in)); pw.Close() }()
		br := bufio.NewReader(pr)
		if tc.in != "" {
			br.Peek(len(tc.in)) // fill the buffer with exactly the input
		}
		cr := NewCommandReader(br)
		if got := cr.Buffered(); got != tc.want {
			t.Errorf("Buffered(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	// After a whole command is read, the next one's state counts.
	br := bufio.NewReader(bytes.NewReader([]byte(full + full[:8])))
	br.Peek(len(full) + 8)
	cr := NewCommandReader(br)
	if !cr.Buffered() {
		t.Fatal("first command not seen as buffered")
	}
	if _, err := cr.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if cr.Buffered() {
		t.Fatal("a partial second command seen as buffered")
	}
}
