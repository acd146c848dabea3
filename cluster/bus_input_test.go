package cluster_test

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// Garbage on the bus never takes the node down: a frame that does not decode is dropped
// and the link kept; a bad signature closes the link.
func TestBusBadInput(t *testing.T) {
	t.Parallel()
	s := startSlotdb(t, "--cluster-own-all-slots")
	waitClusterOK(t, s)
	bus := "127.0.0.1:" + strconv.Itoa(s.Port+10000)

	for _, tc := range []struct {
		name      string
		frame     []byte
		keepsLink bool
	}{
		{"bad version", frame(2256, 0), true},
		{"gossip count past the end", withCount(frame(2256, 1), 5), true},
		{"bad signature", append([]byte("XXXX"), make([]byte, 2252)...), false},
		{"totlen below the header", []byte("RCmb\x00\x00\x00\x10"), false},
	} {
		nc, err := net.DialTimeout("tcp", bus, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(tc.frame); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err = nc.Read(make([]byte, 1))
		closed := err == io.EOF
		if ne, ok := err.(net.Error); err != nil && (!ok || !ne.Timeout()) {
			closed = true
		}
		if closed == tc.keepsLink {
			t.Errorf("%s: link closed=%v (read error %v), want closed=%v", tc.name, closed, err, !tc.keepsLink)
		}
		nc.Close()
	}
	if got := do(t, s, "CLUSTER", "INFO"); infoField(got, "cluster_state") != "ok" {
		t.Fatalf("node state after bad input:\n%s", got)
	}
}

// frame builds a message of totlen bytes with the given version (type PING).
func frame(totlen int, ver uint16) []byte {
	b := make([]byte, totlen)
	copy(b, "RCmb")
	binary.BigEndian.PutUint32(b[4:], uint32(totlen))
	binary.BigEndian.PutUint16(b[8:], ver)
	return b
}

func withCount(b []byte, n uint16) []byte {
	binary.BigEndian.PutUint16(b[14:], n)
	return b
}
