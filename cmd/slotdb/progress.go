package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports a transfer: a bar redrawn in place on a terminal, a log line every few
// seconds otherwise, and the final summary.
type progress struct {
	what   string
	out    io.Writer
	tty    bool
	total  int64 // bytes expected, 0 if unknown
	start  time.Time
	keys   atomic.Int64
	bytes  atomic.Int64 // payload bytes moved
	read   atomic.Int64 // source bytes consumed (the bar, when total is known)
	skip   atomic.Int64
	failed atomic.Int64
	stop   chan struct{}
	wg     sync.WaitGroup
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(what string, total int64) *progress {
	p := &progress{what: what, out: os.Stderr, tty: isTerminal(os.Stderr), total: total, start: time.Now(), stop: make(chan struct{})}
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
	return p
}

func (p *progress) rate() float64 {
	sec := time.Since(p.start).Seconds()
	if sec <= 0 {
		return 0
	}
	return float64(p.bytes.Load()) / (1 << 20) / sec
}

func (p *progress) report() {
	b := p.bytes.Load()
	r := p.read.Load()
	if !p.tty {
		fmt.Fprintf(p.out, "%s %s: %d keys, %.1f MB, %d skipped, %d failed, %.1f MB/s\n",
			time.Now().Format("15:04:05"), p.what, p.keys.Load(), float64(b)/(1<<20), p.skip.Load(), p.failed.Load(), p.rate())
		return
	}
	bar := ""
	if p.total > 0 {
		const width = 30
		n := int(min(r, p.total) * width / p.total)
		bar = fmt.Sprintf("[%s%s] %3d%% ", strings.Repeat("#", n), strings.Repeat(".", width-n), min(r, p.total)*100/p.total)
	}
	fmt.Fprintf(p.out, "\r%s %s%d keys, %.1f MB, %.1f MB/s, %d skipped, %d failed ", p.what, bar, p.keys.Load(), float64(b)/(1<<20), p.rate(), p.skip.Load(), p.failed.Load())
}

// finish stops the reports and prints the summary.
func (p *progress) finish() {
	close(p.stop)
	p.wg.Wait()
	if p.tty {
		fmt.Fprintln(p.out)
	}
	el := time.Since(p.start)
	fmt.Fprintf(p.out, "%s done: %d keys, %.1f MB, %d skipped, %d failed, %.2fs, %.1f MB/s\n",
		p.what, p.keys.Load(), float64(p.bytes.Load())/(1<<20), p.skip.Load(), p.failed.Load(), el.Seconds(), p.rate())
}

// countingReader counts the bytes read from a source file for the bar.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
