package bus

import (
	"bytes"
	"errors"
	"testing"
)

// mutate returns a copy of a corpus file changed by f.
func mutate(t *testing.T, file string, f func(b []byte) []byte) []byte {
	return f(bytes.Clone(readCorpus(t, file)))
}

func setTotlen(b []byte) []byte { be.PutUint32(b[4:], uint32(len(b))); return b }

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		buf  []byte
		kind error
		off  int
	}{
		{"empty", nil, ErrTruncated, 0},
		{"prefix only", []byte("RCmb"), ErrTruncated, 4},
		{"bad signature", mutate(t, "ping-1.bin", func(b []byte) []byte { b[0] = 'X'; return b }), ErrSignature, 0},
		{"totlen below header", mutate(t, "ping-1.bin", func(b []byte) []byte { be.PutUint32(b[4:], 16); return b }), ErrFrameLength, 4},
		{"truncated", mutate(t, "ping-2.bin", func(b []byte) []byte { return b[:len(b)-1] }), ErrTruncated, 2599},
		{"trailing", mutate(t, "ping-2.bin", func(b []byte) []byte { return append(b, 0) }), ErrTrailing, 2600},
		{"version 0", mutate(t, "ping-1.bin", func(b []byte) []byte { b[9] = 0; return b }), ErrVersion, 8},
		{"absurd count", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint16(b[14:], 0xffff); return b }), ErrLength, 14},
		{"count one too many", mutate(t, "ping-3.bin", func(b []byte) []byte { be.PutUint16(b[14:], 4); return b }), ErrLength, 14},
		{"gossip without ext, extra bytes", mutate(t, "ping-3.bin", func(b []byte) []byte { return setTotlen(append(b, make([]byte, 8)...)) }), ErrLength, 4},
		{"ext count without EXT_DATA", mutate(t, "ping-2.bin", func(b []byte) []byte { b[2253] = 0; return b }), ErrExtension, 2214},
		{"ext length not multiple of 8", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint32(b[2568:], 31); return b }), ErrExtension, 2568},
		{"ext length zero", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint32(b[2568:], 0); return b }), ErrExtension, 2568},
		{"ext length past end", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint32(b[2568:], 40); return b }), ErrExtension, 2568},
		{"ext length huge", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint32(b[2568:], 0xfffffff8); return b }), ErrExtension, 2568},
		{"more extensions than bytes", mutate(t, "ping-2.bin", func(b []byte) []byte { be.PutUint16(b[2214:], 2); return b }), ErrExtension, 2600},
		{"absurd extension count", mutate(t, "meet-2.bin", func(b []byte) []byte { be.PutUint16(b[2214:], 0xffff); b[2253] |= MFlagExtData; return b }), ErrExtension, 2256},
		{"bytes after extensions", mutate(t, "ping-2.bin", func(b []byte) []byte { return setTotlen(append(b, make([]byte, 8)...)) }), ErrLength, 2600},
		{"fail short", mutate(t, "fail-1.bin", func(b []byte) []byte { return setTotlen(b[:len(b)-1]) }), ErrLength, 4},
		{"fail long", mutate(t, "fail-1.bin", func(b []byte) []byte { return setTotlen(append(b, 0)) }), ErrLength, 4},
		{"auth with body", mutate(t, "auth-ack-1.bin", func(b []byte) []byte { return setTotlen(append(b, 0)) }), ErrLength, 4},
		{"mfstart with body", mutate(t, "mfstart-1.bin", func(b []byte) []byte { return setTotlen(append(b, 0)) }), ErrLength, 4},
		{"update short", mutate(t, "update-1.bin", func(b []byte) []byte { return setTotlen(b[:len(b)-8]) }), ErrLength, 4},
		{"publish no lengths", mutate(t, "publish-1.bin", func(b []byte) []byte { return setTotlen(b[:HeaderLen+4]) }), ErrLength, 4},
		{"publish channel_len too big", mutate(t, "publish-1.bin", func(b []byte) []byte { be.PutUint32(b[2256:], 0xffffffff); return b }), ErrLength, 2256},
		{"publish lengths overflow u32", mutate(t, "publishshard-1.bin", func(b []byte) []byte {
			be.PutUint32(b[2256:], 0xfffffff0)
			be.PutUint32(b[2260:], 0x10+22)
			return b
		}), ErrLength, 2256},
		{"module too short", mutate(t, "auth-ack-1.bin", func(b []byte) []byte {
			be.PutUint16(b[12:], uint16(TypeModule))
			return setTotlen(append(b, make([]byte, 12)...))
		}), ErrLength, 4},
		{"module len mismatch", mutate(t, "auth-ack-1.bin", func(b []byte) []byte {
			be.PutUint16(b[12:], uint16(TypeModule))
			b = append(b, make([]byte, 13+5)...)
			be.PutUint32(b[HeaderLen+8:], 6)
			return setTotlen(b)
		}), ErrLength, 2264},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(c.buf)
			if m != nil || !errors.Is(err, c.kind) {
				t.Fatalf("Decode = %v, %v; want %v", m, err, c.kind)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset != c.off {
				t.Fatalf("error %v: offset want %d", err, c.off)
			}
		})
	}
}

// Inputs 7.0 accepts that the corpus does not show; they must decode and round-trip.
func TestDecodeAccepted(t *testing.T) {
	cases := []struct {
		name  string
		buf   []byte
		check func(t *testing.T, m *Message)
	}{
		{"unknown type keeps body", mutate(t, "fail-1.bin", func(b []byte) []byte { be.PutUint16(b[12:], 42); return b }),
			func(t *testing.T, m *Message) {
				if m.Header.Type != 42 || len(m.Body) != 40 || m.Header.Type.StatName() != "" {
					t.Fatalf("type %d body %d", m.Header.Type, len(m.Body))
				}
			}},
		{"EXT_DATA with zero extensions", mutate(t, "ping-3.bin", func(b []byte) []byte { b[2253] |= MFlagExtData; return b }),
			func(t *testing.T, m *Message) {
				if len(m.Extensions) != 0 || len(m.Gossip) != 3 {
					t.Fatalf("ext %d gossip %d", len(m.Extensions), len(m.Gossip))
				}
			}},
		{"nonzero reserved and padding bytes", mutate(t, "ping-2.bin", func(b []byte) []byte {
			b[2216], b[2254], b[2168+45] = 1, 2, 3 // notused1, mflags[1], last myip byte
			b[2256+103] = 4                        // gossip notused1
			b[2568+6] = 5                          // extension unused
			return b
		}), func(t *testing.T, m *Message) {
			if m.Header.NotUsed1[0] != 1 || m.Gossip[0].NotUsed1 != 4 || m.Extensions[0].Unused != 5<<8 {
				t.Fatalf("reserved bytes not kept")
			}
		}},
		{"count on a FAIL message kept", mutate(t, "fail-1.bin", func(b []byte) []byte { be.PutUint16(b[14:], 7); return b }),
			func(t *testing.T, m *Message) {
				if m.Header.Count != 7 || m.Gossip != nil {
					t.Fatalf("count %d", m.Header.Count)
				}
			}},
		{"module message", func() []byte {
			b := bytes.Clone(readCorpus(t, "auth-ack-1.bin"))
			be.PutUint16(b[12:], uint16(TypeModule))
			b = append(b, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 3, 9, 'a', 'b', 'c')
			return setTotlen(b)
		}(), func(t *testing.T, m *Message) {
			if m.Module.ModuleID != 0x0807060504030201 || m.Module.Type != 9 || string(m.Module.Payload) != "abc" {
				t.Fatalf("module %+v", m.Module)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(c.buf)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, m)
			if !bytes.Equal(Encode(m), c.buf) {
				t.Fatal("re-encode differs")
			}
		})
	}
}
