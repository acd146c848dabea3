package cluster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/slotdb/slotdb/engine"
)

// The record stream of native slot migration: the source's raw records of the moving slot
// ranges, in key order, packed into s2-compressed chunks. A big collection is many element
// records, so it simply spans chunks.
//
//	header:  "SDBSLOTS" version(1) nranges(u16) {start(u16) end(u16)}...
//	chunk:   rawLen(u32) compLen(u32) s2 block of records {uvarint klen, key, uvarint vlen, value}...
//	trailer: rawLen 0, records(u64), bytes(u64)    (what the sender sent, checked by the receiver)
//
// All integers big-endian. Lengths are bounded and buffers grow with the bytes actually
// received, so a hostile peer cannot make the receiver allocate more than it sent.

const (
	streamMagic   = "SDBSLOTS"
	streamVersion = 1
	// maxChunk bounds one chunk's records (a record bigger than the chunk target gets a chunk
	// of its own: a 512 MB string fits).
	maxChunk = 600 << 20
	// DefaultChunkBytes is the raw size a chunk is cut at.
	DefaultChunkBytes = 1 << 20
)

// StreamStats is what one stream carried.
type StreamStats struct {
	Records, Bytes, WireBytes int64
}

// SendOptions tune SendSlots.
type SendOptions struct {
	ChunkBytes     int                        // raw bytes per chunk; 0: DefaultChunkBytes
	MaxBytesPerSec int64                      // rate limit on raw bytes; 0: none
	Progress       func(records, bytes int64) // called after each chunk
	Now            func() time.Time           // tests replace it
	Sleep          func(d time.Duration)      // tests replace it
}

// SendSlots writes the stream of ranges as of snap to w.
func SendSlots(w io.Writer, snap *engine.Snapshot, ranges []engine.SlotRange, o SendOptions) (StreamStats, error) {
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = DefaultChunkBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var st StreamStats
	hdr := append([]byte(streamMagic), streamVersion)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(ranges)))
	for _, r := range ranges {
		hdr = binary.BigEndian.AppendUint16(hdr, r.Start)
		hdr = binary.BigEndian.AppendUint16(hdr, r.End)
	}
	if _, err := bw.Write(hdr); err != nil {
		return st, err
	}
	start := o.Now()
	raw := make([]byte, 0, o.ChunkBytes+o.ChunkBytes/8)
	var comp []byte
	flush := func() error {
		if len(raw) == 0 {
			return nil
		}
		comp = s2.Encode(comp[:cap(comp)], raw)
		var h [8]byte
		binary.BigEndian.PutUint32(h[:], uint32(len(raw)))
		binary.BigEndian.PutUint32(h[4:], uint32(len(comp)))
		if _, err := bw.Write(h[:]); err != nil {
			return err
		}
		if _, err := bw.Write(comp); err != nil {
			return err
		}
		st.WireBytes += int64(8 + len(comp))
		raw = raw[:0]
		if o.Progress != nil {
			o.Progress(st.Records, st.Bytes)
		}
		if o.MaxBytesPerSec > 0 { // sleep until the bytes sent fit the budget
			due := start.Add(time.Duration(float64(st.Bytes) / float64(o.MaxBytesPerSec) * float64(time.Second)))
			if d := due.Sub(o.Now()); d > 0 {
				if err := bw.Flush(); err != nil {
					return err
				}
				o.Sleep(d)
			}
		}
		return nil
	}
	err := snap.ExportSlots(ranges, func(k, v []byte) error {
		if len(raw) > 0 && len(raw)+len(k)+len(v)+20 > o.ChunkBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		raw = binary.AppendUvarint(raw, uint64(len(k)))
		raw = append(raw, k...)
		raw = binary.AppendUvarint(raw, uint64(len(v)))
		raw = append(raw, v...)
		st.Records++
		st.Bytes += int64(len(k) + len(v))
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return st, err
	}
	var tr [20]byte
	binary.BigEndian.PutUint64(tr[4:], uint64(st.Records))
	binary.BigEndian.PutUint64(tr[12:], uint64(st.Bytes))
	if _, err := bw.Write(tr[:]); err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// StreamError is a malformed stream, with the offset where it went wrong.
type StreamError struct {
	Offset int64
	Msg    string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("slot stream: %s at offset %d", e.Msg, e.Offset)
}

// countingReader tracks the offset for errors.
type countingReader struct {
	r   io.Reader
	off int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

// ReadStreamHeader reads the header and returns the ranges the stream carries.
func ReadStreamHeader(r io.Reader) ([]engine.SlotRange, error) {
	var h [len(streamMagic) + 3]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, &StreamError{0, "truncated header: " + err.Error()}
	}
	if string(h[:len(streamMagic)]) != streamMagic || h[len(streamMagic)] != streamVersion {
		return nil, &StreamError{0, "bad magic or version"}
	}
	n := int(binary.BigEndian.Uint16(h[len(streamMagic)+1:]))
	if n == 0 || n > 16384 {
		return nil, &StreamError{int64(len(streamMagic) + 1), fmt.Sprintf("bad range count %d", n)}
	}
	buf := make([]byte, 4*n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, &StreamError{int64(len(h)), "truncated ranges"}
	}
	ranges := make([]engine.SlotRange, n)
	for i := range ranges {
		ranges[i] = engine.SlotRange{Start: binary.BigEndian.Uint16(buf[4*i:]), End: binary.BigEndian.Uint16(buf[4*i+2:])}
		if ranges[i].Start > ranges[i].End || ranges[i].End >= 16384 || i > 0 && ranges[i].Start <= ranges[i-1].End {
			return nil, &StreamError{int64(len(h) + 4*i), "bad slot range " + ranges[i].String()}
		}
	}
	return ranges, nil
}

// ReceiveSlots reads a whole stream (header included) into the records sink add, checking the
// trailer. It returns the ranges the header announced. Given a *bufio.Reader it reads nothing
// past the trailer (what follows the stream on the link stays there).
func ReceiveSlots(r io.Reader, add func(key, value []byte) error) ([]engine.SlotRange, StreamStats, error) {
	cr := &countingReader{r: bufReader(r)}
	var st StreamStats
	ranges, err := ReadStreamHeader(cr)
	if err != nil {
		return nil, st, err
	}
	var comp bytes.Buffer
	var raw []byte
	for {
		at := cr.off
		var h [8]byte
		if _, err := io.ReadFull(cr, h[:4]); err != nil {
			return ranges, st, &StreamError{at, "truncated chunk header"}
		}
		rawLen := binary.BigEndian.Uint32(h[:4])
		if rawLen == 0 {
			var tr [16]byte
			if _, err := io.ReadFull(cr, tr[:]); err != nil {
				return ranges, st, &StreamError{at, "truncated trailer"}
			}
			if int64(binary.BigEndian.Uint64(tr[:])) != st.Records || int64(binary.BigEndian.Uint64(tr[8:])) != st.Bytes {
				return ranges, st, &StreamError{at, fmt.Sprintf("trailer says %d records/%d bytes, received %d/%d",
					binary.BigEndian.Uint64(tr[:]), binary.BigEndian.Uint64(tr[8:]), st.Records, st.Bytes)}
			}
			st.WireBytes = cr.off
			return ranges, st, nil
		}
		if _, err := io.ReadFull(cr, h[4:]); err != nil {
			return ranges, st, &StreamError{at, "truncated chunk header"}
		}
		compLen := binary.BigEndian.Uint32(h[4:])
		if rawLen > maxChunk || int(compLen) > s2.MaxEncodedLen(int(rawLen)) {
			return ranges, st, &StreamError{at, fmt.Sprintf("chunk lengths %d/%d out of bounds", rawLen, compLen)}
		}
		comp.Reset()
		if n, err := io.CopyN(&comp, cr, int64(compLen)); err != nil || n != int64(compLen) {
			return ranges, st, &StreamError{at + 8, "truncated chunk"}
		}
		if n, err := s2.DecodedLen(comp.Bytes()); err != nil || n != int(rawLen) {
			return ranges, st, &StreamError{at + 8, "chunk length does not match its block"}
		}
		if cap(raw) < int(rawLen) {
			raw = make([]byte, rawLen)
		}
		raw, err = s2.Decode(raw[:cap(raw)], comp.Bytes())
		if err != nil {
			return ranges, st, &StreamError{at + 8, "corrupt chunk: " + err.Error()}
		}
		for p := 0; p < len(raw); {
			k, n1 := binary.Uvarint(raw[p:])
			if n1 <= 0 || k > uint64(len(raw)-p-n1) {
				return ranges, st, &StreamError{at, fmt.Sprintf("bad key length in chunk at %d", p)}
			}
			key := raw[p+n1 : p+n1+int(k)]
			p += n1 + int(k)
			v, n2 := binary.Uvarint(raw[p:])
			if n2 <= 0 || v > uint64(len(raw)-p-n2) {
				return ranges, st, &StreamError{at, fmt.Sprintf("bad value length in chunk at %d", p)}
			}
			val := raw[p+n2 : p+n2+int(v)]
			p += n2 + int(v)
			if err := add(key, val); err != nil {
				return ranges, st, err
			}
			st.Records++
			st.Bytes += int64(len(key) + len(val))
		}
	}
}
