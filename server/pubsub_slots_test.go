package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestShardChannelsOfLostSlot: when a master's slot moves to another master (CLUSTER SETSLOT
// NODE), its clients subscribed to shard channels of that slot get one sunsubscribe message
// per channel and keep the others, in RESP2 and RESP3, byte for byte as two real
// redis-server 7.0 masters do.
func TestShardChannelsOfLostSlot(t *testing.T) {
	if _, err := proctest.FindRedis(); err != nil {
		t.Skip(err)
	}
	args := []string{"--cluster-enabled", "yes", "--cluster-node-timeout", "1000"}
	redis := shardLossTranscript(t, proctest.StartRedis(t, args...), proctest.StartRedis(t, args...))
	slotdb := shardLossTranscript(t, proctest.StartSlotdb(t, args...), proctest.StartSlotdb(t, args...))
	if slotdb != redis {
		t.Fatalf("slotdb:\n%q\nredis-server:\n%q", slotdb, redis)
	}
	if !strings.Contains(redis, "sunsubscribe") {
		t.Fatalf("redis-server sent no sunsubscribe:\n%s", redis)
	}
}

// shardLossTranscript builds a two-master cluster of a and b, subscribes a RESP2 and a RESP3
// client on a to shard channels of slot 12182 (foo, {foo}x) and of slot 5061 (bar), moves
// slot 12182 to b, and returns what the subscribers received and what a answers after
// (SSUBSCRIBE to a channel of the lost slot is MOVED to b).
func shardLossTranscript(t *testing.T, a, b *proctest.Server) string {
	ca, cb := a.Dial(t), b.Dial(t)
	mdo(t, ca, "CLUSTER", "ADDSLOTSRANGE", "0", "16000")
	mdo(t, cb, "CLUSTER", "ADDSLOTSRANGE", "16001", "16383")
	mdo(t, ca, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.Port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		na, nb := mdo(t, ca, "CLUSTER", "NODES"), mdo(t, cb, "CLUSTER", "NODES")
		if strings.Count(na, " connected") == 2 && strings.Count(nb, " connected") == 2 &&
			strings.Contains(na, "16001-16383") && strings.Contains(nb, "0-16000") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes never met:\n%s\n%s", na, nb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out strings.Builder
	sub2, sub3 := a.Dial(t), a.Dial(t)
	sub3.SetTimeout(5 * time.Second)
	sub2.SetTimeout(5 * time.Second)
	mdo(t, sub3, "HELLO", "3")
	for _, step := range []struct {
		c    *proctest.Conn
		args []string
	}{
		{sub2, []string{"SSUBSCRIBE", "bar"}},
		{sub2, []string{"SSUBSCRIBE", "foo", "{foo}x"}},
		{sub3, []string{"SSUBSCRIBE", "foo", "{foo}x"}},
		{sub3, []string{"SSUBSCRIBE", "bar"}},
	} {
		msend(t, step.c, step.args...)
		for range len(step.args) - 1 {
			out.WriteString(mread(t, step.c))
		}
	}
	out.WriteString("-- slot 12182 moves to b\n")
	idB := strings.TrimSpace(strings.Split(mdo(t, cb, "CLUSTER", "MYID"), "\r\n")[1])
	mdo(t, cb, "CLUSTER", "SETSLOT", "12182", "NODE", idB)
	mdo(t, ca, "CLUSTER", "SETSLOT", "12182", "NODE", idB)
	for _, c := range []*proctest.Conn{sub2, sub3} {
		out.WriteString(mread(t, c))
		out.WriteString(mread(t, c))
		out.WriteString(mdo(t, c, "PING"))
	}
	out.WriteString(mdo(t, ca, "PUBSUB", "SHARDCHANNELS"))
	out.WriteString(mdo(t, ca, "PUBSUB", "SHARDNUMSUB", "foo", "bar"))
	out.WriteString(mdo(t, sub2, "SSUBSCRIBE", "foo"))
	return strings.ReplaceAll(out.String(), "127.0.0.1:"+strconv.Itoa(b.Port), "<b>")
}
