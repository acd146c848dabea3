package cmdmeta

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// node is a parsed RESP2/RESP3 reply kept as raw pieces, so it can be re-serialized.
type node struct {
	head  string // the type line, with CRLF; for bulks also the payload and its CRLF
	kids  []*node
	isAgg bool
}

func (n *node) bytes(b *strings.Builder) {
	b.WriteString(n.head)
	for _, k := range n.kids {
		k.bytes(b)
	}
}

func (n *node) String() string {
	var b strings.Builder
	n.bytes(&b)
	return b.String()
}

// parseReply parses the reply starting at off and returns it and its end.
func parseReply(b []byte, off int) (*node, int, error) {
	nl := bytes.Index(b[off:], []byte("\r\n"))
	if nl < 1 {
		return nil, 0, fmt.Errorf("offset %d: no line", off)
	}
	line := string(b[off+1 : off+nl])
	next := off + nl + 2
	n := &node{head: string(b[off:next])}
	switch b[off] {
	case '+', '-', ':', '_', ',', '#':
		return n, next, nil
	case '$', '=':
		l, err := strconv.Atoi(line)
		if err != nil {
			return nil, 0, fmt.Errorf("offset %d: %v", off, err)
		}
		if l < 0 {
			return n, next, nil
		}
		if next+l+2 > len(b) {
			return nil, 0, fmt.Errorf("offset %d: truncated bulk", off)
		}
		n.head = string(b[off : next+l+2])
		return n, next + l + 2, nil
	case '*', '~', '%':
		c, err := strconv.Atoi(line)
		if err != nil {
			return nil, 0, fmt.Errorf("offset %d: %v", off, err)
		}
		if b[off] == '%' {
			c *= 2
		}
		n.isAgg = true
		for i := 0; i < c; i++ {
			var k *node
			if k, next, err = parseReply(b, next); err != nil {
				return nil, 0, err
			}
			n.kids = append(n.kids, k)
		}
		return n, next, nil
	}
	return nil, 0, fmt.Errorf("offset %d: type %q", off, b[off])
}

// canonical re-serializes a reply with container subcommands sorted: Redis lists them in
// the iteration order of a dict that it rehashes as lookups happen, so that order is not
// stable even within one server process.
func canonical(b []byte) (string, error) {
	n, end, err := parseReply(b, 0)
	if err != nil {
		return "", err
	}
	if end != len(b) {
		return "", fmt.Errorf("%d trailing bytes", len(b)-end)
	}
	sortSubcommands(n)
	return n.String(), nil
}

func sortSubcommands(n *node) {
	for _, k := range n.kids {
		sortSubcommands(k)
	}
	if !n.isAgg {
		return
	}
	// A COMMAND INFO entry: [name, arity, ..., subcommands].
	if len(n.kids) == 10 && strings.HasPrefix(n.kids[0].head, "$") && strings.HasPrefix(n.kids[1].head, ":") {
		sortGroups(n.kids[9], 1)
	}
	// A COMMAND DOCS map (a flat array in RESP2) with a "subcommands" key.
	for i := 0; i+1 < len(n.kids); i += 2 {
		if n.kids[i].head == "$11\r\nsubcommands\r\n" && n.kids[i+1].isAgg {
			sortGroups(n.kids[i+1], 2)
		}
	}
}

func sortGroups(n *node, group int) {
	var groups [][]*node
	for i := 0; i+group <= len(n.kids); i += group {
		groups = append(groups, n.kids[i:i+group])
	}
	key := func(g []*node) string {
		var b strings.Builder
		for _, k := range g {
			k.bytes(&b)
		}
		return b.String()
	}
	sort.SliceStable(groups, func(i, j int) bool { return key(groups[i]) < key(groups[j]) })
	var kids []*node
	for _, g := range groups {
		kids = append(kids, g...)
	}
	n.kids = kids
}

// splitTop splits an aggregate reply into its header line and its canonical top-level
// entries of group elements each.
func splitTop(b []byte, group int) (header string, entries []string, err error) {
	n, _, err := parseReply(b, 0)
	if err != nil {
		return "", nil, err
	}
	sortSubcommands(n)
	for i := 0; i+group <= len(n.kids); i += group {
		var sb strings.Builder
		for _, k := range n.kids[i : i+group] {
			k.bytes(&sb)
		}
		entries = append(entries, sb.String())
	}
	return n.head, entries, nil
}
