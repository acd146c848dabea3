package bus

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestStream(t *testing.T) {
	v := loadVectors(t)
	if len(v.Streams) == 0 {
		t.Fatal("vectors.json has no streams")
	}
	for _, s := range v.Streams {
		raw := readCorpus(t, s.File)
		if len(raw) != s.Length {
			t.Fatalf("%s: %d bytes, vectors.json says %d", s.File, len(raw), s.Length)
		}
		readers := map[string]func() io.Reader{
			"whole":   func() io.Reader { return bytes.NewReader(raw) },
			"onebyte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(raw)) },
			"half":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(raw)) },
		}
		for name, mk := range readers {
			t.Run(s.File+"/"+name, func(t *testing.T) {
				r := mk()
				for i, want := range s.Messages {
					frame, err := ReadFrame(r, 0)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if !bytes.Equal(frame, raw[want.Offset:want.Offset+want.Length]) {
						t.Fatalf("message %d: frame differs from bytes at %d", i, want.Offset)
					}
					m, err := Decode(frame)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if int(m.Header.Type) != want.Type {
						t.Fatalf("message %d: type %d, want %d", i, m.Header.Type, want.Type)
					}
					if !bytes.Equal(Encode(m), frame) {
						t.Fatalf("message %d: re-encode differs", i)
					}
				}
				if _, err := ReadFrame(r, 0); err != io.EOF {
					t.Fatalf("after last message: %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	ping := readCorpus(t, "ping-4.bin")
	withTotlen := func(n uint32) []byte {
		b := bytes.Clone(ping[:8])
		be.PutUint32(b[4:], n)
		return b
	}
	boom := errors.New("boom")
	cases := []struct {
		name  string
		r     io.Reader
		max   int
		kind  error
		frame bool
	}{
		{"bad signature", bytes.NewReader(append([]byte("RCmB"), ping[4:]...)), 0, ErrSignature, true},
		{"totlen below header", bytes.NewReader(withTotlen(HeaderLen - 1)), 0, ErrFrameLength, true},
		{"totlen zero", bytes.NewReader(withTotlen(0)), 0, ErrFrameLength, true},
		{"totlen above limit", bytes.NewReader(withTotlen(1 << 20)), 1<<20 - 1, ErrFrameLength, true},
		{"huge totlen default limit", bytes.NewReader(withTotlen(0xffffffff)), 0, ErrFrameLength, true},
		{"short prefix", bytes.NewReader(ping[:5]), 0, ErrTruncated, true},
		{"short body", bytes.NewReader(ping[:len(ping)-1]), 0, ErrTruncated, true},
		{"lying totlen", bytes.NewReader(withTotlen(DefaultMaxFrame)), 0, ErrTruncated, true},
		{"read error", iotest.ErrReader(boom), 0, boom, false},
		{"read error mid-message", io.MultiReader(bytes.NewReader(ping[:100]), iotest.ErrReader(boom)), 0, boom, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame, err := ReadFrame(c.r, c.max)
			if frame != nil || !errors.Is(err, c.kind) {
				t.Fatalf("ReadFrame = %d bytes, %v; want %v", len(frame), err, c.kind)
			}
			if IsFraming(err) != c.frame {
				t.Fatalf("IsFraming(%v) = %v", err, !c.frame)
			}
		})
	}
}

// A peer announcing a 1 GiB message and sending nothing must not cost 1 GiB.
func TestReadFrameAllocatesIncrementally(t *testing.T) {
	b := []byte("RCmb\x3f\xff\xff\xff") // totlen just under 1 GiB, no body
	r := &countingReader{r: bytes.NewReader(b)}
	if _, err := ReadFrame(r, 0); !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	// The buffer handed to Read is the one allocated: it must stay at the first chunk.
	if r.maxAsk > firstChunk {
		t.Fatalf("ReadFrame asked for a %d-byte read before data arrived", r.maxAsk)
	}
}

type countingReader struct {
	r      io.Reader
	maxAsk int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.maxAsk = max(c.maxAsk, len(p))
	return c.r.Read(p)
}

func TestReadMessageDecodeErrorKeepsSync(t *testing.T) {
	bad := bytes.Clone(readCorpus(t, "meet-2.bin"))
	be.PutUint16(bad[8:], 2) // version 2: dropped, stream still in sync
	good := readCorpus(t, "pong-1.bin")
	r := bytes.NewReader(append(bad, good...))
	if _, err := ReadMessage(r, 0); !errors.Is(err, ErrVersion) || IsFraming(err) {
		t.Fatalf("first message: %v, want non-framing ErrVersion", err)
	}
	m, err := ReadMessage(r, 0)
	if err != nil || m.Header.Type != TypePong {
		t.Fatalf("second message: %v %v", m, err)
	}
}
