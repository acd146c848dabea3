package cluster_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/proctest"
)

// TestClusterCommandsLikeRedis runs one sequence of CLUSTER subcommands (and READONLY /
// READWRITE / ASKING), valid and invalid, on a fresh slotdb node and a fresh redis-server 7.0
// node and compares every reply as text, with each node's own id, address and ports
// replaced by placeholders.
func TestClusterCommandsLikeRedis(t *testing.T) {
	t.Parallel()
	sd, rd := startSlotdb(t), startRedis(t)
	norm := func(s *proctest.Server, id, out string) string {
		out = strings.ReplaceAll(out, id, "<id>")
		out = strings.ReplaceAll(out, "127.0.0.1:"+strconv.Itoa(s.Port)+"@"+strconv.Itoa(s.Port+10000), "<addr>")
		out = strings.ReplaceAll(out, strconv.Itoa(s.Port+10000), "<cport>")
		return strings.ReplaceAll(out, strconv.Itoa(s.Port), "<port>")
	}
	sid, rid := myID(t, sd), myID(t, rd)
	other := strings.Repeat("a", 40)
	for _, cmd := range [][]string{
		{"CLUSTER", "MYID"},
		{"CLUSTER", "INFO"},
		{"CLUSTER", "NODES"},
		{"CLUSTER", "SLOTS"},
		{"CLUSTER", "ADDSLOTS", "1", "2", "3"},
		{"CLUSTER", "ADDSLOTS", "3"},
		{"CLUSTER", "ADDSLOTS", "16384"},
		{"CLUSTER", "ADDSLOTS", "x"},
		{"CLUSTER", "ADDSLOTS", "5", "5"},
		{"CLUSTER", "ADDSLOTSRANGE", "100", "200", "300", "400"},
		{"CLUSTER", "ADDSLOTSRANGE", "500", "400"},
		{"CLUSTER", "ADDSLOTSRANGE", "150", "160"},
		{"CLUSTER", "ADDSLOTSRANGE", "1000"},
		{"CLUSTER", "DELSLOTS", "2"},
		{"CLUSTER", "DELSLOTS", "2"},
		{"CLUSTER", "DELSLOTSRANGE", "120", "130"},
		{"CLUSTER", "DELSLOTSRANGE", "120", "130"},
		{"CLUSTER", "NODES"},
		{"CLUSTER", "SLOTS"},
		{"CLUSTER", "KEYSLOT", "foo"},
		{"CLUSTER", "KEYSLOT", "{user1}.a"},
		{"CLUSTER", "COUNTKEYSINSLOT", "100"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16384"},
		{"CLUSTER", "COUNTKEYSINSLOT", "-1"},
		{"CLUSTER", "GETKEYSINSLOT", "100", "10"},
		{"CLUSTER", "GETKEYSINSLOT", "100", "-1"},
		{"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
		{"CLUSTER", "SETSLOT", "100", "IMPORTING", other},
		{"CLUSTER", "SETSLOT", "100", "MIGRATING", other},
		{"CLUSTER", "SETSLOT", "3000", "MIGRATING", "<id>"},
		{"CLUSTER", "SETSLOT", "100", "STABLE"},
		{"CLUSTER", "SETSLOT", "100", "NODE", other},
		{"CLUSTER", "SETSLOT", "100", "BOGUS"},
		{"CLUSTER", "SETSLOT", "3000", "IMPORTING", "<id>"},
		{"CLUSTER", "NODES"},
		{"CLUSTER", "SETSLOT", "3000", "STABLE"},
		{"CLUSTER", "COUNT-FAILURE-REPORTS", "<id>"},
		{"CLUSTER", "COUNT-FAILURE-REPORTS", other},
		{"CLUSTER", "REPLICAS", "<id>"},
		{"CLUSTER", "SLAVES", "<id>"},
		{"CLUSTER", "REPLICAS", other},
		{"CLUSTER", "LINKS"},
		{"CLUSTER", "FORGET", "<id>"},
		{"CLUSTER", "FORGET", other},
		{"CLUSTER", "REPLICATE", other},
		{"CLUSTER", "REPLICATE", "<id>"},
		{"CLUSTER", "FAILOVER"},
		{"CLUSTER", "FAILOVER", "BOGUS"},
		{"CLUSTER", "SAVECONFIG"},
		{"CLUSTER", "BUMPEPOCH"},
		{"CLUSTER", "BUMPEPOCH"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "5"},
		{"CLUSTER", "SET-CONFIG-EPOCH", "-1"},
		{"CLUSTER", "INFO"},
		{"CLUSTER", "MEET", "127.0.0.1"},
		{"CLUSTER", "MEET", "127.0.0.1", "x"},
		{"CLUSTER", "MEET", "nohost", "1234"},
		{"READONLY"},
		{"READWRITE"},
		{"ASKING"},
		{"CLUSTER", "FLUSHSLOTS"},
		{"CLUSTER", "SLOTS"},
		{"CLUSTER", "SHARDS"},
		{"CLUSTER", "RESET", "BOGUS"},
		{"CLUSTER", "RESET", "SOFT"},
		{"CLUSTER", "INFO"},
		{"CLUSTER", "NOSUCH"},
		{"CLUSTER"},
	} {
		sargs := make([]string, len(cmd))
		rargs := make([]string, len(cmd))
		for i, a := range cmd {
			sargs[i] = strings.ReplaceAll(a, "<id>", sid)
			rargs[i] = strings.ReplaceAll(a, "<id>", rid)
		}
		got, want := norm(sd, sid, do(t, sd, sargs...)), norm(rd, rid, do(t, rd, rargs...))
		if got != want {
			t.Errorf("%q:\n slotdb %q\n redis  %q", cmd, got, want)
		}
	}
}
