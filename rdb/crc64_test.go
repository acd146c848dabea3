package rdb

import (
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
