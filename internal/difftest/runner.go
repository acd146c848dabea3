package difftest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slotdb/slotdb/internal/proctest"
)

// Side is one server under comparison.
type Side struct {
	Name string // "redis", "slotdb", ... for messages
	Addr string // host:port
}

// Pseudo-replies recorded instead of bytes when a connection has no reply to give, so that
// both sides can still be compared.
const (
	ReplyClosed  = "<connection closed>"
	ReplyTimeout = "<timeout>"
	ReplyNone    = "<no reply>" // @noreply saw silence, as wanted
)

// Runner sends commands to both sides over numbered connection pairs and compares replies.
type Runner struct {
	Ref, Got Side
	Rules    []Rule
	Timeout  time.Duration // per reply; a side that takes longer yields ReplyTimeout
	// Trace, when set, sees every exchange before it is compared (debugging, self-tests).
	Trace func(pos string, cmd []string, ref, got []byte)
	// MaxTimeouts stops a script or random run after this many replies timed out, so that a
	// server that hangs costs seconds, not minutes.
	MaxTimeouts int

	timeouts int

	conns map[int]*[2]*proctest.Conn
	cur   int
	norm  Normalizer // from @norm, for the next command only
}

// NewRunner returns a runner comparing got against ref under rules (usually DefaultRules).
func NewRunner(ref, got Side, rules []Rule) *Runner {
	return &Runner{Ref: ref, Got: got, Rules: rules, Timeout: 2 * time.Second, MaxTimeouts: 3,
		conns: map[int]*[2]*proctest.Conn{}, cur: 1}
}

// Close closes every connection.
func (r *Runner) Close() {
	for n := range r.conns {
		r.drop(n)
	}
}

func (r *Runner) drop(n int) {
	if p := r.conns[n]; p != nil {
		for _, c := range p {
			if c != nil {
				c.Close()
			}
		}
		delete(r.conns, n)
	}
}

// pair returns the current connection pair, dialling it on first use.
func (r *Runner) pair() (*[2]*proctest.Conn, error) {
	if p := r.conns[r.cur]; p != nil {
		return p, nil
	}
	p := &[2]*proctest.Conn{}
	for i, s := range []Side{r.Ref, r.Got} {
		c, err := proctest.Dial(s.Addr)
		if err != nil {
			if i == 1 {
				p[0].Close()
			}
			return nil, fmt.Errorf("dial %s (%s): %v", s.Name, s.Addr, err)
		}
		c.SetTimeout(r.Timeout)
		p[i] = c
	}
	r.conns[r.cur] = p
	return p, nil
}

// Mismatch is one difference between the two sides.
type Mismatch struct {
	Pos      string   // case file:line, or the generator's seed and step
	Cmd      []string // the command (or directive) that produced the replies
	RefName  string
	GotName  string
	Ref, Got []byte // raw replies as received (or a pseudo-reply)
	Reason   string // rules that normalized the replies, or what else went wrong
}

func (m Mismatch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", m.Pos, quoteCmd(m.Cmd))
	if m.Ref != nil || m.Got != nil {
		fmt.Fprintf(&b, "\n    %-7s %s", m.RefName+":", clip(m.Ref))
		fmt.Fprintf(&b, "\n    %-7s %s", m.GotName+":", clip(m.Got))
	}
	if m.Reason != "" {
		fmt.Fprintf(&b, "\n    (%s)", m.Reason)
	}
	return b.String()
}

// quoteCmd renders a command so that it can be pasted back into a case file.
func quoteCmd(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \"'\\") || strconv.Quote(a) != `"`+a+`"` {
			out[i] = strconv.Quote(a)
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

// clip quotes a reply, keeping its start and end when it is long.
func clip(b []byte) string {
	const head, tail = 400, 100
	if len(b) <= head+tail {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%s ...(%d bytes)... %s", strconv.Quote(string(b[:head])), len(b)-head-tail, strconv.Quote(string(b[len(b)-tail:])))
}

// Do sends one command on the current connection pair and compares the replies, returning
// a mismatch or nil. pos labels the mismatch.
func (r *Runner) Do(pos string, args ...string) *Mismatch {
	p, err := r.pair()
	if err != nil {
		return &Mismatch{Pos: pos, Cmd: args, RefName: r.Ref.Name, GotName: r.Got.Name, Reason: err.Error()}
	}
	var replies [2][]byte
	for i, c := range p {
		if err := c.Send(args...); err != nil {
			replies[i] = []byte(ReplyClosed)
			continue
		}
		replies[i] = r.read(c)
	}
	return r.compare(pos, args, replies)
}

// read reads one reply from c, turning connection failures into pseudo-replies. The caller
// (compare) drops the pair afterwards when a side is closed or late.
func (r *Runner) read(c *proctest.Conn) []byte {
	raw, err := c.ReadReply()
	if err == nil {
		return raw
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		r.timeouts++
		return []byte(ReplyTimeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return []byte(ReplyClosed)
	}
	return []byte("<error: " + err.Error() + ">")
}

// compare applies the matching rules and any pending @norm, and reports a difference.
func (r *Runner) compare(pos string, args []string, replies [2][]byte) *Mismatch {
	norm := r.norm
	r.norm = nil
	if r.Trace != nil {
		r.Trace(pos, args, replies[0], replies[1])
	}
	for i := range replies {
		switch string(replies[i]) {
		case ReplyClosed, ReplyTimeout:
			// The pair is out of step once a side is gone or late (a late reply would be read
			// as the next command's): start both afresh next time.
			r.drop(r.cur)
		}
	}
	if bytes.Equal(replies[0], replies[1]) {
		return nil
	}
	m := &Mismatch{Pos: pos, Cmd: args, RefName: r.Ref.Name, GotName: r.Got.Name, Ref: replies[0], Got: replies[1]}
	var ns []Normalizer
	var reasons []string
	if norm != nil {
		ns, reasons = append(ns, norm), append(reasons, "@norm")
	}
	for _, rule := range r.Rules {
		if !rule.Matches(args) {
			continue
		}
		if rule.Norm == nil {
			return nil // allowed to differ entirely
		}
		ns, reasons = append(ns, rule.Norm), append(reasons, "rule "+rule.Pattern+": "+rule.Reason)
	}
	if len(ns) == 0 {
		return m
	}
	m.Reason = "after normalizing by " + strings.Join(reasons, "; ")
	a, errA := proctest.ParseReply(replies[0])
	b, errB := proctest.ParseReply(replies[1])
	if errA != nil || errB != nil {
		return m
	}
	for _, n := range ns {
		n(a, b)
	}
	if bytes.Equal(a.Raw(), b.Raw()) {
		return nil
	}
	m.Reason += fmt.Sprintf("\n     normalized %s: %s\n     normalized %s: %s", r.Ref.Name, clip(a.Raw()), r.Got.Name, clip(b.Raw()))
	return m
}

// RunScript executes every step of a case file and returns all mismatches (it does not stop
// at the first one, so a run lists everything still to do).
func (r *Runner) RunScript(s *Script) []Mismatch {
	var out []Mismatch
	for _, st := range s.Steps {
		if m := r.Step(st); m != nil {
			out = append(out, *m)
		}
		if m := r.gaveUp(st.Pos()); m != nil {
			return append(out, *m)
		}
	}
	return out
}

// gaveUp reports a mismatch once MaxTimeouts replies have timed out.
func (r *Runner) gaveUp(pos string) *Mismatch {
	if r.MaxTimeouts <= 0 || r.timeouts < r.MaxTimeouts {
		return nil
	}
	return &Mismatch{Pos: pos, Cmd: []string{"GIVING", "UP"}, RefName: r.Ref.Name, GotName: r.Got.Name,
		Reason: fmt.Sprintf("%d replies timed out after %v; the rest of the run is skipped", r.timeouts, r.Timeout)}
}

// Step executes one command or directive.
func (r *Runner) Step(st Step) *Mismatch {
	pos := st.Pos()
	switch st.Directive {
	case "":
		return r.Do(pos, st.Args...)
	case "conn":
		r.cur, _ = strconv.Atoi(st.Args[0])
	case "resp3":
		return r.Do(pos, "HELLO", "3")
	case "resp2":
		return r.Do(pos, "HELLO", "2")
	case "flush":
		return r.Do(pos, "FLUSHALL")
	case "sleep":
		ms, _ := strconv.Atoi(st.Args[0])
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case "reconnect":
		r.drop(r.cur)
	case "norm":
		r.norm, _ = NormalizerByName(st.Args)
	case "send":
		return r.each(pos, st, func(c *proctest.Conn, _ int) []byte {
			if err := c.Send(st.Args...); err != nil {
				return []byte(ReplyClosed)
			}
			return nil
		})
	case "raw":
		return r.each(pos, st, func(c *proctest.Conn, i int) []byte {
			if err := c.SendRaw([]byte(st.Args[0])); err != nil {
				return []byte(ReplyClosed)
			}
			return nil
		})
	case "read":
		return r.each(pos, st, func(c *proctest.Conn, _ int) []byte { return r.read(c) })
	case "noreply":
		wait := 100 * time.Millisecond
		if len(st.Args) == 1 {
			ms, _ := strconv.Atoi(st.Args[0])
			wait = time.Duration(ms) * time.Millisecond
		}
		return r.each(pos, st, func(c *proctest.Conn, i int) []byte {
			c.SetTimeout(wait)
			defer c.SetTimeout(r.Timeout)
			raw, err := c.ReadReply()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return []byte(ReplyNone)
			}
			if err != nil {
				return []byte(ReplyClosed)
			}
			return raw
		})
	case "scan":
		return r.scan(pos, st)
	}
	return nil
}

// each runs f on both sides of the current pair and compares what it returns.
func (r *Runner) each(pos string, st Step, f func(c *proctest.Conn, i int) []byte) *Mismatch {
	p, err := r.pair()
	cmd := append([]string{"@" + st.Directive}, st.Args...)
	if err != nil {
		return &Mismatch{Pos: pos, Cmd: cmd, RefName: r.Ref.Name, GotName: r.Got.Name, Reason: err.Error()}
	}
	var replies [2][]byte
	for i, c := range p {
		replies[i] = f(c, i)
	}
	return r.compare(pos, cmd, replies)
}

// maxScanCalls bounds one @scan: a cursor that never returns to 0 is a bug, not a long wait.
const maxScanCalls = 10000

func scanCursorIndex(args []string) int {
	for i, a := range args {
		if a == "0" && i > 0 {
			return i
		}
	}
	return -1
}

// scan iterates a SCAN-family command to the end on each side and compares the sorted,
// de-duplicated elements (pairs for HSCAN/ZSCAN are compared as flat elements).
func (r *Runner) scan(pos string, st Step) *Mismatch {
	ci := scanCursorIndex(st.Args)
	return r.each(pos, st, func(c *proctest.Conn, i int) []byte {
		args := append([]string(nil), st.Args...)
		seen := map[string]bool{}
		for iter := 0; ; iter++ {
			raw := r.sendRead(c, args)
			reply, err := proctest.ParseReply(raw)
			if err != nil || reply.Type == '-' {
				return raw // an error (or a pseudo-reply) is compared as it is
			}
			if len(reply.Elems) != 2 || !reply.Elems[1].IsAggregate() {
				return append([]byte("<bad SCAN reply> "), raw...)
			}
			if iter >= maxScanCalls {
				return append([]byte(fmt.Sprintf("<SCAN not finished after %d calls> last reply ", iter)), raw...)
			}
			for _, e := range reply.Elems[1].Elems {
				seen[string(e.Raw())] = true
			}
			if args[ci] = reply.Elems[0].Str; args[ci] == "0" {
				break
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return []byte("*" + strconv.Itoa(len(keys)) + "\r\n" + strings.Join(keys, ""))
	})
}

func (r *Runner) sendRead(c *proctest.Conn, args []string) []byte {
	if err := c.Send(args...); err != nil {
		return []byte(ReplyClosed)
	}
	return r.read(c)
}
