package clock

import (
	"testing"
	"time"
)

func TestNowMsTracksWallClock(t *testing.T) {
	for range 5 {
		got, want := NowMs(), time.Now().UnixMilli()
		if d := want - got; d < 0 || d > 50 {
			t.Fatalf("NowMs = %d, wall clock %d (off by %d ms)", got, want, d)
		}
		time.Sleep(3 * time.Millisecond)
	}
}
