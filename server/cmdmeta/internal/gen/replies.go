package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/slotdb/slotdb/server/resp"
)

// replyCase is one golden reply: argv sent on a connection speaking proto, and the raw
// reply. Unordered replies (Redis iterates a hash table) are compared element by element
// as a multiset; Group is how many top-level elements make one entry (2 for a map).
type replyCase struct {
	Proto     int      `json:"proto"`
	Argv      []string `json:"argv"`
	Reply     string   `json:"reply"`
	Unordered bool     `json:"unordered,omitempty"`
	Group     int      `json:"group,omitempty"`
}

func writeReplies(c2, c3 *client, docs resp.Value) error {
	var out []replyCase
	both := []*client{c2, c3}
	addOn := func(conns []*client, unordered bool, group int, argv ...string) error {
		for _, c := range conns {
			_, raw, err := c.do(argv...)
			if err != nil {
				return err
			}
			proto := 2
			if c == c3 {
				proto = 3
			}
			out = append(out, replyCase{Proto: proto, Argv: argv, Reply: string(raw), Unordered: unordered, Group: group})
		}
		return nil
	}
	add := func(unordered bool, group int, argv ...string) error {
		return addOn(both, unordered, group, argv...)
	}

	// COMMAND INFO and COMMAND DOCS for whole families, in name order.
	groups := map[string][]string{}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		d := docs.Elems[i+1]
		for j := 0; j+1 < len(d.Elems); j += 2 {
			if d.Elems[j].Str == "group" {
				groups[d.Elems[j+1].Str] = append(groups[d.Elems[j+1].Str], docs.Elems[i].Str)
			}
		}
	}
	for _, g := range infoFamilies {
		names := groups[g]
		if len(names) == 0 {
			return fmt.Errorf("no commands in group %q", g)
		}
		sort.Strings(names)
		for _, sub := range []string{"INFO", "DOCS"} {
			if err := add(false, 0, append([]string{"COMMAND", sub}, names...)...); err != nil {
				return err
			}
		}
	}
	for _, argv := range orderedCases {
		if err := add(false, 0, argv...); err != nil {
			return err
		}
	}
	for _, uc := range unorderedCases {
		conns := both
		if uc.resp3Only {
			conns = []*client{c3}
		}
		if err := addOn(conns, true, uc.group, uc.argv...); err != nil {
			return err
		}
	}
	for _, argv := range getkeysCases {
		for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
			if err := add(false, 0, append([]string{"COMMAND", sub}, argv...)...); err != nil {
				return err
			}
		}
	}

	var b strings.Builder
	b.WriteString("[\n")
	for i, c := range out {
		j, err := json.Marshal(c)
		if err != nil {
			return err
		}
		b.Write(j)
		if i < len(out)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return os.WriteFile("testdata/replies.json", []byte(b.String()), 0o644)
}
