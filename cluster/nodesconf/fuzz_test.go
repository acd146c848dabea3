package nodesconf

import (
	"bytes"
	"os"
	"testing"

	"github.com/slotdb/slotdb/cluster/bus"
)

// FuzzParse: Parse never panics; whatever it accepts formats to text that parses back to
// the same nodes, and formatting is then a fixed point.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"nodes-*.conf", "cluster-nodes-*.txt"} {
		seeds = append(seeds, corpusGlob(f, pat)...)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(meOK + "vars currentEpoch 1 lastVoteEpoch 0 x y\n"))
	f.Add([]byte(idA + " '::1:7000,h' myself,slave " + idB + " 0 0 0 connected [5-<-" + idB + "]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		nodes, nodesErr := ParseClusterNodes(in)
		if nodesErr == nil {
			out := FormatClusterNodes(nodes)
			again, err := ParseClusterNodes(out)
			if err != nil {
				t.Fatalf("formatted CLUSTER NODES does not parse: %v\n%q", err, out)
			}
			if len(again) != len(nodes) {
				t.Fatalf("%d nodes became %d", len(nodes), len(again))
			}
			for i := range nodes {
				if !nodeEqual(&nodes[i], &again[i]) {
					t.Fatalf("node %d changed:\n%+v\n%+v", i, nodes[i], again[i])
				}
			}
		}
		c, err := Parse(in)
		if err != nil {
			return
		}
		if nodesErr != nil && !bytes.Contains(bytes.ToLower(in), []byte("vars")) {
			t.Fatalf("Parse accepted what ParseClusterNodes refused: %v", nodesErr)
		}
		if me := c.Myself(); me.Flags&bus.FlagHandshake != 0 {
			return // Format leaves handshake nodes out, myself included
		}
		out := Format(c)
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("formatted file does not parse: %v\n%q", err, out)
		}
		if !bytes.Equal(Format(c2), out) || c2.CurrentEpoch != c.CurrentEpoch || c2.LastVoteEpoch != c.LastVoteEpoch {
			t.Fatalf("Format is not a fixed point:\n%q\n%q", out, Format(c2))
		}
	})
}
