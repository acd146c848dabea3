package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LogHandler writes slog records in Redis's log format, which operators' scripts grep:
//
//	PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL message
//
// ROLE is M (master), S (replica) or C (before the server is set up); LEVEL is '.' debug,
// '-' verbose, '*' notice, '#' warning. Attributes follow the message as key=value.
type LogHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	pid   int
	role  *atomic.Uint32
	roleF *atomic.Pointer[func() byte] // when set, the role character of each line
	level *slog.LevelVar
	attrs string
}

// LevelVerbose sits between debug and notice, as Redis's "verbose".
const LevelVerbose = slog.Level(-2)

// NewLogHandler writes to w at the given level.
func NewLogHandler(w io.Writer, level *slog.LevelVar) *LogHandler {
	h := &LogHandler{mu: &sync.Mutex{}, w: w, pid: os.Getpid(), role: &atomic.Uint32{}, roleF: &atomic.Pointer[func() byte]{}, level: level}
	h.role.Store('C')
	return h
}

// SetRole sets the role character shown in each line.
func (h *LogHandler) SetRole(r byte) { h.role.Store(uint32(r)) }

// SetRoleFunc makes f give the role character of each line (Redis prints S while
// masterhost is set, M otherwise), overriding SetRole.
func (h *LogHandler) SetRoleFunc(f func() byte) { h.roleF.Store(&f) }

func (h *LogHandler) roleChar() rune {
	if f := h.roleF.Load(); f != nil {
		return rune((*f)())
	}
	return rune(h.role.Load())
}

// SetOutput switches the destination (logfile).
func (h *LogHandler) SetOutput(w io.Writer) {
	h.mu.Lock()
	h.w = w
	h.mu.Unlock()
}

func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	mark := byte('*')
	switch {
	case r.Level < LevelVerbose:
		mark = '.'
	case r.Level < slog.LevelInfo:
		mark = '-'
	case r.Level >= slog.LevelWarn:
		mark = '#'
	}
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	fmt.Fprintf(&b, "%d:%c %s %c %s", h.pid, h.roleChar(), t.Format("02 Jan 2006 15:04:05.000"), mark, r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *LogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	n.attrs = b.String()
	return &n
}

func (h *LogHandler) WithGroup(string) slog.Handler { return h }

// ParseLogLevel maps redis.conf loglevel names to slog levels.
func ParseLogLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug - 4, true
	case "verbose":
		return LevelVerbose, true
	case "notice":
		return slog.LevelInfo, true
	case "warning":
		return slog.LevelWarn, true
	}
	return 0, false
}
