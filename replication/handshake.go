package replication

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// HandshakeOptions are what a replica tells its master.
type HandshakeOptions struct {
	User, Pass    string // masteruser / masterauth ("" = none)
	ListeningPort int    // REPLCONF listening-port
	AnnounceIP    string // REPLCONF ip-address, "" = none
	// ID and Offset are the history the replica has: PSYNC ID Offset+1. ID "" asks for a
	// full sync (PSYNC ? -1).
	ID     string
	Offset int64
	// Timeout bounds each reply (repl-timeout).
	Timeout time.Duration
	// Failover sends PSYNC ID Offset+1 FAILOVER: a master handing over to this replica
	// (FAILOVER), which becomes master before it answers.
	Failover bool
	// Log, when set, receives the handshake's milestones in Redis's wording
	// (syncWithMaster's notices), so that operators grep the same lines.
	Log func(line string)
}

// SyncReply is the master's answer to PSYNC.
type SyncReply struct {
	Full   bool   // +FULLRESYNC: an RDB follows
	ID     string // the master's replication id (unchanged on a +CONTINUE without one)
	Offset int64  // FULLRESYNC: the offset the RDB is taken at
}

// ErrRetryLater is a master that cannot serve PSYNC now (-LOADING, -NOMASTERLINK ...).
var ErrRetryLater = errors.New("replication: master asked to retry later")

// ErrFailoverRejected wraps any reply but +FULLRESYNC / +CONTINUE to a PSYNC ... FAILOVER.
var ErrFailoverRejected = errors.New("replication: failover target rejected psync request")

// Handshake runs Redis 7.0's replica handshake on conn: PING, AUTH, REPLCONF listening-port /
// ip-address / capa eof psync2, then PSYNC.
func Handshake(conn net.Conn, br *bufio.Reader, o HandshakeOptions) (*SyncReply, error) {
	send := func(argv ...string) (string, error) {
		var b []byte
		bs := make([][]byte, len(argv))
		for i, a := range argv {
			bs[i] = []byte(a)
		}
		b = AppendCommand(b, bs...)
		if o.Timeout > 0 {
			conn.SetDeadline(time.Now().Add(o.Timeout))
		}
		if _, err := conn.Write(b); err != nil {
			return "", err
		}
		return ReadLine(br)
	}
	logf := func(line string) {
		if o.Log != nil {
			o.Log(line)
		}
	}
	r, err := send("PING")
	if err != nil {
		return nil, fmt.Errorf("replication: PING: %w", err)
	}
	// Redis accepts an authentication error here: AUTH comes next.
	if strings.HasPrefix(r, "-") && !strings.HasPrefix(r, "-NOAUTH") && !strings.HasPrefix(r, "-NOPERM") &&
		!strings.HasPrefix(r, "-ERR operation not permitted") {
		return nil, fmt.Errorf("Error reply to PING from master: '%s'", r[1:])
	}
	logf("Master replied to PING, replication can continue...")
	if o.Pass != "" {
		args := []string{"AUTH", o.Pass}
		if o.User != "" {
			args = []string{"AUTH", o.User, o.Pass}
		}
		if r, err = send(args...); err != nil {
			return nil, err
		}
		if strings.HasPrefix(r, "-") {
			return nil, fmt.Errorf("Unable to AUTH to MASTER: %s", r)
		}
	}
	// Errors to REPLCONF are ignored, as Redis does (old masters).
	if _, err = send("REPLCONF", "listening-port", strconv.Itoa(o.ListeningPort)); err != nil {
		return nil, err
	}
	if o.AnnounceIP != "" {
		if _, err = send("REPLCONF", "ip-address", o.AnnounceIP); err != nil {
			return nil, err
		}
	}
	if _, err = send("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return nil, err
	}
	id, off := "?", "-1"
	if o.ID != "" {
		id, off = o.ID, strconv.FormatInt(o.Offset+1, 10)
		logf("Trying a partial resynchronization (request " + id + ":" + off + ").")
	} else {
		logf("Partial resynchronization not possible (no cached master)")
	}
	psync := []string{"PSYNC", id, off}
	if o.Failover {
		psync = append(psync, "FAILOVER")
	}
	if r, err = send(psync...); err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	rep, err := ParsePSYNCReply(r)
	if err != nil && o.Failover {
		return nil, fmt.Errorf("%w: %s", ErrFailoverRejected, r)
	}
	return rep, err
}

// ParsePSYNCReply reads +FULLRESYNC <id> <offset> or +CONTINUE [<id>].
func ParsePSYNCReply(r string) (*SyncReply, error) {
	switch {
	case strings.HasPrefix(r, "+FULLRESYNC"):
		f := strings.Fields(r)
		if len(f) != 3 || len(f[1]) != 40 {
			return nil, fmt.Errorf("replication: bad FULLRESYNC reply %q", r)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || off < 0 {
			return nil, fmt.Errorf("replication: bad FULLRESYNC offset %q", r)
		}
		return &SyncReply{Full: true, ID: f[1], Offset: off}, nil
	case strings.HasPrefix(r, "+CONTINUE"):
		f := strings.Fields(r)
		rep := &SyncReply{}
		if len(f) == 2 && len(f[1]) == 40 {
			rep.ID = f[1]
		}
		return rep, nil
	case strings.HasPrefix(r, "-NOMASTERLINK"), strings.HasPrefix(r, "-LOADING"):
		return nil, ErrRetryLater
	}
	return nil, fmt.Errorf("Unexpected reply to PSYNC from master: %s", r)
}

// ReadLine reads one reply line without CRLF, skipping the bare newlines a master sends as
// keepalives.
func ReadLine(br *bufio.Reader) (string, error) {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			return line, nil
		}
	}
}

// EOFMarkLen is the length of the disk-less transfer's end mark.
const EOFMarkLen = 40

// NewEOFMark returns a random end mark for a disk-less transfer.
func NewEOFMark() []byte {
	b := make([]byte, EOFMarkLen/2)
	rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

// ReadPayload copies the RDB that follows +FULLRESYNC to w: "$<len>\r\n" then len bytes, or
// "$EOF:<mark>\r\n", the bytes, then the mark. Bare newlines before the header are keepalives.
// It returns the RDB's size.
func ReadPayload(br *bufio.Reader, w io.Writer) (int64, error) {
	return ReadPayloadNotify(br, w, nil)
}

// ReadPayloadNotify is ReadPayload that calls header, when set, once the header is read:
// size is the announced length, or -1 for the EOF-mark form.
func ReadPayloadNotify(br *bufio.Reader, w io.Writer, header func(size int64)) (int64, error) {
	hdr, err := ReadLine(br)
	if err != nil {
		return 0, err
	}
	if strings.HasPrefix(hdr, "-") {
		return 0, fmt.Errorf("MASTER aborted replication with an error: %s", hdr[1:])
	}
	if !strings.HasPrefix(hdr, "$") {
		return 0, fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", hdr)
	}
	if strings.HasPrefix(hdr, "$EOF:") {
		mark := []byte(hdr[5:])
		if len(mark) != EOFMarkLen {
			return 0, fmt.Errorf("replication: bad EOF mark %q", hdr)
		}
		if header != nil {
			header(-1)
		}
		return copyUntilMark(br, w, mark)
	}
	n, err := strconv.ParseInt(hdr[1:], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("replication: bad payload length %q", hdr)
	}
	if header != nil {
		header(n)
	}
	m, err := io.CopyN(w, br, n)
	if err != nil {
		return m, unexpected(err)
	}
	return m, nil
}

// copyUntilMark copies br to w until the bytes read end with mark, which is not copied.
func copyUntilMark(br *bufio.Reader, w io.Writer, mark []byte) (int64, error) {
	// Hold back the last len(mark) bytes: they may be (part of) the mark.
	var held []byte
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := br.Read(buf)
		if n > 0 {
			held = append(held, buf[:n]...)
			if len(held) >= len(mark) && bytes.Equal(held[len(held)-len(mark):], mark) {
				out := held[:len(held)-len(mark)]
				if _, err := w.Write(out); err != nil {
					return total, err
				}
				return total + int64(len(out)), nil
			}
			if k := len(held) - len(mark); k > 0 {
				if _, err := w.Write(held[:k]); err != nil {
					return total, err
				}
				total += int64(k)
				held = append(held[:0], held[k:]...)
			}
		}
		if err != nil {
			return total, unexpected(err)
		}
	}
}
