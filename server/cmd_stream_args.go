package server

import (
	"bytes"
	"math"
	"strconv"

	"github.com/slotdb/slotdb/engine"
)

// Stream argument parsing (t_stream.c): IDs, intervals, XADD/XTRIM trimming options.

const (
	errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"
	errStreamStartID   = "ERR invalid start ID for the interval"
	errStreamEndID     = "ERR invalid end ID for the interval"
)

// parseStreamID is streamGenericParseIDOrReply. missingSeq fills an ID given without a
// sequence; strict rejects "-" and "+"; with seqGiven non-nil, "ms-*" is accepted and reported.
func parseStreamID(b []byte, missingSeq uint64, strict bool, seqGiven *bool) (engine.StreamID, bool) {
	if len(b) > 127 {
		return engine.StreamID{}, false
	}
	b = cString(b) // Redis parses a C string copy
	if strict && len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		return engine.StreamID{}, false
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	if len(b) == 1 && b[0] == '-' {
		return engine.StreamID{}, true
	}
	if len(b) == 1 && b[0] == '+' {
		return engine.MaxStreamID, true
	}
	msPart, seqPart, dash := bytes.Cut(b, []byte{'-'})
	ms, ok := string2ull(msPart)
	if !ok {
		return engine.StreamID{}, false
	}
	seq := missingSeq
	if dash {
		if seqGiven != nil && len(seqPart) == 1 && seqPart[0] == '*' {
			seq = 0
			*seqGiven = false
		} else if seq, ok = string2ull(seqPart); !ok {
			return engine.StreamID{}, false
		}
	}
	return engine.StreamID{Ms: ms, Seq: seq}, true
}

// string2ull is Redis's: string2ll for canonical integers (negative ones rejected), else
// strtoull's looser syntax (leading spaces, a sign, leading zeros; "-n" wraps around).
func string2ull(b []byte) (uint64, bool) {
	if v, ok := parseInt(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// strictID parses an ID that must not be "-" or "+".
func strictID(b []byte) (engine.StreamID, bool) { return parseStreamID(b, 0, true, nil) }

// parseIntervalID is streamParseIntervalIDOrReply: "(" makes the bound exclusive.
func parseIntervalID(b []byte, missingSeq uint64) (id engine.StreamID, exclusive, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = parseStreamID(b[1:], missingSeq, true, nil)
		return id, true, ok
	}
	id, ok = parseStreamID(b, missingSeq, false, nil)
	return id, false, ok
}

// parseRange parses an inclusive [start, end] out of two interval arguments, or writes the
// error.
func (c *Client) parseRange(startArg, endArg []byte) (start, end engine.StreamID, ok bool) {
	start, ex, ok := parseIntervalID(startArg, 0)
	if !ok {
		c.w.Error(errInvalidStreamID)
		return start, end, false
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.w.Error(errStreamStartID)
			return start, end, false
		}
	}
	end, ex, ok = parseIntervalID(endArg, math.MaxUint64)
	if !ok {
		c.w.Error(errInvalidStreamID)
		return start, end, false
	}
	if ex {
		if end, ok = end.Decr(); !ok {
			c.w.Error(errStreamEndID)
			return start, end, false
		}
	}
	return start, end, true
}

// addTrimArgs are XADD's and XTRIM's parsed options (streamAddTrimArgs).
type addTrimArgs struct {
	engine.TrimArgs
	id         engine.StreamID
	idGiven    bool
	seqGiven   bool
	noMkstream bool
}

// parseAddTrimArgs is streamParseAddOrTrimArgsOrReply: it returns the index of XADD's ID
// argument (or the end of the arguments for XTRIM), or -1 after writing the error.
func (c *Client) parseAddTrimArgs(args [][]byte, xadd bool, a *addTrimArgs) int {
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case eqFold(opt, "maxlen") && more > 0:
			if a.Strategy != engine.TrimNone {
				c.w.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.Approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.Approx = next[0] == '~'
				i++
			}
			n, ok := c.intArg(args[i+1])
			if !ok {
				return -1
			}
			if n < 0 {
				c.w.Error("ERR The MAXLEN argument must be >= 0.")
				return -1
			}
			a.MaxLen = n
			i++
			a.Strategy = engine.TrimMaxLen
		case eqFold(opt, "minid") && more > 0:
			if a.Strategy != engine.TrimNone {
				c.w.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.Approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.Approx = next[0] == '~'
				i++
			}
			id, ok := strictID(args[i+1])
			if !ok {
				c.w.Error(errInvalidStreamID)
				return -1
			}
			a.MinID = id
			i++
			a.Strategy = engine.TrimMinID
		case eqFold(opt, "limit") && more > 0:
			n, ok := c.intArg(args[i+1])
			if !ok {
				return -1
			}
			if n < 0 {
				c.w.Error("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			a.Limit = n
			limitGiven = true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkstream = true
		case xadd:
			id, ok := parseStreamID(opt, 0, true, &a.seqGiven)
			if !ok {
				c.w.Error(errInvalidStreamID)
				return -1
			}
			a.id, a.idGiven = id, true
			goto done
		default:
			c.w.Error(errSyntax)
			return -1
		}
	}
done:
	if a.Limit != 0 && a.Strategy == engine.TrimNone {
		c.w.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && a.Strategy == engine.TrimNone {
		c.w.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	if limitGiven {
		if !a.Approx {
			c.w.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return -1
		}
	} else if a.Approx {
		// At most 100 nodes' worth of work per call, as Redis bounds it.
		a.Limit = 100 * c.streamLimits().MaxEntries
		if a.Limit <= 0 {
			a.Limit = 10000
		}
		if a.Limit > 1000000 {
			a.Limit = 1000000
		}
	} else {
		a.Limit = 0
	}
	return i
}

// streamLimits reads stream-node-max-entries and stream-node-max-bytes.
func (c *Client) streamLimits() engine.StreamLimits {
	lim := engine.DefaultStreamLimits
	if v, err := strconv.ParseInt(c.configValue("stream-node-max-entries"), 10, 64); err == nil {
		lim.MaxEntries = v
	}
	if v, err := strconv.ParseInt(c.configValue("stream-node-max-bytes"), 10, 64); err == nil {
		lim.MaxBytes = v
	}
	return lim
}
