package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// The reader must not buffer past the RDB when given a ByteReader: an AOF
// with an RDB preamble continues right after the checksum.
func TestReaderStopsAfterChecksum(t *testing.T) {
	f, err := os.Open(corpusPath(t, "aof/legacy/rdb-preamble.aof"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	r := NewReader(br)
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("got %d keys, want 2", n)
	}
	rest, _ := io.ReadAll(br)
	if !bytes.HasPrefix(rest, []byte("*2\r\n$6\r\nSELECT")) {
		t.Fatalf("tail starts with %q", rest[:min(20, len(rest))])
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after EOF: %v", err)
	}
}

func rdbFile(version string, body ...[]byte) []byte {
	b := []byte("REDIS" + version)
	for _, p := range body {
		b = append(b, p...)
	}
	b = append(b, opEOF)
	var crc [8]byte
	binary.LittleEndian.PutUint64(crc[:], CRC64(0, b))
	return append(b, crc[:]...)
}

func TestReaderErrors(t *testing.T) {
	good := rdbFile("0010", []byte{opSelectDB, 0, TypeString, 1, 'k', 1, 'v'})
	badCRC := append([]byte{}, good...)
	badCRC[len(badCRC)-1] ^= 1
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"signature", []byte("REDIX0010\xff"), "wrong signature"},
		{"version 12", rdbFile("0012"), "version 0012"},
		{"version 0", rdbFile("0000"), "version 0000"},
		{"crc", badCRC, "wrong RDB checksum"},
		{"hostile string length", rdbFile("0010", []byte{TypeString, 1, 'k', 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0}), "short read"},
		{"hostile list count", rdbFile("0010", []byte{TypeList, 1, 'k', 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0}), "out of range"},
		{"hostile lzf", rdbFile("0010", []byte{TypeString, 1, 'k', 0xc3, 1, 0x80, 0x7f, 0, 0, 0, 0, 'a'}), "LZF"},
		{"bad length byte", rdbFile("0010", []byte{TypeString, 1, 'k', 0x82}), "unknown length encoding"},
		{"bad string enc", rdbFile("0010", []byte{TypeString, 1, 'k', 0xc5}), "unknown RDB string encoding"},
		{"unknown type", rdbFile("0010", []byte{8, 1, 'k', 0}), "unknown RDB encoding type 8"},
		{"plain quicklist of 0 bytes", rdbFile("0010", []byte{TypeListQuicklist2, 1, 'k', 1, 1, 0}), "quicklist node is empty"},
		{"quicklist container", rdbFile("0010", []byte{TypeListQuicklist2, 1, 'k', 1, 3, 1, 'x'}), "container 3"},
		{"duplicate set member", rdbFile("0010", []byte{TypeSet, 1, 'k', 2, 1, 'a', 1, 'a'}), "duplicate set"},
		{"nan score", rdbFile("0010", []byte{TypeZSet, 1, 'k', 1, 1, 'a', 253}), "NaN"},
	}
	for _, c := range cases {
		r := NewReader(bytes.NewReader(c.in))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		var re *Error
		if !errors.As(err, &re) {
			t.Errorf("%s: error %T is not *Error", c.name, err)
		}
	}
	r := NewReader(bytes.NewReader(good))
	e, err := r.Next()
	if err != nil || string(e.Key) != "k" || string(e.Object.Str) != "v" {
		t.Fatalf("good file: %v %v", e, err)
	}
}

// Every truncation of a real file must fail cleanly.
func TestReaderTruncated(t *testing.T) {
	b, err := os.ReadFile(corpusPath(t, "rdb/streams.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		r := NewReader(bytes.NewReader(b[:n]))
		for {
			_, err := r.Next()
			if err == io.EOF {
				t.Fatalf("prefix of %d bytes read to EOF", n)
			}
			if err != nil {
				if errors.Is(err, errInternal) {
					t.Fatalf("prefix %d: %v", n, err)
				}
				break
			}
		}
	}
}
