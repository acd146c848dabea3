package rdb

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

func TestLZFDecompressKnown(t *testing.T) {
	// DUMP of 21 x "a" on 7.0.15: literal "aa", back-reference len 19 offset 1.
	got, err := LZFDecompress([]byte{0x01, 'a', 'a', 0xe0, 0x0a, 0x00}, 21)
	if err != nil || string(got) != strings.Repeat("a", 21) {
		t.Fatalf("got %q, %v", got, err)
	}
	bad := []struct {
		name string
		in   []byte
		n    int
	}{
		{"ref before start", []byte{0x20, 0x05}, 3},
		{"literal past input", []byte{0x05, 'a'}, 6},
		{"short output", []byte{0x00, 'a'}, 2},
		{"long output", []byte{0x01, 'a', 'b'}, 1},
		{"missing offset", []byte{0x00, 'a', 0x20}, 4},
		{"huge claimed length", []byte{0x00, 'a'}, 1 << 40},
		{"negative length", []byte{0x00, 'a'}, -1},
	}
	for _, c := range bad {
		if _, err := LZFDecompress(c.in, c.n); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 5000)
	rng.Read(random)
	inputs := [][]byte{
		[]byte("aaaaaaaaaaaaaaaaaaaaa"),
		[]byte(strings.Repeat("x", 5000)),
		[]byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)),
		random,
		[]byte("ab"),
		[]byte("abc"),
	}
	for i, in := range inputs {
		c := LZFCompress(in, len(in)+len(in)/32+16)
		if c == nil {
			t.Fatalf("input %d: compression failed with ample room", i)
		}
		out, err := LZFDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("input %d: round trip failed: %v", i, err)
		}
	}
	// Redis asks for len-4 bytes; incompressible data must not fit.
	if c := LZFCompress(random, len(random)-4); c != nil {
		t.Errorf("random data compressed to %d bytes", len(c))
	}
	if c := LZFCompress([]byte(strings.Repeat("x", 5000)), 100); c == nil || len(c) > 100 {
		t.Errorf("run of x: got %d bytes", len(c))
	}
}
