package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

// pipelineReplies sends cmds in one write and reads one reply per command.
func pipelineReplies(t *testing.T, c *proctest.Conn, cmds [][]string) []string {
	t.Helper()
	var buf bytes.Buffer
	for _, cmd := range cmds {
		buf.Write(proctest.EncodeCommand(cmd...))
	}
	if err := c.SendRaw(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cmds))
	for i := range cmds {
		r, err := c.ReadReply()
		if err != nil {
			t.Fatalf("reply %d (%v): %v", i, cmds[i], err)
		}
		out[i] = string(r)
	}
	return out
}

// Pipelined SETs run as one engine group (server/pipeline.go): the replies, their order and
// what later commands see are Redis's, whatever interrupts the run (other commands, errors,
// MULTI, WATCH from another client, lazy expiry).
func TestPipelinedSetsMatchRedis(t *testing.T) {
	cmds := [][]string{
		{"SET", "a", "1"}, {"SET", "a", "2"}, {"SET", "b", "x", "NX"}, {"SET", "b", "y", "NX"},
		{"SET", "a", "3", "GET"}, {"SET", "c", "v", "BADOPT"}, {"SET", "e", "1", "XX"},
		{"SET", "d", "1", "EX", "0"}, {"SET", "f", "1", "PX", "1"}, {"LPUSH", "l", "x"},
		{"SET", "g", "1"}, {"SET", "l", "v", "GET"}, {"SET", "h", "1"}, {"set", "A", "1"},
		{"GET", "a"}, {"SET", "w", "1"}, {"SET", "w", "2"},
		{"MULTI"}, {"SET", "m", "1"}, {"SET", "m", "2"}, {"EXEC"}, {"GET", "m"},
		{"SET", "k1", "1"}, {"SET", "k2", "2"}, {"SET", "k1", "3"}, {"MGET", "k1", "k2", "b", "g", "h"},
		{"SET", "x"}, {"SET", "y", "1"}, {"SET", "y", "2", "KEEPTTL"}, {"DBSIZE"},
	}
	for i := range 70 { // more than one group
		cmds = append(cmds, []string{"SET", fmt.Sprintf("n%d", i%50), fmt.Sprint(i)})
	}
	cmds = append(cmds, []string{"DBSIZE"}, []string{"GET", "n7"}, []string{"GET", "n19"})
	redis, slotdb := proctest.StartRedis(t), proctest.StartSlotdb(t)
	var got [2][]string
	for i, srv := range []*proctest.Server{redis, slotdb} {
		c, watcher := srv.Dial(t), srv.Dial(t)
		if r, _ := watcher.Do("WATCH", "w"); string(r) != "+OK\r\n" {
			t.Fatalf("%s WATCH: %q", srv.Name, r)
		}
		got[i] = pipelineReplies(t, c, cmds)
		watcher.Do("MULTI")
		watcher.Do("SET", "w", "watcher")
		r, _ := watcher.Do("EXEC")
		got[i] = append(got[i], string(r)) // the pipeline's SET w invalidated the WATCH
		r, _ = c.Do("GET", "w")
		got[i] = append(got[i], string(r))
	}
	if strings.Join(got[0], "") != strings.Join(got[1], "") {
		for i := range got[0] {
			if got[0][i] != got[1][i] {
				t.Errorf("reply %d: redis %q, slotdb %q", i, got[0][i], got[1][i])
			}
		}
	}
}
