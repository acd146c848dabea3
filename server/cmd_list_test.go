package server

import (
	"strconv"
	"strings"
	"testing"
)

// TestListMemoryUsageMatchesRedis replays lists whose MEMORY USAGE and DEBUG DIGEST-VALUE
// were captured from redis-server 7.0.15. Lists built at the tail are packed into nodes
// exactly as Redis packs them, so the figures are Redis's own.
func TestListMemoryUsageMatchesRedis(t *testing.T) {
	h := newKSHarness(t)
	seq := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	push := func(key string, vals []string) []string { return append([]string{"rpush", key}, vals...) }
	steps := []ksStep{
		{push("l", []string{"a", "b", "1", "2", "c"}), ":5\r\n"},
		{[]string{"memory", "usage", "l"}, ":160\r\n"},
		{[]string{"object", "encoding", "l"}, "$9\r\nquicklist\r\n"},
		{[]string{"debug", "digest-value", "l"}, "*1\r\n+1c3abd0af99b7886f9257c4cd3e27a11eb59bb2d\r\n"},
		{push("big", seq(5000, strconv.Itoa)), ":5000\r\n"},
		{[]string{"memory", "usage", "big"}, ":16552\r\n"},
		{[]string{"memory", "usage", "big", "samples", "0"}, ":16552\r\n"},
		{push("s", seq(200, func(i int) string { return strings.Repeat("x", i) })), ":200\r\n"},
		{[]string{"memory", "usage", "s"}, ":21712\r\n"},
		{push("n", []string{"-5000", "70000", "-9000000", "3000000000", "99999999999", "-1"}), ":6\r\n"},
		{[]string{"memory", "usage", "n"}, ":176\r\n"},
		{push("h", []string{strings.Repeat("x", 100), strings.Repeat("z", 5000), strings.Repeat("w", 20000)}), ":3\r\n"},
		{[]string{"memory", "usage", "h"}, ":25768\r\n"},
	}
	runSteps(t, h, steps)
}

func TestListpackEntrySize(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int64
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-4096", 3}, {"4095", 3}, {"4096", 4}, {"-32768", 4},
		{"32768", 5}, {"8388607", 5}, {"8388608", 6}, {"2147483647", 6}, {"2147483648", 10},
		{"01", 4}, {"-0", 4}, {"+1", 4}, {"", 2}, {"a", 3},
		{strings.Repeat("x", 63), 65}, {strings.Repeat("x", 64), 67}, {strings.Repeat("x", 125), 128},
		{strings.Repeat("x", 126), 130}, {strings.Repeat("x", 4095), 4099}, {strings.Repeat("x", 4096), 4103},
	} {
		if got := listpackEntrySize([]byte(tc.v)); got != tc.want {
			t.Errorf("listpackEntrySize(%.10q len %d) = %d, want %d", tc.v, len(tc.v), got, tc.want)
		}
	}
}
