// Package replication holds the protocol side of Redis replication: the propagation stream
// (backlog and the shared buffer replicas read), RESP framing of the stream, the handshake a
// replica runs against its master and the RDB transfer framings. The server wires it to the
// engine and the command handlers; the native slot migration reads the same Stream.
package replication

import (
	"errors"
	"strconv"
	"sync"
)

// blockSize is the allocation unit of the stream buffer.
const blockSize = 16 << 10

// block is one piece of the stream. Blocks are linked oldest to newest; the backlog keeps the
// newest ones up to its size, and a reader further behind keeps its own blocks alive (the Go
// collector frees a block once neither references it), as Redis 7's shared replication
// buffer does.
type block struct {
	start int64 // stream offset (0-based) of data[0]
	data  []byte
	next  *block
}

// Stream is the propagation stream: every write in Redis's propagated form, numbered by byte
// offset (master_repl_offset), with the replication ids that name its history.
type Stream struct {
	mu       sync.Mutex
	id, id2  string
	off2     int64 // second_repl_offset: -1, or where history id2 ends (+1)
	off      int64 // bytes ever fed: master_repl_offset
	seldb    int   // db of the last SELECT, -1 forces one before the next command
	active   bool  // the backlog exists
	size     int64 // repl-backlog-size
	histlen  int64
	head     *block
	tail     *block
	changed  chan struct{}
	batching int        // inside an atomic command: commands wait in batch
	batch    []batchCmd // their db and argv
	scratch  []byte
}

type batchCmd struct {
	db   int
	argv [][]byte
}

// ErrNoHistory means the requested offset is not in the backlog.
var ErrNoHistory = errors.New("replication: offset not in the backlog")

// NewStream returns an inactive stream with replication id id.
func NewStream(id string, backlogSize int64) *Stream {
	return &Stream{id: id, id2: zeroID, off2: -1, seldb: -1, size: max(backlogSize, 16<<10)}
}

// zeroID is the replication id of no history.
const zeroID = "0000000000000000000000000000000000000000"

// IDs returns the replication id, the secondary id and the offset up to which the secondary
// id is valid (-1 when none), and the current offset.
func (s *Stream) IDs() (id, id2 string, off2, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, s.id2, s.off2, s.off
}

// Offset is master_repl_offset.
func (s *Stream) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.off
}

// Activate creates the backlog (it starts empty at the current offset); a stream feeds
// nothing before, as Redis's master keeps no stream until a replica first attaches. It
// reports whether the backlog was created now.
func (s *Stream) Activate() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activateLocked()
}

func (s *Stream) activateLocked() bool {
	if s.active {
		return false
	}
	s.active = true
	s.histlen = 0
	s.head = &block{start: s.off, data: make([]byte, 0, blockSize)}
	s.tail = s.head
	return true
}

// Deactivate frees the backlog (repl-backlog-ttl expired with no replica).
func (s *Stream) Deactivate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active, s.head, s.tail, s.histlen = false, nil, nil, 0
}

// Active reports whether the backlog exists.
func (s *Stream) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// SetSize changes repl-backlog-size (16 KiB at least, as Redis).
func (s *Stream) SetSize(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size = max(n, 16<<10)
	s.trimLocked()
}

// Backlog reports repl_backlog_active, repl_backlog_size, repl_backlog_first_byte_offset and
// repl_backlog_histlen as INFO prints them.
func (s *Stream) Backlog() (active bool, size, first, histlen int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return false, s.size, 0, 0
	}
	return true, s.size, s.off - s.histlen + 1, s.histlen
}

// ForceSelect makes the next command fed carry a SELECT: a replica that just loaded a
// snapshot taken now does not know the stream's db.
func (s *Stream) ForceSelect() {
	s.mu.Lock()
	s.seldb = -1
	s.mu.Unlock()
}

// StreamDB is the db the stream is in (-1 when the next command will select one).
func (s *Stream) StreamDB() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seldb
}

// FeedCommands appends commands of logical db (-1: any db, as PING) in RESP, with a SELECT
// first when the stream is in another db. Several commands are one atomic change and are
// wrapped in MULTI/EXEC, as Redis 7.0 propagates a command that caused several writes.
func (s *Stream) FeedCommands(db int, cmds [][][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return
	}
	if s.batching > 0 {
		for _, c := range cmds {
			s.batch = append(s.batch, batchCmd{db, c})
		}
		return
	}
	s.feedLocked(db, cmds, len(cmds) > 1)
}

var (
	multiCmd = [][]byte{[]byte("MULTI")}
	execCmd  = [][]byte{[]byte("EXEC")}
)

func (s *Stream) feedLocked(db int, cmds [][][]byte, wrap bool) {
	b := s.scratch[:0]
	if db >= 0 && db != s.seldb {
		b = AppendCommand(b, []byte("SELECT"), []byte(strconv.Itoa(db)))
		s.seldb = db
	}
	if wrap {
		b = AppendCommand(b, multiCmd...)
	}
	for _, c := range cmds {
		b = AppendCommand(b, c...)
	}
	if wrap {
		b = AppendCommand(b, execCmd...)
	}
	s.appendLocked(b)
	if cap(b) <= 1<<20 {
		s.scratch = b[:0]
	} else {
		s.scratch = nil
	}
}

// BeginBatch starts an atomic command (EXEC, a script): commands fed until EndBatch are
// propagated together, wrapped in MULTI/EXEC when there are several.
func (s *Stream) BeginBatch() {
	s.mu.Lock()
	s.batching++
	s.mu.Unlock()
}

// EndBatch ends what BeginBatch started and feeds the batch.
func (s *Stream) EndBatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batching--
	if s.batching > 0 || len(s.batch) == 0 {
		return
	}
	batch := s.batch
	s.batch = nil
	if !s.active {
		return
	}
	b := s.scratch[:0]
	wrap := len(batch) > 1
	for i, c := range batch {
		if c.db >= 0 && c.db != s.seldb {
			b = AppendCommand(b, []byte("SELECT"), []byte(strconv.Itoa(c.db)))
			s.seldb = c.db
		}
		if i == 0 && wrap {
			b = AppendCommand(b, multiCmd...)
		}
		b = AppendCommand(b, c.argv...)
	}
	if wrap {
		b = AppendCommand(b, execCmd...)
	}
	s.appendLocked(b)
}

// FeedRaw appends bytes as they are: a replica passes its master's stream on unchanged, so
// its own replicas see the same offsets. db is the db the stream is in after p.
func (s *Stream) FeedRaw(p []byte, db int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seldb = db
	if !s.active {
		s.off += int64(len(p))
		return
	}
	s.appendLocked(p)
}

func (s *Stream) appendLocked(p []byte) {
	if len(p) == 0 {
		return
	}
	s.off += int64(len(p))
	s.histlen += int64(len(p))
	for len(p) > 0 {
		t := s.tail
		if len(t.data) == cap(t.data) {
			nb := &block{start: t.start + int64(len(t.data)), data: make([]byte, 0, max(blockSize, min(len(p), 1<<20)))}
			t.next = nb
			s.tail = nb
			t = nb
		}
		n := min(cap(t.data)-len(t.data), len(p))
		t.data = append(t.data, p[:n]...)
		p = p[n:]
	}
	s.trimLocked()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// trimLocked drops the oldest blocks while the rest still covers the backlog size.
func (s *Stream) trimLocked() {
	for s.head != nil && s.head != s.tail && s.histlen-int64(len(s.head.data)) >= s.size {
		s.histlen -= int64(len(s.head.data))
		s.head = s.head.next
	}
}

// Changed returns a channel closed at the next append.
func (s *Stream) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// SetHistory replaces the stream's history: a replica after a full sync takes its master's id
// and offset; the backlog restarts empty there.
func (s *Stream) SetHistory(id string, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.id2, s.off2, s.off = id, zeroID, -1, off
	s.seldb = -1
	if s.active {
		s.active = false
		s.activateLocked()
	}
}

// Shift moves the current id to the secondary one, valid up to the current offset, and takes
// newID (PSYNC2: a promoted replica, or a replica whose master changed history, lets its own
// replicas continue partially).
func (s *Stream) Shift(newID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id2, s.off2 = s.id, s.off+1
	s.id = newID
}

// CanContinue reports whether a replica that has history id up to offset-1 can continue
// from this stream (Redis's masterTryPartialResynchronization test).
func (s *Stream) CanContinue(id string, offset int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.id && (id != s.id2 || offset > s.off2) {
		return false
	}
	if !s.active {
		return false
	}
	first := s.off - s.histlen + 1
	return offset >= first && offset <= s.off+1
}

// Cursor reads the stream from an offset on. It is used by one goroutine.
type Cursor struct {
	s   *Stream
	b   *block
	pos int
}

// NewCursor returns a cursor whose next byte is stream byte off+1 (0-based off), which must be
// in the backlog or at its end.
func (s *Stream) NewCursor(off int64) (*Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active || off < s.off-s.histlen || off > s.off {
		return nil, ErrNoHistory
	}
	b := s.head
	for b.next != nil && b.next.start <= off {
		b = b.next
	}
	return &Cursor{s: s, b: b, pos: int(off - b.start)}, nil
}

// Offset is the (0-based) offset of the cursor's next byte.
func (c *Cursor) Offset() int64 { return c.b.start + int64(c.pos) }

// Read copies available stream bytes into p; 0 when there are none yet. Lag is how far the
// stream is ahead of the cursor after the read.
func (c *Cursor) Read(p []byte) (n int, lag int64) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for n < len(p) {
		if c.pos == len(c.b.data) {
			if c.b.next == nil {
				break
			}
			c.b, c.pos = c.b.next, 0
			continue
		}
		k := copy(p[n:], c.b.data[c.pos:])
		c.pos += k
		n += k
	}
	return n, s.off - c.Offset()
}
