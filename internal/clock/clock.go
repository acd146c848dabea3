// Package clock is a coarse wall clock: the current unix time in milliseconds, refreshed every
// millisecond by one goroutine. Reading the system clock costs over 100 ns on some virtual
// machines, and a command needs the time several times; Redis likewise caches it per command.
package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

var (
	nowMs atomic.Int64
	once  sync.Once
)

func start() {
	nowMs.Store(time.Now().UnixMilli())
	go func() {
		t := time.NewTicker(time.Millisecond)
		for now := range t.C {
			nowMs.Store(now.UnixMilli())
		}
	}()
}

// NowMs returns the unix time in milliseconds, at most about a millisecond old. It never goes
// backwards within the process unless the wall clock does.
func NowMs() int64 {
	once.Do(start)
	return nowMs.Load()
}

// Otter adapts the clock to the cache library's Clock interface (nanosecond resolution is not
// needed there: entries never expire by time).
type Otter struct{}

func (Otter) NowNano() int64                        { return NowMs() * int64(time.Millisecond) }
func (Otter) Tick(d time.Duration) <-chan time.Time { return time.Tick(d) }
