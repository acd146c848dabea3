package nodesconf

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

func corpusGlob(t testing.TB, pattern string) []string {
	t.Helper()
	dir := corpusDir(t)
	var out []string
	for _, p := range []string{pattern, filepath.Join("snapshots", "*", pattern)} {
		m, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatalf("no corpus files match %s", pattern)
	}
	return out
}

func rel(t *testing.T, p string) string {
	r, _ := filepath.Rel(corpusDir(t), p)
	return r
}

// Every nodes.conf Redis wrote parses and formats back to the identical bytes.
func TestGoldenNodesConf(t *testing.T) {
	files := corpusGlob(t, "nodes-*.conf")
	if len(files) < 7+6+1+1+2 {
		t.Fatalf("found only %d nodes.conf files", len(files))
	}
	for _, f := range files {
		t.Run(rel(t, f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("warnings: %v", c.Warnings)
			}
			if got := Format(c); !bytes.Equal(got, raw) {
				t.Fatalf("Format differs:\n%s\nwant:\n%s", got, raw)
			}
			if c.Myself() == nil || len(c.Nodes) != bytes.Count(raw, []byte("\n"))-1 {
				t.Fatalf("%d nodes", len(c.Nodes))
			}
		})
	}
}

// Every CLUSTER NODES output (redis-cli text and raw RESP2/RESP3 replies) parses and
// formats back to the identical text.
func TestGoldenClusterNodes(t *testing.T) {
	var n int
	for _, f := range corpusGlob(t, "cluster-nodes-*") {
		t.Run(rel(t, f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := replyText(t, filepath.Ext(f), raw)
			nodes, err := ParseClusterNodes(text)
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatClusterNodes(nodes); !bytes.Equal(got, text) {
				t.Fatalf("FormatClusterNodes differs:\n%s\nwant:\n%s", got, text)
			}
			mine := 0
			for _, nd := range nodes {
				if nd.Flags&bus.FlagMyself != 0 {
					mine++
				}
			}
			if mine != 1 {
				t.Fatalf("%d myself lines", mine)
			}
			n++
		})
	}
	if n < 10 {
		t.Fatalf("checked only %d CLUSTER NODES files", n)
	}
}

// replyText strips the RESP framing of a captured reply: "$<n>\r\n...\r\n" (RESP2 bulk) or
// "=<n>\r\ntxt:...\r\n" (RESP3 verbatim).
func replyText(t *testing.T, ext string, raw []byte) []byte {
	t.Helper()
	if ext == ".txt" {
		return raw
	}
	hdr, rest, ok := bytes.Cut(raw, []byte("\r\n"))
	if !ok || len(hdr) < 2 {
		t.Fatalf("bad reply framing")
	}
	n, err := strconv.Atoi(string(hdr[1:]))
	if err != nil || len(rest) != n+2 || !bytes.HasSuffix(rest, []byte("\r\n")) {
		t.Fatalf("bad reply length %q", hdr)
	}
	body := rest[:n]
	switch {
	case ext == ".resp2" && hdr[0] == '$':
		return body
	case ext == ".resp3" && hdr[0] == '=' && bytes.HasPrefix(body, []byte("txt:")):
		return body[4:]
	}
	t.Fatalf("unexpected reply type %q for %s", hdr[0], ext)
	return nil
}

// Field-level checks on files whose content vectors.md describes.
func TestNodesConfFields(t *testing.T) {
	read := func(name string) *Config {
		raw, err := os.ReadFile(filepath.Join(corpusDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	find := func(c *Config, id string) *Node {
		for i := range c.Nodes {
			if c.Nodes[i].ID == id {
				return &c.Nodes[i]
			}
		}
		t.Fatalf("node %s missing", id)
		return nil
	}
	const (
		id30001 = "9fb37fc6082fb665f61f1f988437d2ce89fa8f5c"
		id30002 = "231c3114ec243df6da138bd063818531e02ac833"
		id30006 = "be88ec7b0ffd0fba03b7eb28578f076391bb9599"
	)

	c := read("nodes-30001.conf")
	if c.CurrentEpoch != 8 || c.LastVoteEpoch != 8 || len(c.Nodes) != 7 {
		t.Errorf("vars %d %d nodes %d", c.CurrentEpoch, c.LastVoteEpoch, len(c.Nodes))
	}
	me := c.Myself()
	want := Node{ID: id30001, IP: "127.0.0.1", Port: 30001, CPort: 40001, Hostname: "node1.cluster.test",
		Flags: bus.FlagMyself | bus.FlagMaster, PongReceived: 1795304313000, ConfigEpoch: 1, Connected: true,
		Slots: []bus.SlotRange{{Start: 0, End: 5460}}}
	if !nodeEqual(me, &want) {
		t.Errorf("myself = %+v\nwant     %+v", *me, want)
	}
	n2 := find(c, id30002)
	if n2.Flags != bus.FlagSlave || n2.MasterID != id30006 || n2.ConfigEpoch != 7 || n2.PongReceived != 1795304314936 || len(n2.Slots) != 0 {
		t.Errorf("30002 = %+v", *n2)
	}
	if n7 := find(c, "c7109dc821598165997a175c7995232007d0b25b"); n7.Hostname != "" || n7.ConfigEpoch != 0 || n7.Flags != bus.FlagMaster {
		t.Errorf("30007 = %+v", *n7)
	}

	fresh := read("snapshots/fresh/nodes-30001.conf")
	if me := fresh.Myself(); me.IP != "" || me.Port != 0 || me.CPort != 0 || me.Hostname != "" || me.PongReceived != 0 {
		t.Errorf("fresh myself = %+v", *me)
	}

	mig := read("snapshots/migrating/nodes-30001.conf")
	if got := mig.Myself().OpenSlots; !slices.Equal(got, []OpenSlot{{Slot: 100, State: Migrating, NodeID: id30006}}) {
		t.Errorf("migrating open slots = %+v", got)
	}
	imp := read("snapshots/migrating/nodes-30006.conf")
	if got := imp.Myself().OpenSlots; !slices.Equal(got, []OpenSlot{{Slot: 100, State: Importing, NodeID: id30001}}) {
		t.Errorf("importing open slots = %+v", got)
	}
	if r := imp.Myself().Slots; !slices.Equal(r, []bus.SlotRange{{Start: 5461, End: 10922}}) {
		t.Errorf("30006 slots %v", r)
	}

	br := read("snapshots/before-restart/nodes-30003.conf")
	if br.LastVoteEpoch != 7 || br.CurrentEpoch != 7 || br.Myself().ConfigEpoch != 3 {
		t.Errorf("before-restart vars %d %d", br.CurrentEpoch, br.LastVoteEpoch)
	}
}

func nodeEqual(a, b *Node) bool {
	return a.ID == b.ID && a.IP == b.IP && a.Port == b.Port && a.CPort == b.CPort &&
		a.Hostname == b.Hostname && a.Flags == b.Flags && a.MasterID == b.MasterID &&
		a.PingSent == b.PingSent && a.PongReceived == b.PongReceived &&
		a.ConfigEpoch == b.ConfigEpoch && a.Connected == b.Connected &&
		slices.Equal(a.Slots, b.Slots) && slices.Equal(a.OpenSlots, b.OpenSlots)
}
