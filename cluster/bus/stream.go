package bus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrame bounds totlen when ReadFrame is given no limit. PUBLISH bodies can be as
// large as a client bulk string (512 MB by default) and 7.0 itself sets no bound, so the
// limit is generous; memory still grows only as bytes actually arrive.
const DefaultMaxFrame = 1 << 30

// firstChunk is the most ReadFrame allocates before the peer has sent more bytes.
const firstChunk = 64 << 10

// ReadFrame reads one message from r the way Redis's read handler frames it (§1.3): the
// 8-byte prefix, a check of the signature and of HeaderLen <= totlen <= maxFrame (<= 0
// means DefaultMaxFrame), then the rest. The buffer grows as data arrives, so a lying
// totlen cannot force a large allocation.
//
// A clean EOF before the first byte returns io.EOF. Bad signature, bad totlen and EOF
// inside a message return a framing *DecodeError (IsFraming); other read errors are
// returned wrapped.
func ReadFrame(r io.Reader, maxFrame int) ([]byte, error) {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	var prefix [8]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, readErr(n, err)
	}
	if !bytes.Equal(prefix[:4], []byte(Signature)) {
		return nil, errorf(ErrSignature, 0, "got %q", prefix[:4])
	}
	totlen := uint64(be.Uint32(prefix[4:]))
	if totlen < HeaderLen || totlen > uint64(maxFrame) {
		return nil, errorf(ErrFrameLength, 4, "totlen %d outside %d..%d", totlen, HeaderLen, maxFrame)
	}
	total := int(totlen)
	buf := make([]byte, 8, min(total, firstChunk))
	copy(buf, prefix[:])
	for len(buf) < total {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(total, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return nil, readErr(len(buf), err)
		}
	}
	return buf, nil
}

// ReadMessage reads one frame with ReadFrame and decodes it. When the frame was read but
// does not decode, the error is not IsFraming and the stream is still in sync: Redis drops
// such a packet and keeps the link.
func ReadMessage(r io.Reader, maxFrame int) (*Message, error) {
	buf, err := ReadFrame(r, maxFrame)
	if err != nil {
		return nil, err
	}
	return Decode(buf)
}

func readErr(off int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(ErrTruncated, off, "stream ended inside a message")
	}
	return fmt.Errorf("cluster bus: read at message offset %d: %w", off, err)
}
