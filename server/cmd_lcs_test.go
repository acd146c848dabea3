package server

import (
	"bytes"
	"slices"
	"testing"
)

// Cases captured from redis-server 7.0.15: LCS a b, and LCS a b IDX MINMATCHLEN min
// WITHMATCHLEN (matches listed as Redis replies them, last first).
var lcsCases = []struct {
	a, b    string
	minLen  int64
	str     string
	matches []lcsMatch
}{
	{"ohmytext", "mynewtext", 0, "mytext", []lcsMatch{{4, 7, 5, 8, 4}, {2, 3, 0, 1, 2}}},
	{"abcXdefYghi", "abcZdefWghi", 0, "abcdefghi", []lcsMatch{{8, 10, 8, 10, 3}, {4, 6, 4, 6, 3}, {0, 2, 0, 2, 3}}},
	{"", "abc", 0, "", []lcsMatch{}},
	{"abc", "", 0, "", []lcsMatch{}},
	{"", "", 0, "", []lcsMatch{}},
	{"aaaa", "aa", 2, "aa", []lcsMatch{{2, 3, 0, 1, 2}}},
	{"abc", "abc", 0, "abc", []lcsMatch{{0, 2, 0, 2, 3}}},
	{"abc", "xyz", 3, "", []lcsMatch{}},
	{"a\x00b\xff", "\xffb\x00a", 0, "\xff", []lcsMatch{{3, 3, 0, 0, 1}}},
	{"GATTACA", "TAGACCA", 0, "TACA", []lcsMatch{{5, 6, 5, 6, 2}, {4, 4, 3, 3, 1}, {3, 3, 0, 0, 1}}},
	{"x", "x", 3, "x", []lcsMatch{}},
	{"gatc", "acagtctaca", 3, "atc", []lcsMatch{}},
	{"tgc", "tcactccaaccccg", 2, "tc", []lcsMatch{}},
	{"ccc", "aca", 3, "c", []lcsMatch{}},
	{"abba", "ababbccacccbab", 0, "abba", []lcsMatch{{2, 3, 11, 12, 2}, {1, 1, 4, 4, 1}, {0, 0, 2, 2, 1}}},
	{"bbcbabbcaabac", "bacbb", 0, "bacb", []lcsMatch{{10, 10, 3, 3, 1}, {7, 7, 2, 2, 1}, {3, 4, 0, 1, 2}}},
	{"abacacaaa", "bbcbcbbaccbbab", 0, "bccaa", []lcsMatch{{8, 8, 12, 12, 1}, {7, 7, 7, 7, 1}, {5, 5, 4, 4, 1}, {3, 3, 2, 2, 1}, {1, 1, 0, 0, 1}}},
	{"bba", "babbb", 2, "ba", []lcsMatch{{1, 2, 0, 1, 2}}},
	{"aabbaaabaabb", "baaabba", 0, "baaabb", []lcsMatch{{8, 11, 2, 5, 4}, {6, 6, 1, 1, 1}, {3, 3, 0, 0, 1}}},
	{"abaabbaabba", "abbbbbb", 2, "abbbbb", []lcsMatch{{8, 9, 4, 5, 2}, {4, 5, 2, 3, 2}, {0, 1, 0, 1, 2}}},
	{"aabcac", "bbaabbcccbabcc", 3, "aabcac", []lcsMatch{}},
	{"", "gggtgggcatgg", 2, "", []lcsMatch{}},
	{"tggg", "gtgc", 3, "gg", []lcsMatch{}},
	{"ggcccgt", "atct", 0, "ct", []lcsMatch{{6, 6, 3, 3, 1}, {4, 4, 2, 2, 1}}},
	{"ccbcaaacb", "caacaccab", 2, "caaacb", []lcsMatch{{3, 5, 0, 2, 3}}},
}

func TestLCSMatchesRedis(t *testing.T) {
	for _, tc := range lcsCases {
		a, b := []byte(tc.a), []byte(tc.b)
		r := lcs(a, b, true, false, 0)
		if !bytes.Equal(r.Str, []byte(tc.str)) || r.Len != int64(len(tc.str)) {
			t.Errorf("LCS %q %q = %q (%d), redis %q", tc.a, tc.b, r.Str, r.Len, tc.str)
		}
		if n := lcs(a, b, false, false, 0).Len; n != int64(len(tc.str)) {
			t.Errorf("LCS %q %q LEN = %d, redis %d", tc.a, tc.b, n, len(tc.str))
		}
		r = lcs(a, b, false, true, tc.minLen)
		if r.Len != int64(len(tc.str)) || !slices.Equal(r.Matches, tc.matches) {
			t.Errorf("LCS %q %q IDX MINMATCHLEN %d = %v len %d, redis %v", tc.a, tc.b, tc.minLen, r.Matches, r.Len, tc.matches)
		}
	}
}

func TestLCSLimits(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		alen, blen int
		maxBulk    int64
		want       string
	}{
		{0, 0, mb, ""},
		{600, 400, mb, ""}, // 601*401*4 = 964804 bytes
		{600, 600, mb, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"},
		{511, 511, mb, ""}, // exactly 1MB
		{512, 511, mb, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"},
		{1 << 32, 1, 1 << 62, "ERR String too long for LCS"},
		{1<<32 - 2, 0, 1 << 62, "ERR String too long for LCS"},
		{1<<32 - 3, 1<<32 - 3, 1 << 62, "ERR Insufficient memory, failed allocating transient memory for LCS"}, // size overflows
		{1 << 20, 1 << 20, 1 << 62, ""},
	}
	for _, tc := range tests {
		if got := lcsCheck(tc.alen, tc.blen, tc.maxBulk); got != tc.want {
			t.Errorf("lcsCheck(%d, %d, %d) = %q, want %q", tc.alen, tc.blen, tc.maxBulk, got, tc.want)
		}
	}
}
