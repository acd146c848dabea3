package nodesconf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/cluster/bus"
)

// ErrEmpty is returned by Parse for a zero-length file, which 7.0 treats like a missing
// one: create a new identity and write the file.
var ErrEmpty = errors.New("nodes.conf is empty")

// ParseError says which line of the file is corrupt and why. Line is 1-based; 0 means the
// file as a whole (e.g. no myself line).
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "corrupted cluster config: " + e.Msg
	}
	return fmt.Sprintf("corrupted cluster config, line %d: %s", e.Line, e.Msg)
}

// Parse reads a nodes.conf. It accepts what 7.0's loader accepts from a file Redis wrote
// (blank lines, "\r\n", quoting, the vars line anywhere, unknown vars with a warning,
// ":0@0", a missing "@cport") and rejects with a *ParseError what 7.0 rejects (fewer than 8
// fields, bad ids, unknown flags, slots out of range, no myself). It is stricter than 7.0's
// atoi-based reading: numbers must be plain decimals, the link state must be
// connected/disconnected, duplicate node lines or a second myself are errors, and text
// fields may not hold whitespace, quotes or control bytes (they could not be written back).
func Parse(data []byte) (*Config, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	c := &Config{}
	seen := map[string]bool{}
	myself := false
	err := eachLine(data, func(num int, args []string) error {
		if strings.EqualFold(args[0], "vars") {
			return c.parseVars(num, args)
		}
		n, err := parseNodeArgs(args)
		if err != nil {
			return err
		}
		if seen[n.ID] {
			return fmt.Errorf("node %s listed twice", n.ID)
		}
		seen[n.ID] = true
		if n.Flags&bus.FlagMyself != 0 {
			if myself {
				return errors.New("second node flagged myself")
			}
			myself = true
		}
		c.Nodes = append(c.Nodes, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !myself {
		return nil, &ParseError{Msg: "no node is flagged myself"}
	}
	return c, nil
}

// ParseClusterNodes reads CLUSTER NODES text: node lines only (no vars line), each checked
// as in Parse. It does not require a myself line.
func ParseClusterNodes(data []byte) ([]Node, error) {
	var nodes []Node
	err := eachLine(data, func(_ int, args []string) error {
		n, err := parseNodeArgs(args)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		return nil
	})
	return nodes, err
}

// eachLine splits data into lines, skips blank ones, splits the rest like sdssplitargs and
// turns errors into *ParseError with the line number.
func eachLine(data []byte, f func(num int, args []string) error) error {
	for num := 1; len(data) > 0; num++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		args, err := splitArgs(string(line))
		if err == nil && len(args) == 0 {
			continue
		}
		if err == nil {
			err = f(num, args)
		}
		if err != nil {
			return &ParseError{Line: num, Msg: err.Error()}
		}
	}
	return nil
}

func (c *Config) parseVars(num int, args []string) error {
	if len(args)%2 == 0 {
		return fmt.Errorf("vars line needs name/value pairs, has %d arguments", len(args)-1)
	}
	for j := 1; j < len(args); j += 2 {
		name, val := args[j], args[j+1]
		var dst *uint64
		switch {
		case strings.EqualFold(name, "currentEpoch"):
			dst = &c.CurrentEpoch
		case strings.EqualFold(name, "lastVoteEpoch"):
			dst = &c.LastVoteEpoch
		default:
			c.Warnings = append(c.Warnings,
				fmt.Sprintf("line %d: skipping unknown cluster config variable '%s'", num, name))
			continue
		}
		v, err := parseUint(val)
		if err != nil {
			return fmt.Errorf("vars %s: %v", name, err)
		}
		*dst = v
	}
	return nil
}

// parseNodeArgs reads the fields of one node line.
func parseNodeArgs(args []string) (Node, error) {
	var n Node
	if len(args) < 8 {
		return n, fmt.Errorf("node line has %d fields, need at least 8", len(args))
	}
	if !bus.ValidNodeName(args[0]) {
		return n, fmt.Errorf("field 1: invalid node id %q", args[0])
	}
	n.ID = args[0]
	if err := n.parseAddr(args[1]); err != nil {
		return n, fmt.Errorf("field 2 (address %q): %v", args[1], err)
	}
	f, err := ParseFlags(args[2])
	if err != nil {
		return n, fmt.Errorf("field 3 (flags): %v", err)
	}
	n.Flags = f
	if !strings.HasPrefix(args[3], "-") { // 7.0: any value starting with '-' means no master
		if !bus.ValidNodeName(args[3]) {
			return n, fmt.Errorf("field 4: invalid master id %q", args[3])
		}
		n.MasterID = args[3]
	}
	if n.PingSent, err = parseInt(args[4]); err != nil {
		return n, fmt.Errorf("field 5 (ping-sent): %v", err)
	}
	if n.PongReceived, err = parseInt(args[5]); err != nil {
		return n, fmt.Errorf("field 6 (pong-recv): %v", err)
	}
	if n.ConfigEpoch, err = parseUint(args[6]); err != nil {
		return n, fmt.Errorf("field 7 (config-epoch): %v", err)
	}
	switch args[7] {
	case "connected":
		n.Connected = true
	case "disconnected":
	default:
		return n, fmt.Errorf("field 8: link state %q is neither connected nor disconnected", args[7])
	}
	for j, tok := range args[8:] {
		if err := n.parseSlotToken(tok); err != nil {
			return n, fmt.Errorf("field %d (%q): %v", j+9, tok, err)
		}
	}
	return n, nil
}

// parseAddr reads ip:port[@cport][,hostname] as 7.0 does: hostname after the first ',',
// then ip and port split at the last ':', cport after the '@'.
func (n *Node) parseAddr(s string) error {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s, n.Hostname = s[:i], s[i+1:]
		if err := checkText(n.Hostname); err != nil {
			return fmt.Errorf("hostname: %v", err)
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return errors.New("no ':' between ip and port")
	}
	n.IP = s[:i]
	if err := checkText(n.IP); err != nil {
		return fmt.Errorf("ip: %v", err)
	}
	port, cport, hasBus := strings.Cut(s[i+1:], "@")
	var err error
	if n.Port, err = parsePort(port); err != nil {
		return fmt.Errorf("port: %v", err)
	}
	if !hasBus {
		// Files from before 4.0 have no bus port: 7.0 assumes port + 10000.
		if n.Port > 65535-10000 {
			return errors.New("no bus port, and port + 10000 is not a port")
		}
		n.CPort = n.Port + 10000
		return nil
	}
	if n.CPort, err = parsePort(cport); err != nil {
		return fmt.Errorf("bus port: %v", err)
	}
	return nil
}

// parseSlotToken reads "a", "a-b", "[a->-id]" or "[a-<-id]".
func (n *Node) parseSlotToken(tok string) error {
	if strings.HasPrefix(tok, "[") {
		body, ok := strings.CutSuffix(tok[1:], "]")
		if !ok {
			return errors.New("open-slot token without closing ']'")
		}
		var os OpenSlot
		slot, id, found := strings.Cut(body, "->-")
		os.State = Migrating
		if !found {
			slot, id, found = strings.Cut(body, "-<-")
			os.State = Importing
		}
		if !found {
			return errors.New("open-slot token is neither [slot->-id] nor [slot-<-id]")
		}
		var err error
		if os.Slot, err = parseSlot(slot); err != nil {
			return err
		}
		if !bus.ValidNodeName(id) {
			return fmt.Errorf("invalid node id %q", id)
		}
		os.NodeID = id
		n.OpenSlots = append(n.OpenSlots, os)
		return nil
	}
	a, b, isRange := strings.Cut(tok, "-")
	start, err := parseSlot(a)
	if err != nil {
		return err
	}
	end := start
	if isRange {
		if end, err = parseSlot(b); err != nil {
			return err
		}
		if end < start {
			return fmt.Errorf("slot range %d-%d ends before it starts", start, end)
		}
	}
	n.Slots = append(n.Slots, bus.SlotRange{Start: start, End: end})
	return nil
}

func digits(s string) error {
	if s == "" {
		return errors.New("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%q is not a decimal number", s)
		}
	}
	return nil
}

func parseUint(s string) (uint64, error) {
	if err := digits(s); err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q out of range", s)
	}
	return v, nil
}

func parseInt(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	if err := digits(strings.TrimPrefix(s, "-")); err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || neg && v == 0 {
		return 0, fmt.Errorf("%q out of range", s)
	}
	return v, nil
}

func parsePort(s string) (int, error) {
	v, err := parseUint(s)
	if err != nil {
		return 0, err
	}
	if v > 65535 {
		return 0, fmt.Errorf("%d out of range", v)
	}
	return int(v), nil
}

func parseSlot(s string) (int, error) {
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("slot: %v", err)
	}
	if v >= bus.SlotCount {
		return 0, fmt.Errorf("slot %d out of range 0-16383", v)
	}
	return int(v), nil
}

// checkText refuses bytes the writer could not reproduce in an unquoted word.
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '\'' || c == 0x7f {
			return fmt.Errorf("byte %#x not allowed", c)
		}
	}
	return nil
}
