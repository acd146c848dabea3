package rdb

import (
	"hash/crc64"
	"os"
	"testing"
)

func TestCRC64(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
	}{
		{"", 0},
		{"123456789", 0xe9c6d914c4b8d9ca},
		// DUMP "hello world": body + version, CRC from a real 7.0.15.
		{"\x00\x0bhello world\x0a\x00", 0x34a0c7a6b949fc0b},
	}
	for _, c := range cases {
		if got := CRC64(0, []byte(c.in)); got != c.want {
			t.Errorf("CRC64(%q) = %#x, want %#x", c.in, got, c.want)
		}
		var crc uint64
		for _, b := range []byte(c.in) {
			crc = crc64Byte(crc, b)
		}
		if crc != c.want {
			t.Errorf("crc64Byte(%q) = %#x, want %#x", c.in, crc, c.want)
		}
	}
	// Incremental updates must equal one pass.
	if got := CRC64(CRC64(0, []byte("1234")), []byte("56789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("incremental CRC64 = %#x", got)
	}
}

func TestCRC64EmptyRDB(t *testing.T) {
	b, err := os.ReadFile(corpusPath(t, "rdb/empty.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(b) - 8
	want := uint64(0)
	for i := 7; i >= 0; i-- {
		want = want<<8 | uint64(b[n+i])
	}
	if got := CRC64(0, b[:n]); got != want {
		t.Fatalf("CRC of empty.rdb = %#x, stored %#x", got, want)
	}
}

// TestCRC64Slicing: the 8-byte path equals hash/crc64's byte-wise update for every length
// and alignment around the 8-byte steps.
func TestCRC64Slicing(t *testing.T) {
	p := make([]byte, 300)
	for i := range p {
		p[i] = byte(i*131 + 7)
	}
	for start := range 9 {
		for end := start; end <= len(p); end += 7 {
			want := ^crc64.Update(^uint64(0x1234), crcTable, p[start:end])
			if got := CRC64(0x1234, p[start:end]); got != want {
				t.Fatalf("CRC64 of p[%d:%d] = %#x, want %#x", start, end, got, want)
			}
		}
	}
}
