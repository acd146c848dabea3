// Package migrate measures slot migration throughput for `slotdb bench migrate`: the
// machine's ceilings (SST build rate, loopback TCP), the native data path (snapshot export,
// s2 stream over loopback TCP, SST ingest into staging, promote), and the key-by-key MIGRATE
// path as redis-cli --cluster reshard drives it (pipeline 10) on slotdb and on real Redis.
package migrate

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options are the bench's flags.
type Options struct {
	Keys      int
	ValueSize int
	Slots     int    // the dataset lives in slots 0..Slots-1, all of them moved
	ServerBin string // slotdb-server; "" skips the slotdb reshard method
	RedisBin  string // redis-server; "" skips the Redis method
	CliBin    string // redis-cli
	TmpDir    string
	Out       io.Writer // progress and table
	// Skip names methods not to run (reported as skipped): native, cluster, slotdb-reshard,
	// redis-reshard. Repeated runs can leave out slotdb's slow reshard.
	Skip map[string]bool
}

// MethodNames are the names Options.Skip takes.
var MethodNames = []string{"native", "cluster", "slotdb-reshard", "redis-reshard"}

const skippedByFlag = "skipped by --skip"

// Method is one way of moving the slots.
type Method struct {
	Name       string   `json:"name"`
	Keys       int64    `json:"keys"`
	Bytes      int64    `json:"bytes"`
	Seconds    float64  `json:"seconds"`
	KeysPerSec float64  `json:"keys_per_s"`
	MBPerSec   float64  `json:"mb_per_s"`
	PctCeiling float64  `json:"pct_of_sst_ceiling"`
	PauseMs    *float64 `json:"write_pause_ms"`
	Note       string   `json:"note,omitempty"`
	Skipped    string   `json:"skipped,omitempty"`
}

// Results is the JSON file.
type Results struct {
	Keys       int      `json:"keys"`
	ValueSize  int      `json:"value_size"`
	Slots      int      `json:"slots"`
	SSTMBps    float64  `json:"ceiling_sst_build_mb_per_s"`
	TCPMBps    float64  `json:"ceiling_loopback_tcp_mb_per_s"`
	Methods    []Method `json:"methods"`
	RatioRedis *float64 `json:"ratio_native_vs_redis_cli_reshard"`
	// Client latency of the load beside CLUSTER MIGRATESLOTS, before it and during it.
	LatencyIdle   *Latency `json:"latency_idle,omitempty"`
	LatencyDuring *Latency `json:"latency_during_migration,omitempty"`
	Missing       []string `json:"not_measured"`
}

func (m *Method) finish(keys, bytes int64, d time.Duration, sstMBps float64) {
	m.Keys, m.Bytes, m.Seconds = keys, bytes, d.Seconds()
	if m.Seconds > 0 {
		m.KeysPerSec = float64(keys) / m.Seconds
		m.MBPerSec = float64(bytes) / 1e6 / m.Seconds
	}
	if sstMBps > 0 {
		m.PctCeiling = 100 * m.MBPerSec / sstMBps
	}
}

// Run runs every method and returns the results.
func Run(o Options) (*Results, error) {
	if o.TmpDir == "" {
		d, err := os.MkdirTemp("", "slotdb-bench-migrate-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		o.TmpDir = d
	}
	r := &Results{Keys: o.Keys, ValueSize: o.ValueSize, Slots: o.Slots}
	say := func(format string, a ...any) { fmt.Fprintf(o.Out, format+"\n", a...) }
	say("ceilings...")
	var err error
	if r.SSTMBps, err = sstCeiling(filepath.Join(o.TmpDir, "ceiling"), o); err != nil {
		return nil, err
	}
	if r.TCPMBps, err = tcpCeiling(); err != nil {
		return nil, err
	}
	say("  SST build %.0f MB/s, loopback TCP %.0f MB/s", r.SSTMBps, r.TCPMBps)

	nat := Method{Name: "slotdb native (snapshot + s2 stream + SST ingest + promote)", Skipped: skippedByFlag}
	if !o.Skip["native"] {
		say("native (engine data path)...")
		if nat, err = runNative(filepath.Join(o.TmpDir, "native"), o, r.SSTMBps); err != nil {
			return nil, err
		}
	}
	r.Methods = append(r.Methods, nat)

	say("native cluster: CLUSTER MIGRATESLOTS between two slotdb-server nodes, with a client load...")
	cn := Method{Name: "slotdb: CLUSTER MIGRATESLOTS (end to end, under load)"}
	switch {
	case o.Skip["cluster"]:
		cn.Skipped = skippedByFlag
	case o.ServerBin == "" || o.CliBin == "":
		cn.Skipped = "slotdb-server or redis-cli not found"
	default:
		if idle, during, err := runClusterNative(&cn, o.ServerBin, filepath.Join(o.TmpDir, "cluster-native"), o, r.SSTMBps); err != nil {
			cn.Skipped = "failed: " + err.Error()
		} else {
			r.LatencyIdle, r.LatencyDuring = &idle, &during
		}
	}
	r.Methods = append(r.Methods, cn)

	for _, m := range []struct{ skip, name, bin string }{
		{"slotdb-reshard", "slotdb: redis-cli --cluster reshard (MIGRATE, pipeline 10)", o.ServerBin},
		{"redis-reshard", "redis 7.0: redis-cli --cluster reshard (MIGRATE, pipeline 10)", o.RedisBin},
	} {
		res := Method{Name: m.name}
		if o.Skip[m.skip] {
			res.Skipped = skippedByFlag
			r.Methods = append(r.Methods, res)
			continue
		}
		say("%s...", m.name)
		if m.bin == "" || o.CliBin == "" {
			res.Skipped = "server or redis-cli not installed"
		} else if err := runReshard(&res, m.bin, filepath.Join(o.TmpDir, fmt.Sprint(len(r.Methods))), o, r.SSTMBps); err != nil {
			res.Skipped = "failed: " + err.Error()
		}
		r.Methods = append(r.Methods, res)
	}
	// The ratio compares the end-to-end native migration (the data path alone when the cluster
	// run did not happen) with redis-cli reshard on Redis.
	best := nat
	if cn.Skipped == "" || nat.Skipped != "" {
		best = cn
	}
	if red := r.Methods[3]; best.Skipped == "" && red.Skipped == "" && red.KeysPerSec > 0 {
		v := best.KeysPerSec / red.KeysPerSec
		r.RatioRedis = &v
	}
	return r, nil
}
