package migrate

import (
	"bytes"
	"net"
	"path/filepath"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// runNative loads the dataset into a source engine, then times the native data path into a
// second engine: snapshot, export, s2 stream over loopback TCP, staging SSTs, promote, and
// the source's range drop.
func runNative(dir string, o Options, sstMBps float64) (Method, error) {
	m := Method{Name: "slotdb native (snapshot + s2 stream + SST ingest + promote)"}
	src, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "src"), Databases: 16})
	if err != nil {
		return m, err
	}
	defer src.Close()
	dst, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "dst"), Databases: 16})
	if err != nil {
		return m, err
	}
	defer dst.Close()
	l, err := src.NewBulkLoader(engine.LoadOptions{})
	if err != nil {
		return m, err
	}
	tags := hashTags(o.Slots)
	val := bytes.Repeat([]byte("v"), o.ValueSize)
	for i := range o.Keys {
		if err := l.Add(0, datasetKey(tags, i), &rdb.Object{Kind: rdb.KindString, Str: val}, 0); err != nil {
			return m, err
		}
	}
	if _, err := l.Finish(); err != nil {
		return m, err
	}
	ranges := []engine.SlotRange{{Start: 0, End: uint16(o.Slots - 1)}}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return m, err
	}
	defer ln.Close()
	start := time.Now()
	im, err := dst.NewSlotImport(filepath.Join(dir, "import"), ranges)
	if err != nil {
		return m, err
	}
	recvDone := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			recvDone <- err
			return
		}
		defer c.Close()
		_, _, err = cluster.ReceiveSlots(c, im.Add)
		recvDone <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return m, err
	}
	snap, err := src.SnapshotWith(nil)
	if err != nil {
		return m, err
	}
	st, err := cluster.SendSlots(c, snap, ranges, cluster.SendOptions{})
	snap.Close()
	c.Close()
	if err != nil {
		return m, err
	}
	if err := <-recvDone; err != nil {
		return m, err
	}
	if err := im.Promote(); err != nil {
		return m, err
	}
	if err := src.DropSlots(ranges); err != nil {
		return m, err
	}
	d := time.Since(start)
	m.finish(dst.DBSize(0), st.Bytes, d, sstMBps)
	m.Note = "data path only: no catch-up or ownership hand-over yet"
	return m, nil
}
