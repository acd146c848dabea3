package migrate

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// sstCeiling writes the dataset's worth of sorted records (same key and value sizes) into an
// SST and returns MB/s: the fastest a target can turn received records into a table.
func sstCeiling(dir string, o Options) (float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	path := filepath.Join(dir, "ceiling.sst")
	defer os.Remove(path)
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return 0, err
	}
	po := &pebble.Options{}
	po.EnsureDefaults()
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), po.MakeWriterOptions(0, sstable.TableFormatPebblev5))
	v := make([]byte, o.ValueSize+10)
	var bytes int64
	start := time.Now()
	for i := range o.Keys {
		k := []byte(fmt.Sprintf("\x00%08d:m:key:%012d", i/1000, i))
		if err := w.Set(k, v); err != nil {
			return 0, err
		}
		bytes += int64(len(k) + len(v))
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return float64(bytes) / 1e6 / time.Since(start).Seconds(), nil
}

// tcpCeiling sends 512 MB over a loopback connection and returns MB/s.
func tcpCeiling() (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	const total = 512 << 20
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.CopyN(io.Discard, c, total)
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	start := time.Now()
	for sent := 0; sent < total; sent += len(buf) {
		if _, err := c.Write(buf); err != nil {
			return 0, err
		}
	}
	if err := <-done; err != nil {
		return 0, err
	}
	return total / 1e6 / time.Since(start).Seconds(), nil
}
