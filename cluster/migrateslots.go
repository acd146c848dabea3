package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/server/cmdmeta"
)

// The link of native slot migration (CLUSTER MIGRATESLOTS). The source connects to the
// target's client port and sends CLUSTER SYNCSLOTS ESTABLISH; after +OK both sides speak
// this framing on the same socket:
//
//	source → target: the record stream (migrate_stream.go), then frames
//	                 'C' commands: RESP commands written to the moving slots since the snapshot
//	                 'H' heartbeat (empty)
//	                 'E' end: the source paused the slots and sent everything; take them
//	target → source: 'A' the snapshot is staged, 'O' the slots are mine, 'F' failed (text)
//
//	frame: type(1) length(u32, big-endian) payload
//
// A frame is bounded (maxFrame) so a bad peer cannot make the reader allocate much.

// Frame types.
const (
	FrameCommands  = 'C'
	FrameHeartbeat = 'H'
	FrameEnd       = 'E'
	FrameStaged    = 'A'
	FrameOwned     = 'O'
	FrameFailed    = 'F'
)

const maxFrame = 64 << 20

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	var h [5]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("slot migration: frame of %d bytes", n)
	}
	switch h[0] {
	case FrameCommands, FrameHeartbeat, FrameEnd, FrameStaged, FrameOwned, FrameFailed:
	default:
		return 0, nil, fmt.Errorf("slot migration: unknown frame type %q", h[0])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return h[0], p, nil
}

// ErrUnmovable is a propagated write the migration cannot forward (FLUSHALL, a command
// whose keys straddle the moving ranges): the migration fails and the source keeps the slots.
var ErrUnmovable = errors.New("slot migration: a write that cannot be forwarded")

// SlotFilter picks, out of the propagation stream, the commands that write the moving slots.
type SlotFilter struct {
	moving [16384]bool
}

// NewSlotFilter filters for ranges.
func NewSlotFilter(ranges []engine.SlotRange) *SlotFilter {
	f := &SlotFilter{}
	for _, r := range ranges {
		for s := int(r.Start); s <= int(r.End) && s < len(f.moving); s++ {
			f.moving[s] = true
		}
	}
	return f
}

// Keep reports whether argv (one propagated command) writes the moving slots. SELECT,
// MULTI/EXEC, PING and keyless commands are left out (the target applies each command
// alone, and nothing else writes the slots there); FLUSHALL, FLUSHDB, SWAPDB and a command
// with keys both in and out of the ranges are ErrUnmovable.
func (f *SlotFilter) Keep(argv [][]byte) (bool, error) {
	if len(argv) == 0 {
		return false, nil
	}
	name := strings.ToLower(string(argv[0]))
	switch name {
	case "select", "multi", "exec", "ping", "replconf":
		return false, nil
	case "flushall", "flushdb", "swapdb":
		return false, fmt.Errorf("%w: %s", ErrUnmovable, strings.ToUpper(name))
	}
	cmd := cmdmeta.LookupArgv(argv)
	if cmd == nil {
		return false, nil
	}
	keys, err := cmd.Keys(argv)
	if err != nil || len(keys) == 0 {
		return false, nil
	}
	in, out := 0, 0
	for _, pos := range keys {
		if f.moving[keyslot.Of(argv[pos])] {
			in++
		} else {
			out++
		}
	}
	if in > 0 && out > 0 {
		return false, fmt.Errorf("%w: %s with keys in and out of the moving slots", ErrUnmovable, strings.ToUpper(name))
	}
	return in > 0, nil
}

// AppendCommand appends argv as a RESP multibulk.
func AppendCommand(b []byte, argv [][]byte) []byte {
	b = fmt.Appendf(b, "*%d\r\n", len(argv))
	for _, a := range argv {
		b = fmt.Appendf(b, "$%d\r\n", len(a))
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// ParseRanges parses "start-end start-end ..." (slot_ranges as GETSLOTMIGRATIONS shows it).
func ParseRanges(s string) ([]engine.SlotRange, error) {
	var out []engine.SlotRange
	for _, f := range strings.Fields(s) {
		var a, b int
		if _, err := fmt.Sscanf(f, "%d-%d", &a, &b); err != nil || a < 0 || b < a || b >= 16384 {
			return nil, fmt.Errorf("bad slot range %q", f)
		}
		out = append(out, engine.SlotRange{Start: uint16(a), End: uint16(b)})
	}
	if len(out) == 0 {
		return nil, errors.New("no slot range")
	}
	return out, nil
}

// FormatRanges is the inverse of ParseRanges.
func FormatRanges(rs []engine.SlotRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// bufReader returns r as a *bufio.Reader, wrapping it only when it is not one: the record
// stream and the frames after it share one reader, so nothing may be read ahead past it.
func bufReader(r io.Reader) *bufio.Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return br
	}
	return bufio.NewReaderSize(r, 256<<10)
}
