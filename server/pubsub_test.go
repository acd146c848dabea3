package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Process tests of pub/sub against a real slotdb-server: ordering across publishers and
// subscribers, patterns, RESP3 pushes, output limits, and delivery across a two-node cluster.
// The reply texts are checked against Redis 7.0.15 by testdata/diff/pubsub.txt.

// nextMessage reads one push and returns its elements joined by spaces.
func nextMessage(t *testing.T, c *proctest.Conn) string {
	t.Helper()
	raw, err := c.ReadReply()
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	v, err := proctest.Decode(raw)
	if err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("not a message: %q", raw)
	}
	parts := make([]string, len(arr))
	for i, e := range arr {
		parts[i] = fmt.Sprint(e)
	}
	return strings.Join(parts, " ")
}

// TestPubsubOrdering: two publishers publish concurrently; every subscriber, by channel or by
// pattern, receives every message once, each publisher's in its order, and all subscribers
// in one and the same order.
func TestPubsubOrdering(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	s1, s2, s3 := srv.Dial(t), srv.Dial(t), srv.Dial(t)
	mdo(t, s1, "SUBSCRIBE", "news")
	mdo(t, s2, "SUBSCRIBE", "news")
	msend(t, s2, "PSUBSCRIBE", "n*")
	mread(t, s2)
	mdo(t, s3, "PSUBSCRIBE", "ne?s")
	const per = 200
	var wg sync.WaitGroup
	for _, name := range []string{"A", "B"} {
		p := srv.Dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				// Pipelined in tens: replies are read after each batch.
				p.Send("PUBLISH", "news", name+strconv.Itoa(i))
				if i%10 == 9 {
					for range 10 {
						p.ReadReply()
					}
				}
			}
		}()
	}
	wg.Wait()
	order := func(msgs []string) []string {
		last := map[string]int{"A": -1, "B": -1}
		var payloads []string
		for _, m := range msgs {
			f := strings.Fields(m)
			payload := f[len(f)-1]
			i, _ := strconv.Atoi(payload[1:])
			if i != last[payload[:1]]+1 {
				t.Fatalf("publisher %s: %d after %d", payload[:1], i, last[payload[:1]])
			}
			last[payload[:1]] = i
			payloads = append(payloads, payload)
		}
		return payloads
	}
	var got1, got2c, got2p, got3 []string
	for range 2 * per {
		got1 = append(got1, nextMessage(t, s1))
		got3 = append(got3, nextMessage(t, s3))
		// s2 gets each message twice, by channel first and then by pattern.
		m := nextMessage(t, s2)
		if !strings.HasPrefix(m, "message news ") {
			t.Fatalf("s2 expected the channel message first, got %q", m)
		}
		got2c = append(got2c, m)
		m = nextMessage(t, s2)
		if !strings.HasPrefix(m, "pmessage n* news ") {
			t.Fatalf("s2 expected the pattern message second, got %q", m)
		}
		got2p = append(got2p, m)
	}
	o1, o2, o2p, o3 := order(got1), order(got2c), order(got2p), order(got3)
	for i := range o1 {
		if o1[i] != o2[i] || o1[i] != o2p[i] || o1[i] != o3[i] {
			t.Fatalf("message %d: s1 %s, s2 %s/%s, s3 %s", i, o1[i], o2[i], o2p[i], o3[i])
		}
	}
	if !strings.HasPrefix(got3[0], "pmessage ne?s news ") {
		t.Fatalf("s3 got %q", got3[0])
	}
}

// TestPubsubSubscribeConfirmationFirst: a message published right after a subscription is
// never delivered before its confirmation, nor after the unsubscription's.
func TestPubsubSubscribeConfirmationFirst(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	sub, pub := srv.Dial(t), srv.Dial(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pub.Do("PUBLISH", "c"+strconv.Itoa(i%3), "m")
		}
	}()
	defer func() { close(stop); <-done }()
	for round := range 50 {
		ch := "c" + strconv.Itoa(round%3)
		msend(t, sub, "SUBSCRIBE", ch)
		if m := nextMessage(t, sub); m != "subscribe "+ch+" 1" {
			t.Fatalf("round %d: first reply %q", round, m)
		}
		msend(t, sub, "UNSUBSCRIBE", ch)
		for {
			m := nextMessage(t, sub)
			if m == "unsubscribe "+ch+" 0" {
				break
			}
			if m != "message "+ch+" m" {
				t.Fatalf("round %d: got %q", round, m)
			}
		}
		// After the confirmation nothing more arrives for the channel.
		if got := mdo(t, sub, "PING"); got != "+PONG\r\n" {
			t.Fatalf("round %d: PING after UNSUBSCRIBE = %q", round, got)
		}
	}
}

// TestPubsubRESP3: pushes, and ordinary commands between them.
func TestPubsubRESP3(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	sub, pub := srv.Dial(t), srv.Dial(t)
	mdo(t, sub, "HELLO", "3")
	if got := mdo(t, sub, "SUBSCRIBE", "ch"); got != ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" {
		t.Fatalf("SUBSCRIBE = %q", got)
	}
	mdo(t, sub, "SET", "k", "v")
	if got := mdo(t, pub, "PUBLISH", "ch", "hi"); got != ":1\r\n" {
		t.Fatalf("PUBLISH = %q", got)
	}
	if got := mread(t, sub); got != ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n" {
		t.Fatalf("push = %q", got)
	}
	if got := mdo(t, sub, "GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET = %q", got)
	}
}

var pubsubChannelsRE = regexp.MustCompile(`pubsub_channels:(\d+)`)

// TestPubsubSlowSubscriberHardLimit: a subscriber that never reads is closed when its
// pending output passes the hard limit, and publishers are never held up by it.
func TestPubsubSlowSubscriberHardLimit(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	pub := srv.Dial(t)
	mdo(t, pub, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0")
	slow := srv.Dial(t)
	mdo(t, slow, "SUBSCRIBE", "flood")
	fast := srv.Dial(t)
	mdo(t, fast, "SUBSCRIBE", "other")
	payload := strings.Repeat("x", 64<<10)
	closed := false
	for i := 0; i < 2000 && !closed; i++ {
		start := time.Now()
		got := mdo(t, pub, "PUBLISH", "flood", payload)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("PUBLISH %d took %v", i, d)
		}
		closed = got == ":0\r\n"
	}
	if !closed {
		t.Fatal("the slow subscriber was never closed (128 MB published)")
	}
	if !strings.Contains(string(srv.LogTail(64<<10)), "scheduled to be closed ASAP for overcoming of output buffer limits") {
		t.Fatalf("no log line; log tail:\n%s", srv.LogTail(64<<10))
	}
	// The other subscriber is unaffected.
	mdo(t, pub, "PUBLISH", "other", "still here")
	if m := nextMessage(t, fast); m != "message other still here" {
		t.Fatalf("other subscriber got %q", m)
	}
	if m := pubsubChannelsRE.FindStringSubmatch(mdo(t, pub, "INFO", "stats")); m == nil || m[1] != "1" {
		t.Fatalf("pubsub_channels = %v", m)
	}
}

// TestPubsubSlowSubscriberSoftLimit: over the soft limit for longer than its seconds, the
// subscriber is closed.
func TestPubsubSlowSubscriberSoftLimit(t *testing.T) {
	srv := proctest.StartSlotdb(t)
	pub := srv.Dial(t)
	mdo(t, pub, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 1")
	slow := srv.Dial(t)
	mdo(t, slow, "SUBSCRIBE", "flood")
	payload := strings.Repeat("x", 64<<10)
	deadline := time.Now().Add(20 * time.Second)
	for mdo(t, pub, "PUBLISH", "flood", payload) != ":0\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("the slow subscriber was never closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPubsubCluster: in a two-node cluster a PUBLISH on one node reaches subscribers on the
// other, by channel and by pattern, over the bus.
func TestPubsubCluster(t *testing.T) {
	a := proctest.StartSlotdb(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "1000")
	b := proctest.StartSlotdb(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "1000")
	ca, cb := a.Dial(t), b.Dial(t)
	if got := mdo(t, ca, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.Port)); got != "+OK\r\n" {
		t.Fatalf("CLUSTER MEET = %q", got)
	}
	connected := func(c *proctest.Conn) bool {
		nodes := mdo(t, c, "CLUSTER", "NODES")
		return strings.Count(nodes, " connected") == 2 && !strings.Contains(nodes, "handshake")
	}
	deadline := time.Now().Add(15 * time.Second)
	for !connected(ca) || !connected(cb) {
		if time.Now().After(deadline) {
			t.Fatalf("the nodes never met:\n%s\n%s", mdo(t, ca, "CLUSTER", "NODES"), mdo(t, cb, "CLUSTER", "NODES"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sub := b.Dial(t)
	mdo(t, sub, "SUBSCRIBE", "news")
	msend(t, sub, "PSUBSCRIBE", "n*")
	mread(t, sub)
	// The publisher's node has no subscriber: PUBLISH counts local receivers only.
	if got := mdo(t, ca, "PUBLISH", "news", "from a"); got != ":0\r\n" {
		t.Fatalf("PUBLISH on a = %q", got)
	}
	if m := nextMessage(t, sub); m != "message news from a" {
		t.Fatalf("first message = %q", m)
	}
	if m := nextMessage(t, sub); m != "pmessage n* news from a" {
		t.Fatalf("second message = %q", m)
	}
	// And the other way: b's subscriber counts locally, a delivers nothing twice.
	if got := mdo(t, cb, "PUBLISH", "news", "from b"); got != ":2\r\n" {
		t.Fatalf("PUBLISH on b = %q", got)
	}
	if m := nextMessage(t, sub); m != "message news from b" {
		t.Fatalf("third message = %q", m)
	}
	if m := nextMessage(t, sub); m != "pmessage n* news from b" {
		t.Fatalf("fourth message = %q", m)
	}
	if got := mdo(t, sub, "PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Fatalf("PING = %q (a message delivered twice?)", got)
	}
}

func TestParsePubsubOutputLimit(t *testing.T) {
	for _, tc := range []struct {
		in               string
		hard, soft, secs int64
		ok               bool
	}{
		{"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", 33554432, 8388608, 60, true},
		{"pubsub 1048576 0 0", 1048576, 0, 0, true},
		{"PUBSUB 1 2 3 normal 0 0 0", 1, 2, 3, true},
		{"normal 0 0 0", 0, 0, 0, false},
		{"pubsub 1mb 0 0", 0, 0, 0, false},
		{"pubsub 1 2", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		hard, soft, secs, ok := ParsePubsubOutputLimit(tc.in)
		if ok != tc.ok || ok && (hard != tc.hard || soft != tc.soft || secs != tc.secs) {
			t.Errorf("%q = %d %d %d %v", tc.in, hard, soft, secs, ok)
		}
	}
}
