package server_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// sendRaw writes raw bytes and returns everything the server answers until it closes the
// connection or goes quiet.
func sendRaw(t *testing.T, addr string, payload []byte) (reply []byte, closed bool) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	go nc.Write(payload) // a server that closes early may leave part of a big payload unsent
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	var buf bytes.Buffer
	_, err = io.Copy(&buf, nc)
	return buf.Bytes(), err == nil
}

// Bad input gets Redis's exact reply and disconnect, from slotdb as from redis-server, and the
// server keeps serving other clients.
func TestBadInputMatchesRedis(t *testing.T) {
	redis := proctest.StartRedis(t)
	slotdb := proctest.StartSlotdb(t)
	for _, s := range []*proctest.Server{redis, slotdb} {
		c := s.Dial(t)
		if r, _ := c.Do("CONFIG", "SET", "proto-max-bulk-len", "1mb"); string(r) != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET proto-max-bulk-len: %q", s.Name, r)
		}
		if r, _ := c.Do("CONFIG", "SET", "client-query-buffer-limit", "1mb"); string(r) != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET client-query-buffer-limit: %q", s.Name, r)
		}
	}
	cases := []struct {
		name    string
		payload []byte
	}{
		{"oversized bulk", []byte("*2\r\n$3\r\nGET\r\n$2000000\r\n")},
		{"negative bulk", []byte("*1\r\n$-5\r\n")},
		{"bad multibulk count", []byte("*abc\r\n")},
		{"not a bulk", []byte("*1\r\n:12\r\n")},
		{"binary junk", []byte("*1\r\n\xff\xfe\x01\r\n")},
		{"NUL hides the line end", []byte("*1\r\n\x00\xff\r\n")}, // Redis waits for more (strchr)
		{"unbalanced quotes", []byte("SET k \"abc\r\n")},
		{"huge inline", bytes.Repeat([]byte("a"), 70*1024)},
		{"query buffer limit", append([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n"), bytes.Repeat([]byte("v"), 1<<20)...)},
	}
	for _, c := range cases {
		want, wantClosed := sendRaw(t, redis.Addr(), c.payload)
		got, closed := sendRaw(t, slotdb.Addr(), c.payload)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: slotdb replied %q, redis %q", c.name, got, want)
		}
		if closed != wantClosed {
			t.Errorf("%s: slotdb closed the connection: %v, redis: %v", c.name, closed, wantClosed)
		}
	}
	// A client that sends half a request and waits does not hold anyone up.
	stalled, err := net.Dial("tcp", slotdb.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.Write([]byte("*2\r\n$3\r\nGET\r\n$100\r\nabc"))
	c := slotdb.Dial(t)
	if r, err := c.Do("PING"); err != nil || string(r) != "+PONG\r\n" {
		t.Fatalf("PING while another client is stalled: %q %v", r, err)
	}
	if r, _ := c.Do("DBSIZE"); !strings.HasPrefix(string(r), ":") {
		t.Fatalf("DBSIZE: %q", r)
	}
}
