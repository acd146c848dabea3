package migrate

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// Table writes the results as a text table.
func Table(w io.Writer, r *Results) {
	fmt.Fprintf(w, "\n%d keys x %d B over %d slots; ceilings: SST build %.0f MB/s, loopback TCP %.0f MB/s\n\n",
		r.Keys, r.ValueSize, r.Slots, r.SSTMBps, r.TCPMBps)
	fmt.Fprintf(w, "%-62s %10s %10s %9s %9s %8s\n", "method", "keys", "seconds", "keys/s", "MB/s", "% SST")
	for _, m := range r.Methods {
		if m.Skipped != "" {
			fmt.Fprintf(w, "%-62s skipped: %s\n", m.Name, m.Skipped)
			continue
		}
		fmt.Fprintf(w, "%-62s %10d %10.2f %9.0f %9.1f %7.1f%%\n", m.Name, m.Keys, m.Seconds, m.KeysPerSec, m.MBPerSec, m.PctCeiling)
		if m.PauseMs != nil {
			fmt.Fprintf(w, "%-62s write pause %.0f ms\n", "", *m.PauseMs)
		}
	}
	if r.LatencyIdle != nil && r.LatencyDuring != nil {
		fmt.Fprintf(w, "\nclient GET latency idle:   p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d ops)\n",
			r.LatencyIdle.P50Ms, r.LatencyIdle.P99Ms, r.LatencyIdle.MaxMs, r.LatencyIdle.Ops)
		fmt.Fprintf(w, "client GET latency during: p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d ops)\n",
			r.LatencyDuring.P50Ms, r.LatencyDuring.P99Ms, r.LatencyDuring.MaxMs, r.LatencyDuring.Ops)
	}
	if r.RatioRedis != nil {
		fmt.Fprintf(w, "\nnative / redis-cli reshard on Redis 7.0: %.1fx keys/s\n", *r.RatioRedis)
	} else {
		fmt.Fprintf(w, "\nnative / redis-cli reshard on Redis 7.0: n/a (Redis not measured)\n")
	}
	for _, s := range r.Missing {
		fmt.Fprintf(w, "not measured: %s\n", s)
	}
}

// SVG draws keys/s per method as horizontal bars (log scale would hide nothing here: the
// values are labelled).
func SVG(w io.Writer, r *Results) {
	const width, bar, left = 900, 28, 430
	h := 60 + len(r.Methods)*(bar+12)
	var maxv float64
	for _, m := range r.Methods {
		maxv = max(maxv, m.KeysPerSec)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, h)
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="14">slot migration throughput, keys/s (%d keys x %d B, %d slots)</text>`+"\n", r.Keys, r.ValueSize, r.Slots)
	for i, m := range r.Methods {
		y := 40 + i*(bar+12)
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", y+bar/2+4, html.EscapeString(m.Name))
		wd := 0.0
		if maxv > 0 {
			wd = m.KeysPerSec / maxv * (width - left - 120)
		}
		label := fmt.Sprintf("%.0f", m.KeysPerSec)
		if m.Skipped != "" {
			label = "skipped"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#4a7fb5"/>`+"\n", left, y, wd, bar)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left)+wd+6, y+bar/2+4, label)
	}
	b.WriteString("</svg>\n")
	io.WriteString(w, b.String())
}
