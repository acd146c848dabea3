package replication

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

func cmds(argv ...string) [][][]byte {
	c := make([][]byte, len(argv))
	for i, a := range argv {
		c[i] = []byte(a)
	}
	return [][][]byte{c}
}

func readAll(t *testing.T, c *Cursor) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 7) // small: crosses block and call boundaries
	for {
		n, _ := c.Read(buf)
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func TestStreamFeedSelectAndWrap(t *testing.T) {
	s := NewStream(strings.Repeat("a", 40), 1<<20)
	s.FeedCommands(0, cmds("SET", "k", "v")) // inactive: nothing recorded
	if s.Offset() != 0 {
		t.Fatalf("inactive stream advanced to %d", s.Offset())
	}
	s.Activate()
	cur, err := s.NewCursor(0)
	if err != nil {
		t.Fatal(err)
	}
	s.FeedCommands(0, cmds("SET", "k", "v"))
	s.FeedCommands(0, cmds("DEL", "k"))
	s.FeedCommands(-1, cmds("PING"))
	s.FeedCommands(2, append(cmds("DEL", "a"), cmds("SET", "a", "1")...))
	s.BeginBatch()
	s.FeedCommands(2, cmds("INCR", "x"))
	s.FeedCommands(3, cmds("INCR", "y"))
	s.EndBatch()
	s.BeginBatch()
	s.FeedCommands(3, cmds("INCR", "z"))
	s.EndBatch()
	want := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n" +
		"*1\r\n$4\r\nPING\r\n" +
		"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n" +
		"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\ny\r\n*1\r\n$4\r\nEXEC\r\n" +
		"*2\r\n$4\r\nINCR\r\n$1\r\nz\r\n"
	if got := readAll(t, cur); got != want {
		t.Errorf("stream:\n got %q\nwant %q", got, want)
	}
	if s.Offset() != int64(len(want)) {
		t.Errorf("offset %d, want %d", s.Offset(), len(want))
	}
	s.ForceSelect()
	s.FeedCommands(3, cmds("INCR", "z"))
	if got := readAll(t, cur); !strings.HasPrefix(got, "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n") {
		t.Errorf("after ForceSelect: %q", got)
	}
}

func TestStreamBacklogTrimAndContinue(t *testing.T) {
	id := strings.Repeat("b", 40)
	s := NewStream(id, 16<<10) // the minimum
	s.Activate()
	val := strings.Repeat("v", 1000)
	for i := 0; i < 200; i++ {
		s.FeedCommands(0, cmds("SET", "k", val))
	}
	active, size, first, hist := s.Backlog()
	if !active || size != 16<<10 || hist < size || hist > size+blockSize {
		t.Fatalf("backlog active=%v size=%d histlen=%d", active, size, hist)
	}
	off := s.Offset()
	if first != off-hist+1 {
		t.Errorf("first byte %d, want %d", first, off-hist+1)
	}
	cases := []struct {
		id   string
		off  int64
		want bool
	}{
		{id, off + 1, true}, // nothing missing
		{id, first, true},   // oldest byte kept
		{id, first - 1, false},
		{id, off + 2, false}, // ahead of the master
		{strings.Repeat("c", 40), off + 1, false},
	}
	for _, c := range cases {
		if got := s.CanContinue(c.id, c.off); got != c.want {
			t.Errorf("CanContinue(%.4s, %d) = %v, want %v", c.id, c.off, got, c.want)
		}
	}
	if _, err := s.NewCursor(first - 2); err != ErrNoHistory {
		t.Errorf("cursor before the backlog: %v", err)
	}
	// A reader positioned before trimming keeps its blocks.
	cur, _ := s.NewCursor(off)
	for i := 0; i < 100; i++ {
		s.FeedCommands(0, cmds("SET", "k", val))
	}
	got := readAll(t, cur)
	if int64(len(got)) != s.Offset()-off || !strings.HasPrefix(got, "*3\r\n$3\r\nSET") {
		t.Errorf("reader behind the backlog read %d bytes, want %d", len(got), s.Offset()-off)
	}
	// PSYNC2: after Shift the old id continues up to where it ended.
	end := s.Offset()
	s.Shift(strings.Repeat("d", 40))
	if !s.CanContinue(id, end+1) || s.CanContinue(id, end+2) {
		t.Error("old id after Shift")
	}
	if _, id2, off2, _ := s.IDs(); id2 != id || off2 != end+1 {
		t.Errorf("IDs after Shift: %s %d", id2, off2)
	}
}

func TestCommandReader(t *testing.T) {
	in := "\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
	r := NewCommandReader(bufio.NewReader(strings.NewReader(in)))
	r.Keep = true
	var got []string
	for {
		argv, err := r.ReadCommand()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(bytes.Join(argv, []byte(" ")))+"|"+string(r.Raw()))
	}
	want := []string{"|\n", "PING|*1\r\n$4\r\nPING\r\n", "SET k |*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if r.Offset() != int64(len(in)) {
		t.Errorf("offset %d, want %d", r.Offset(), len(in))
	}
	for _, bad := range []string{"PING\r\n", "*x\r\n", "*2\r\n$1\r\na\r\n", "*1\r\n$999999999999\r\n", "*1\r\n$3\r\nabcde\r\n", "*1\r\n+ok\r\n", "*-5\r\n"} {
		r := NewCommandReader(bufio.NewReader(strings.NewReader(bad)))
		if _, err := r.ReadCommand(); err == nil || err == io.EOF {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func FuzzCommandReader(f *testing.F) {
	f.Add([]byte("*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewCommandReader(bufio.NewReader(bytes.NewReader(b)))
		for i := 0; i < 100; i++ {
			argv, err := r.ReadCommand()
			if err != nil {
				return
			}
			if int64(len(AppendCommand(nil, argv...))) != CommandLen(argv) {
				t.Fatal("CommandLen disagrees with AppendCommand")
			}
		}
	})
}

func TestReadPayload(t *testing.T) {
	mark := strings.Repeat("m", 40)
	rdbBytes := "REDIS0010" + strings.Repeat("x", 100000) + mark[:39] // ends like the mark, almost
	cases := []struct {
		in, want string
		err      bool
	}{
		{"\n\n$5\r\nhello*1\r\n", "hello", false},
		{"$EOF:" + mark + "\r\n" + rdbBytes + mark, rdbBytes, false},
		{"$EOF:" + mark + "\r\n" + "abc", "", true},
		{"$10\r\nabc", "", true},
		{"-ERR no\r\n", "", true},
		{"+OK\r\n", "", true},
		{"$EOF:short\r\n", "", true},
	}
	for _, c := range cases {
		var out bytes.Buffer
		br := bufio.NewReader(strings.NewReader(c.in))
		n, err := ReadPayload(br, &out)
		if (err != nil) != c.err {
			t.Errorf("%.20q: err %v", c.in, err)
			continue
		}
		if !c.err && (out.String() != c.want || n != int64(len(c.want))) {
			t.Errorf("%.20q: got %d bytes", c.in, out.Len())
		}
	}
}

func TestParsePSYNCReply(t *testing.T) {
	id := strings.Repeat("e", 40)
	cases := []struct {
		in   string
		want *SyncReply
		err  error
	}{
		{"+FULLRESYNC " + id + " 1234", &SyncReply{Full: true, ID: id, Offset: 1234}, nil},
		{"+CONTINUE " + id, &SyncReply{ID: id}, nil},
		{"+CONTINUE", &SyncReply{}, nil},
		{"-NOMASTERLINK Can't SYNC while not connected with my master", nil, ErrRetryLater},
		{"-LOADING Redis is loading the dataset in memory", nil, ErrRetryLater},
		{"+FULLRESYNC abc 1", nil, nil},
		{"+FULLRESYNC " + id + " -1", nil, nil},
		{"-ERR unknown command", nil, nil},
	}
	for _, c := range cases {
		got, err := ParsePSYNCReply(c.in)
		switch {
		case c.want != nil:
			if err != nil || *got != *c.want {
				t.Errorf("%q: %+v %v", c.in, got, err)
			}
		case c.err != nil:
			if err != c.err {
				t.Errorf("%q: err %v, want %v", c.in, err, c.err)
			}
		default:
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
		}
	}
}
