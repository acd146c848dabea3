package state

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"

	"github.com/slotdb/slotdb/cluster/bus"
	"github.com/slotdb/slotdb/cluster/nodesconf"
)

// corpusDir returns the shared clusterbus corpus directory.
func corpusDir(t *testing.T) string { t.Helper(); return corpus.Dir(t, "clusterbus") }

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadConf(t *testing.T, name string, now int64) *State {
	t.Helper()
	return loadConfBytesAt(t, []byte(readGolden(t, name)), now)
}

func loadConfBytes(t *testing.T, b []byte) *State { return loadConfBytesAt(t, b, 1795304400000) }

func loadConfBytesAt(t *testing.T, b []byte, now int64) *State {
	t.Helper()
	c, err := nodesconf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(30001)
	if me := c.Myself(); me.Port != 0 {
		cfg.Port, cfg.CPort, cfg.Hostname = me.Port, me.CPort, me.Hostname
	}
	s, err := Load(cfg, Hooks{}, rand.NewPCG(1, 2), c, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A fresh node's CLUSTER INFO, once the writable delay has passed, is the captured one.
func TestGoldenFreshInfo(t *testing.T) {
	s, out := New(DefaultConfig(30001), Hooks{}, rand.NewPCG(1, 1), baseNow)
	if !out.Save || !out.Fsync {
		t.Fatal("a new identity must be saved with fsync")
	}
	for now := int64(baseNow); now < baseNow+3000; now += 100 {
		s.Tick(now)
	}
	want := readGolden(t, "snapshots/fresh/cluster-info-30001.txt")
	if got := s.Info(); got != want {
		t.Errorf("CLUSTER INFO:\n%q\nwant\n%q", got, want)
	}
	// A never-met node writes ":0@0" only when its ports are unknown; here the ports
	// come from the config, as after clusterInit.
	if got := string(s.ClusterNodes()); !strings.HasPrefix(got, s.MyID()+" :30001@40001 myself,master - 0 0 0 connected\n") {
		t.Errorf("CLUSTER NODES: %q", got)
	}
}

// Loading each captured nodes.conf and saving it again gives the same file, apart from
// the ping/pong times (Redis loads non-zero ones as "now") and the link state.
func TestGoldenLoadExport(t *testing.T) {
	const now = 1795304400000
	for _, name := range []string{"nodes-30001.conf", "nodes-30002.conf", "nodes-30003.conf", "nodes-30004.conf",
		"nodes-30005.conf", "nodes-30006.conf", "nodes-30007.conf", "snapshots/migrating/nodes-30001.conf",
		"snapshots/migrating/nodes-30006.conf", "snapshots/fresh/nodes-30001.conf"} {
		t.Run(name, func(t *testing.T) {
			orig, err := nodesconf.Parse([]byte(readGolden(t, name)))
			if err != nil {
				t.Fatal(err)
			}
			s := loadConf(t, name, now)
			got := s.Export()
			if got.CurrentEpoch != orig.CurrentEpoch || got.LastVoteEpoch != orig.LastVoteEpoch {
				t.Errorf("vars %d %d", got.CurrentEpoch, got.LastVoteEpoch)
			}
			if len(got.Nodes) != len(orig.Nodes) {
				t.Fatalf("%d nodes, want %d", len(got.Nodes), len(orig.Nodes))
			}
			byID := map[string]nodesconf.Node{}
			for _, g := range got.Nodes {
				byID[g.ID] = g
			}
			for i := range orig.Nodes {
				o, g := orig.Nodes[i], byID[orig.Nodes[i].ID]
				wantPing, wantPong := int64(0), int64(0)
				if o.PingSent != 0 {
					wantPing = now
				}
				if o.PongReceived != 0 {
					wantPong = now
				}
				if g.PingSent != wantPing || g.PongReceived != wantPong {
					t.Errorf("%s: ping/pong %d/%d", o.ID, g.PingSent, g.PongReceived)
				}
				o.PingSent, o.PongReceived, g.PingSent, g.PongReceived = 0, 0, 0, 0
				o.Connected = o.Flags&bus.FlagMyself != 0
				if o.Flags&bus.FlagMyself != 0 && o.Port == 0 {
					o.Port, o.CPort = g.Port, g.CPort // a never-met node: ports come from the config
				}
				lo := string(nodesconf.AppendNodeLine(nil, &o))
				lg := string(nodesconf.AppendNodeLine(nil, &g))
				if lo != lg {
					t.Errorf("line %d:\n got %s\nwant %s", i, lg, lo)
				}
			}
		})
	}
}

// CLUSTER NODES of a loaded 30001 matches the captured reply field by field (times and
// link states aside), and CLUSTER INFO's epochs match.
func TestGoldenClusterNodesAndInfo(t *testing.T) {
	s := loadConf(t, "nodes-30001.conf", 1795304400000)
	want, err := nodesconf.ParseClusterNodes([]byte(readGolden(t, "cluster-nodes-30001.txt")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := nodesconf.ParseClusterNodes(s.ClusterNodes())
	if err != nil {
		t.Fatal(err)
	}
	norm := func(ns []nodesconf.Node) []string {
		var out []string
		for _, n := range ns {
			n.PingSent, n.PongReceived, n.Connected = 0, 0, false
			out = append(out, string(nodesconf.AppendNodeLine(nil, &n)))
		}
		slices.Sort(out)
		return out
	}
	if g, w := norm(got), norm(want); !slices.Equal(g, w) {
		t.Errorf("CLUSTER NODES:\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	info := s.Info()
	for _, line := range []string{"cluster_known_nodes:7", "cluster_current_epoch:8", "cluster_my_epoch:1", "cluster_slots_assigned:16384"} {
		if !strings.Contains(info, line+"\r\n") {
			t.Errorf("CLUSTER INFO lacks %s:\n%s", line, info)
		}
	}
	// The replica's CLUSTER INFO shows its master's epoch.
	r := loadConf(t, "nodes-30003.conf", 1795304400000)
	if !strings.Contains(r.Info(), "cluster_my_epoch:8\r\n") {
		t.Errorf("replica info:\n%s", r.Info())
	}
}

var (
	slotsRe  = regexp.MustCompile(`(?m)^\d+\) 1\) \(integer\) (\d+)\n\s+2\) \(integer\) (\d+)\n\s+3\) 1\) "[^"]*"\n\s+2\) \(integer\) (\d+)\n\s+3\) "([0-9a-f]{40})"`)
	shardsRe = regexp.MustCompile(`(?m)^\d+\) 1\) "slots"\n\s+2\) (\(empty array\)|((?:\s*\d+\) \(integer\) \d+\n?)+))\s+3\) "nodes"\n\s+4\) 1\)\s+1\) "id"\n\s+2\) "([0-9a-f]{40})"`)
	intRe    = regexp.MustCompile(`\(integer\) (\d+)`)
)

// CLUSTER SLOTS and SHARDS of a loaded 30001 name the captured ranges, masters and ports.
func TestGoldenSlotsShards(t *testing.T) {
	s := loadConf(t, "nodes-30001.conf", 1795304400000)
	var want []string
	for _, m := range slotsRe.FindAllStringSubmatch(readGolden(t, "cluster-slots-30001.txt"), -1) {
		want = append(want, m[1]+"-"+m[2]+" "+m[3]+" "+m[4])
	}
	var got []string
	for _, e := range s.Slots() {
		got = append(got, strconv.Itoa(e.Start)+"-"+strconv.Itoa(e.End)+" "+strconv.Itoa(e.Master.Port)+" "+e.Master.ID)
	}
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Errorf("CLUSTER SLOTS %q, want %q", got, want)
	}

	want = nil
	for _, m := range shardsRe.FindAllStringSubmatch(readGolden(t, "cluster-shards-30001.txt"), -1) {
		var r []string
		for _, x := range intRe.FindAllStringSubmatch(m[2], -1) {
			r = append(r, x[1])
		}
		want = append(want, m[3]+" "+strings.Join(r, ","))
	}
	got = nil
	for _, sh := range s.Shards() {
		var r []string
		for _, x := range sh.Slots {
			r = append(r, strconv.Itoa(x.Start), strconv.Itoa(x.End))
		}
		got = append(got, sh.Nodes[0].ID+" "+strings.Join(r, ","))
		if sh.Nodes[0].Role != "master" {
			t.Errorf("shard led by a %s", sh.Nodes[0].Role)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) != 4 || !slices.Equal(got, want) {
		t.Errorf("CLUSTER SHARDS %q, want %q", got, want)
	}
}
