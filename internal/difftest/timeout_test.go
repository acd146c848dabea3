package difftest

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}

// A server that hangs yields <timeout> replies and, after MaxTimeouts of them, one GIVING UP
// mismatch instead of a long wait per remaining command.
func TestHangingServerGivesUp(t *testing.T) {
	a := proctest.StartRedis(t)
	r := NewRunner(Side{"redis", a.Addr()}, Side{"silent", silentServer(t)}, DefaultRules)
	defer r.Close()
	r.Timeout = 100 * time.Millisecond
	s, err := ParseScript("hang.txt", strings.Repeat("PING\n", 50))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ms := r.RunScript(s)
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if len(ms) != 4 {
		t.Fatalf("got %d mismatches, want 3 timeouts and a give-up: %v", len(ms), ms)
	}
	if string(ms[0].Got) != ReplyTimeout || ms[3].Pos != "hang.txt:3" || !strings.Contains(ms[3].String(), "GIVING UP") {
		t.Errorf("mismatches: %v", ms)
	}
}

// Chunked random runs report the first difference of each chunk, with the commands that led
// to it.
func TestRandomChunksReportDifferences(t *testing.T) {
	a := proctest.StartRedis(t)
	b := proctest.StartRedis(t, "--databases", "1")
	r := NewRunner(Side{"redis", a.Addr()}, Side{"one-db", b.Addr()}, DefaultRules)
	defer r.Close()
	ms := r.RunRandomChunks(NewGenerator(3), 10, 100)
	if len(ms) < 3 || len(ms) > 10 {
		t.Fatalf("got %d mismatches from 10 chunks", len(ms))
	}
	for _, m := range ms {
		if !strings.Contains(m.Pos, "random seed=3 chunk=") || !strings.Contains(m.Reason, "commands since FLUSHALL:") {
			t.Errorf("mismatch lacks its seed or history: %s", m)
		}
	}
}

// When only one side closes the connection, the pair is re-dialled and the run goes on.
func TestOneSideCloses(t *testing.T) {
	a := proctest.StartRedis(t)
	b := proctest.StartRedis(t, "--rename-command", "QUIT", "")
	r := NewRunner(Side{"redis", a.Addr()}, Side{"noquit", b.Addr()}, DefaultRules)
	defer r.Close()
	r.Timeout = 300 * time.Millisecond
	s, err := ParseScript("q.txt", "CLIENT SETNAME x\n@send QUIT\n@read\n@read\nCLIENT GETNAME\n")
	if err != nil {
		t.Fatal(err)
	}
	ms := r.RunScript(s)
	var got []string
	for _, m := range ms {
		got = append(got, m.Pos+" "+string(m.Ref)+" | "+string(m.Got))
	}
	want := []string{
		"q.txt:3 +OK\r\n | -ERR unknown command 'QUIT', with args beginning with: \r\n",
		"q.txt:4 " + ReplyClosed + " | " + ReplyTimeout,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mismatches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
