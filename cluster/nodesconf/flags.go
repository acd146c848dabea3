package nodesconf

import (
	"fmt"
	"strings"

	"github.com/slotdb/slotdb/cluster/bus"
)

// flagWords is redisNodeFlagsTable: the printed flags in printing order.
var flagWords = []struct {
	flag bus.NodeFlags
	word string
}{
	{bus.FlagMyself, "myself"},
	{bus.FlagMaster, "master"},
	{bus.FlagSlave, "slave"},
	{bus.FlagPFail, "fail?"},
	{bus.FlagFail, "fail"},
	{bus.FlagHandshake, "handshake"},
	{bus.FlagNoAddr, "noaddr"},
	{bus.FlagNoFailover, "nofailover"},
}

// AppendFlags appends the comma list Redis prints for f (representClusterNodeFlags):
// printed flags in fixed order, "noflags" when none; MEET and MIGRATE_TO are never printed.
func AppendFlags(dst []byte, f bus.NodeFlags) []byte {
	start := len(dst)
	for _, w := range flagWords {
		if f&w.flag != 0 {
			if len(dst) > start {
				dst = append(dst, ',')
			}
			dst = append(dst, w.word...)
		}
	}
	if len(dst) == start {
		dst = append(dst, "noflags"...)
	}
	return dst
}

// FlagString returns AppendFlags(nil, f) as a string.
func FlagString(f bus.NodeFlags) string { return string(AppendFlags(nil, f)) }

// ParseFlags reads a flags field the way 7.0's loader does (case-insensitive words, and
// "noflags"). Any other word is an error: 7.0 aborts at startup on it.
func ParseFlags(s string) (bus.NodeFlags, error) {
	var f bus.NodeFlags
	for _, word := range strings.Split(s, ",") {
		if strings.EqualFold(word, "noflags") {
			continue
		}
		found := false
		for _, w := range flagWords {
			if strings.EqualFold(word, w.word) {
				f |= w.flag
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown flag %q", word)
		}
	}
	return f, nil
}
