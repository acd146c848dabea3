package server

import (
	"fmt"
	"sync"
	"time"
)

// slowLog keeps the last slowlog-max-len commands slower than slowlog-log-slower-than µs.
type slowLog struct {
	mu      sync.Mutex
	nextID  int64
	entries []slowEntry // newest first
}

type slowEntry struct {
	id     int64
	unix   int64
	micros int64
	args   []string
	addr   string
	name   string
}

func newSlowLog() *slowLog { return &slowLog{} }

// Redis keeps at most 32 arguments and 128 bytes of each (slowlog.c).
const (
	slowlogMaxArgc = 32
	slowlogMaxArg  = 128
)

func (l *slowLog) maybeAdd(cfg *Settings, c *Client, args [][]byte, d time.Duration) {
	slower := cfg.slowlogSlower.Load()
	us := d.Microseconds()
	if slower < 0 || us < slower {
		return
	}
	e := slowEntry{unix: time.Now().Unix(), micros: us, addr: c.raddr, name: c.name}
	redact := redactedArgs(args)
	argc := min(len(args), slowlogMaxArgc)
	for i := 0; i < argc; i++ {
		if argc != len(args) && i == argc-1 {
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-argc+1))
			break
		}
		a := args[i]
		switch {
		case redact[i]:
			e.args = append(e.args, "(redacted)")
		case len(a) > slowlogMaxArg:
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxArg], len(a)-slowlogMaxArg))
		default:
			e.args = append(e.args, string(a))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, slowEntry{})
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if limit := int(cfg.slowlogMaxLen.Load()); len(l.entries) > limit {
		clear(l.entries[limit:])
		l.entries = l.entries[:limit]
	}
}

// get returns up to n of the newest entries; -1 means all.
func (l *slowLog) get(n int64) []slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > int64(len(l.entries)) {
		n = int64(len(l.entries))
	}
	return append([]slowEntry(nil), l.entries[:n]...)
}

func (l *slowLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// reset empties the log; ids keep counting, as in Redis.
func (l *slowLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// sensitiveConfigs are the directives whose CONFIG SET values Redis redacts.
var sensitiveConfigs = map[string]bool{"masteruser": true, "masterauth": true, "requirepass": true}

// redactedArgs marks the arguments Redis replaces with "(redacted)" before logging a command
// (redactClientCommandArgument in AUTH, HELLO, CONFIG SET and MIGRATE). It follows each
// command's parser up to the point where that parser would have redacted.
func redactedArgs(args [][]byte) map[int]bool {
	var r map[int]bool
	mark := func(i int) {
		if r == nil {
			r = map[int]bool{}
		}
		r[i] = true
	}
	switch {
	case eqFold(args[0], "auth"):
		if len(args) <= 3 {
			for i := 1; i < len(args); i++ {
				mark(i)
			}
		}
	case eqFold(args[0], "hello"):
		if len(args) < 2 {
			break
		}
		if v, ok := parseInt(args[1]); !ok || v < 2 || v > 3 {
			break
		}
		for j := 2; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case eqFold(args[j], "auth") && more >= 2:
				mark(j + 1)
				mark(j + 2)
				j += 2
			case eqFold(args[j], "setname") && more >= 1:
				j++
			default:
				return r
			}
		}
	case eqFold(args[0], "config") && len(args) >= 4 && len(args)%2 == 0 && eqFold(args[1], "set"):
		for i := 2; i+1 < len(args); i += 2 {
			if sensitiveConfigs[string(lowerInto(nil, args[i]))] {
				mark(i + 1)
			}
		}
	case eqFold(args[0], "migrate"):
		for j := 6; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case eqFold(args[j], "copy"), eqFold(args[j], "replace"):
			case eqFold(args[j], "auth") && more >= 1:
				j++
				mark(j)
			case eqFold(args[j], "auth2") && more >= 2:
				mark(j + 1)
				mark(j + 2)
				j += 2
			default: // KEYS ends the options; anything else is a syntax error
				return r
			}
		}
	}
	return r
}
