package state

import (
	"fmt"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// A killed master refuses every reconnect. As in Redis (where connect() reports the
// refusal asynchronously and the failed link leaves ping_sent alone), a node that had no
// PING pending at the kill sends the PING that detects the failure at the first cron
// after its last PONG turned node_timeout/2 old (or earlier on the once-a-second random
// PING, which may pick the link being reconnected), and flags PFAIL node_timeout after
// that PING: not node_timeout after the first refused reconnect, which flagged it up to
// node_timeout/2 earlier than Redis does.
func TestPFailTimingAfterKill(t *testing.T) {
	const to = 1000 // newCluster's node timeout
	checked := 0
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := createCluster(t, 3, 3, seed, nil)
			c.run(int64(300 + 100*seed)) // vary the ping phase at the kill
			victim := c.id(2)
			type watch struct {
				pong, ping, pfail int64 // at the kill; PFAIL seen at
				random            bool  // the PING went out on a random-ping cron
			}
			w := map[int]*watch{}
			for i := 0; i < 2; i++ {
				n, _ := c.nodes[i].s.Node(victim)
				if n.PingSent == 0 {
					w[i] = &watch{pong: n.PongReceived}
				}
			}
			kill := c.now
			c.kill(2)
			for c.now < kill+3*to {
				c.run(100)
				for i, x := range w {
					n, _ := c.nodes[i].s.Node(victim)
					if x.ping == 0 && n.PingSent != 0 {
						x.ping = n.PingSent
						x.random = c.nodes[i].s.iteration%10 == 0
					}
					if x.pfail == 0 && n.Flags&(bus.FlagPFail|bus.FlagFail) != 0 {
						x.pfail = c.now
					}
				}
			}
			for i, x := range w {
				checked++
				// The cron sends the PING on the first 100 ms tick past pong + to/2.
				if (x.ping <= x.pong+to/2 && !x.random) || x.ping > x.pong+to/2+100 {
					t.Errorf("node %d: last PONG %d ms before the kill, PING sent at kill%+d ms; want the first cron after PONG+%d",
						i, kill-x.pong, x.ping-kill, to/2)
				}
				if x.pfail == 0 || x.pfail <= x.ping+to || x.pfail > x.ping+to+100 {
					t.Errorf("node %d: PING at kill%+d ms, PFAIL at kill%+d ms; want the first cron after PING+%d",
						i, x.ping-kill, x.pfail-kill, to)
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no node was without a pending PING at the kill: the timing was never checked")
	}
}
