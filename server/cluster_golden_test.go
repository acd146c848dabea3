package server

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/state"
	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/server/resp"
)

// clusterCorpus returns the shared clusterbus corpus directory.
func clusterCorpus(t *testing.T) string { t.Helper(); return corpus.Dir(t, "clusterbus") }

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(clusterCorpus(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func atoiReply(t *testing.T, r *proctest.Reply) int {
	t.Helper()
	n, err := strconv.Atoi(r.Str)
	if err != nil {
		t.Fatalf("not an integer: %q", r.Str)
	}
	return n
}

// slotNodeFrom reads [ip, port, id, {hostname?}] as captured with the default
// endpoint type (ip).
func slotNodeFrom(t *testing.T, r *proctest.Reply) state.SlotNode {
	sn := state.SlotNode{IP: r.Elems[0].Str, Port: atoiReply(t, r.Elems[1]), ID: r.Elems[2].Str}
	m := r.Elems[3].Elems
	for i := 0; i+1 < len(m); i += 2 {
		if m[i].Str == "hostname" {
			sn.Hostname = m[i+1].Str
		}
	}
	return sn
}

// The CLUSTER SLOTS and SHARDS replies re-encode the captured Redis 7.0.15 replies byte for
// byte, in RESP2 and RESP3: the data is read from the RESP3 capture and written back.
func TestClusterSlotsShardsGolden(t *testing.T) {
	slotsR, err := proctest.ParseReply(readCapture(t, "cluster-slots-30001.resp3"))
	if err != nil {
		t.Fatal(err)
	}
	var slots []state.SlotRangeInfo
	for _, e := range slotsR.Elems {
		r := state.SlotRangeInfo{Start: atoiReply(t, e.Elems[0]), End: atoiReply(t, e.Elems[1]),
			Master: slotNodeFrom(t, e.Elems[2])}
		for _, rep := range e.Elems[3:] {
			r.Replicas = append(r.Replicas, slotNodeFrom(t, rep))
		}
		slots = append(slots, r)
	}
	shardsR, err := proctest.ParseReply(readCapture(t, "cluster-shards-30001.resp3"))
	if err != nil {
		t.Fatal(err)
	}
	var shards []state.Shard
	for _, e := range shardsR.Elems {
		var sh state.Shard
		flat := e.Elems[1].Elems
		for i := 0; i+1 < len(flat); i += 2 {
			sh.Slots = append(sh.Slots, bus.SlotRange{Start: atoiReply(t, flat[i]), End: atoiReply(t, flat[i+1])})
		}
		for _, nr := range e.Elems[3].Elems {
			var sn state.ShardNode
			for i := 0; i+1 < len(nr.Elems); i += 2 {
				v := nr.Elems[i+1]
				switch nr.Elems[i].Str {
				case "id":
					sn.ID = v.Str
				case "port":
					sn.Port = atoiReply(t, v)
				case "ip":
					sn.IP = v.Str
				case "hostname":
					sn.Hostname = v.Str
				case "role":
					sn.Role = v.Str
				case "replication-offset":
					sn.ReplicationOffset = int64(atoiReply(t, v))
				case "health":
					sn.Health = v.Str
				}
			}
			sh.Nodes = append(sh.Nodes, sn)
		}
		shards = append(shards, sh)
	}
	if len(slots) == 0 || len(shards) == 0 {
		t.Fatal("captures decoded to nothing")
	}
	for _, proto := range []int{2, 3} {
		ext := ".resp" + strconv.Itoa(proto)
		w := resp.Writer{Proto: proto}
		writeSlots(&w, cluster.EndpointIP, slots)
		if want := readCapture(t, "cluster-slots-30001"+ext); string(w.Buf) != string(want) {
			t.Errorf("CLUSTER SLOTS %s:\n%q\nwant\n%q", ext, w.Buf, want)
		}
		w = resp.Writer{Proto: proto}
		writeShards(&w, cluster.EndpointIP, shards)
		if want := readCapture(t, "cluster-shards-30001"+ext); string(w.Buf) != string(want) {
			t.Errorf("CLUSTER SHARDS %s:\n%q\nwant\n%q", ext, w.Buf, want)
		}
	}
}

// Endpoint types change the endpoint and the extra map as addNodeToNodeReply does.
func TestSlotNodeEndpointTypes(t *testing.T) {
	sn := state.SlotNode{IP: "10.0.0.1", Port: 7000, ID: "0123456789012345678901234567890123456789", Hostname: "h1"}
	bare := state.SlotNode{IP: "10.0.0.1", Port: 7000, ID: sn.ID}
	id := "$40\r\n" + sn.ID + "\r\n"
	for _, tc := range []struct {
		typ  int
		node state.SlotNode
		want string
	}{
		{cluster.EndpointIP, sn, "*4\r\n$8\r\n10.0.0.1\r\n:7000\r\n" + id + "%1\r\n$8\r\nhostname\r\n$2\r\nh1\r\n"},
		{cluster.EndpointIP, bare, "*4\r\n$8\r\n10.0.0.1\r\n:7000\r\n" + id + "%0\r\n"},
		{cluster.EndpointHostname, sn, "*4\r\n$2\r\nh1\r\n:7000\r\n" + id + "%1\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"},
		{cluster.EndpointHostname, bare, "*4\r\n$1\r\n?\r\n:7000\r\n" + id + "%1\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"},
		{cluster.EndpointUnknown, sn, "*4\r\n_\r\n:7000\r\n" + id + "%2\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n$8\r\nhostname\r\n$2\r\nh1\r\n"},
	} {
		w := resp.Writer{Proto: 3}
		writeSlotNode(&w, tc.typ, tc.node)
		if string(w.Buf) != tc.want {
			t.Errorf("type %d %+v:\n%q\nwant\n%q", tc.typ, tc.node, w.Buf, tc.want)
		}
	}
}
