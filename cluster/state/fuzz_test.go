package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"

	"github.com/slotdb/slotdb/cluster/bus"
)

// FuzzStep: any message that decodes, on an inbound or an outbound link of a node loaded
// from a real nodes.conf, is processed without panicking, and the table still exports
// to a nodes.conf that parses.
func FuzzStep(f *testing.F) {
	dir := corpusDirF(f)
	bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	for _, p := range bins {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	conf, err := os.ReadFile(filepath.Join(dir, "nodes-30001.conf"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, outbound bool) {
		m, err := bus.Decode(b)
		if err != nil {
			return
		}
		s := loadConfBytes(t, conf)
		now := int64(1795304400000)
		out := s.Tick(now) // opens outbound links to every node
		var l LinkID
		if outbound && len(out.Connects) > 0 {
			l = out.Connects[0].Link
			s.LinkConnected(now, l, "127.0.0.1")
		} else {
			l = s.Accept(now, "127.0.0.1", "127.0.0.1")
		}
		s.Step(now, l, m)
		s.Step(now+10, l, m)
		s.Tick(now + 100)
		checkConfigRoundTrip(t, s)
		_ = s.Info()
		_ = s.Shards()
		_ = s.Slots()
	})
}

func corpusDirF(f *testing.F) string { f.Helper(); return corpus.Dir(f, "clusterbus") }
