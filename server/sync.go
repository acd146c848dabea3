package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The full-transfer half of replication as `redis-cli --rdb FILE` (and a replica's first
// sync) uses it: PSYNC answers "+FULLRESYNC <replid> <offset>", SYNC nothing; then the whole
// dataset follows as one bulk "$<len>\r\n<RDB bytes>" (no trailing CRLF), written from a
// snapshot while writers go on. The RDB goes through a temp file first, as Redis's disk-based
// sync does, because the length comes before the bytes.
//
// Seam for the replication package: FullSyncHook, when set, takes over the connection after
// the RDB was sent (stream the writes made since the snapshot, REPLCONF ACKs ...). Without
// it the connection stays an ordinary client.

// FullSyncHook is called after a full transfer with the client's connection writer, the
// replication offset the snapshot corresponds to, and whether the client sent PSYNC.
var FullSyncHook func(c *Client, offset int64, psync bool)

func init() {
	register("sync", cmdSync)
	register("psync", cmdSync)
	if _, ok := registry["replconf"]; !ok {
		// redis-cli --rdb sends REPLCONF rdb-only 1 first; the replication package registers
		// the real REPLCONF (its file sorts before this one, so its init ran first).
		register("replconf", func(c *Client, args [][]byte) { c.w.OK() })
	}
}

func cmdSync(c *Client, args [][]byte) {
	psync := eqFold(args[0], "psync")
	s := c.s
	replID := s.intro.replID
	const offset = 0
	dir := s.configValue("dir", ".")
	tmp := filepath.Join(dir, fmt.Sprintf("temp-sync-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	snap, err := s.eng.Snapshot()
	if err != nil {
		c.storeError(err)
		return
	}
	err = writeFileSync(tmp, tmp, func(w io.Writer) error { return s.writeRDB(w, snap, false) })
	snap.Close()
	if err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	defer os.Remove(tmp)
	f, err := os.Open(tmp)
	if err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	s.log.Info(fmt.Sprintf("Replica %s asks for synchronization", c.raddr))
	if psync {
		c.w.Simple("FULLRESYNC " + replID + " " + strconv.Itoa(offset))
	}
	c.w.Buf = append(c.w.Buf, '$')
	c.w.Buf = strconv.AppendInt(c.w.Buf, st.Size(), 10)
	c.w.Buf = append(c.w.Buf, '\r', '\n')
	if err := c.flush(); err != nil {
		return
	}
	c.wmu.Lock()
	n, err := io.Copy(c.conn, f)
	c.wmu.Unlock()
	s.stats.netOutput.Add(n)
	if err != nil {
		c.close()
		return
	}
	s.log.Info(fmt.Sprintf("Synchronization with replica %s succeeded", c.raddr))
	if FullSyncHook != nil {
		FullSyncHook(c, offset, psync)
	}
}
