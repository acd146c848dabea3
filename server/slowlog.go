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
	argc := min(len(args), slowlogMaxArgc)
	for i := 0; i < argc; i++ {
		if argc != len(args) && i == argc-1 {
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-argc+1))
			break
		}
		a := args[i]
		if len(a) > slowlogMaxArg {
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxArg], len(a)-slowlogMaxArg))
		} else {
			e.args = append(e.args, string(a))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowEntry{e}, l.entries...)
	if max := int(cfg.slowlogMaxLen.Load()); len(l.entries) > max {
		l.entries = l.entries[:max]
	}
}
