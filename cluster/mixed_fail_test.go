package cluster_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// A mixed cluster (slotdb, redis-server, slotdb masters): PUBLISH on either kind reaches
// subscribers on the other over the bus; a killed redis-server master is flagged FAIL by the
// slotdb nodes, and a killed slotdb master by redis-server, the cluster goes down and comes
// back ok with the flag cleared when the node returns.
func TestMixedFailAndPublish(t *testing.T) {
	t.Parallel()
	a, b, c := startSlotdb(t), startRedis(t), startSlotdb(t)
	nodes := []*proctest.Server{a, b, c}
	for i, r := range [][2]string{{"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}} {
		mustOK(t, nodes[i], "CLUSTER", "ADDSLOTSRANGE", r[0], r[1])
	}
	mustOK(t, a, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(b.Port))
	mustOK(t, b, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(c.Port))
	waitClusterOK(t, nodes...)
	waitAgree(t, nodes...)

	// PUBLISH: slotdb -> redis-server and redis-server -> slotdb.
	for _, tc := range []struct{ sub, pub *proctest.Server }{{b, a}, {c, b}} {
		sc := tc.sub.Dial(t)
		sc.SetTimeout(5 * time.Second)
		if got, err := sc.Do("SUBSCRIBE", "mixed"); err != nil || !strings.Contains(string(got), "subscribe") {
			t.Fatalf("SUBSCRIBE on %d: %q, %v", tc.sub.Port, got, err)
		}
		msg := "from-" + strconv.Itoa(tc.pub.Port)
		if got := do(t, tc.pub, "PUBLISH", "mixed", msg); got != "0" && got != "1" {
			t.Fatalf("PUBLISH on %d = %s", tc.pub.Port, got)
		}
		got, err := sc.ReadReply()
		want := "*3\r\n$7\r\nmessage\r\n$5\r\nmixed\r\n$" + strconv.Itoa(len(msg)) + "\r\n" + msg + "\r\n"
		if err != nil || string(got) != want {
			t.Fatalf("subscriber on %d got %q, %v; want %q", tc.sub.Port, got, err, want)
		}
		sc.Close()
	}

	// SIGKILL one master of each kind in turn.
	for _, victim := range []*proctest.Server{b, c} {
		vid := myID(t, victim)
		var others []*proctest.Server
		for _, s := range nodes {
			if s != victim {
				others = append(others, s)
			}
		}
		victim.Kill()
		for _, s := range others {
			waitFor(t, 20*time.Second, "FAIL flag and cluster_state:fail", func() (bool, string) {
				f := nodeFlags(t, s, vid)
				st := infoField(do(t, s, "CLUSTER", "INFO"), "cluster_state")
				return strings.Contains(","+f+",", ",fail,") && st == "fail", strconv.Itoa(s.Port) + ": " + f + " " + st
			})
		}
		victim.Restart()
		waitClusterOK(t, nodes...)
		for _, s := range others {
			waitFor(t, 10*time.Second, "FAIL flag cleared", func() (bool, string) {
				f := nodeFlags(t, s, vid)
				return !strings.Contains(f, "fail"), strconv.Itoa(s.Port) + ": " + f
			})
		}
	}
	clusterCheck(t, a)
}
