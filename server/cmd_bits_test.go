package server

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/engine"
)

// Cases captured from redis-server 7.0.15: BITCOUNT k start end [BIT] on the value v.
var bitCountCases = []struct {
	v          string
	start, end int64
	unitBit    bool
	want       int64
}{
	{"", 0, -1, false, 0},
	{"", 16, -2, true, 0},
	{"", 1, 2, false, 0},
	{"", -1, -8, false, 0},
	{"", -5, 7, true, 0},
	{"", 100, 100, true, 0},
	{"", 2, 9223372036854775807, true, 0},
	{"", -9223372036854775808, -1, false, 0},
	{"", -9223372036854775808, 1, false, 0},
	{"\x00", 0, -1, false, 0},
	{"\x00", -9, 1, false, 0},
	{"\x00", 1, 9223372036854775807, false, 0},
	{"\x00", 15, 100, true, 0},
	{"\x00", -1, -9223372036854775808, true, 0},
	{"\x00", 3, -1, false, 0},
	{"\x00", 7, -8, true, 0},
	{"\x00", 2, -9223372036854775808, true, 0},
	{"\x00", 7, 5, false, 0},
	{"\xff", 0, -1, false, 8},
	{"\xff", 100, 16, true, 0},
	{"\xff", -100, -8, true, 1},
	{"\xff", 3, 8, true, 5},
	{"\xff", 15, -5, true, 0},
	{"\xff", 16, -100, true, 0},
	{"\xff", 2, -1, false, 0},
	{"\xff", 3, 16, true, 5},
	{"\xff", 5, 100, true, 3},
	{"foobar", 0, -1, false, 26},
	{"foobar", 2, 9223372036854775807, false, 16},
	{"foobar", 16, 16, false, 0},
	{"foobar", 5, -9223372036854775808, false, 0},
	{"foobar", 2, 2, false, 6},
	{"foobar", 5, 2, true, 0},
	{"foobar", 15, -9223372036854775808, false, 0},
	{"foobar", -100, 15, false, 26},
	{"foobar", -8, 0, false, 4},
	{"\xff\xf0\x00", 0, -1, false, 12},
	{"\xff\xf0\x00", -8, 3, false, 12},
	{"\xff\xf0\x00", 5, 1, true, 0},
	{"\xff\xf0\x00", 15, -2, false, 0},
	{"\xff\xf0\x00", -9, -9, false, 8},
	{"\xff\xf0\x00", 5, 2, true, 0},
	{"\xff\xf0\x00", -9, 9223372036854775807, true, 0},
	{"\xff\xf0\x00", -2, 100, false, 4},
	{"\xff\xf0\x00", 9, 100, false, 0},
	{"\x00\x00\x01", 0, -1, false, 1},
	{"\x00\x00\x01", -9, 8, true, 0},
	{"\x00\x00\x01", 3, -2, true, 0},
	{"\x00\x00\x01", 8, 0, true, 0},
	{"\x00\x00\x01", -9223372036854775808, 3, true, 0},
	{"\x00\x00\x01", 0, -2, true, 0},
	{"\x00\x00\x01", -8, -9223372036854775808, true, 0},
	{"\x00\x00\x01", -2, -5, false, 0},
	{"\x00\x00\x01", 1, -100, false, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, -1, false, 1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 9223372036854775807, -9, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", -9, -1, true, 1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", -9, 1, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 7, -100, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 16, 1, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", -9223372036854775808, -2, false, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", -8, 0, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 7, -9, true, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -1, false, 160},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, -8, false, 32},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 5, -1, true, 155},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 5, -100, true, 56},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 15, 2, true, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16, 9, true, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 3, -5, true, 153},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", -5, -8, true, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9223372036854775807, 0, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, -1, false, 40},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 15, 2, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 9, -5, true, 33},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 3, -8, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 9223372036854775807, 9223372036854775807, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 16, 8, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 7, 8, false, 8},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 8, 7, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", -8, 0, false, 0},
	{"\x80", 0, -1, false, 1},
	{"\x80", 9, 5, true, 0},
	{"\x80", -8, -100, false, 0},
	{"\x80", -8, -8, true, 1},
	{"\x80", -1, 8, true, 0},
	{"\x80", 16, 7, true, 0},
	{"\x80", 0, 5, false, 1},
	{"\x80", -8, 2, false, 1},
	{"\x80", -1, -9, false, 0},
	{"\x01", 0, -1, false, 1},
	{"\x01", 7, 5, false, 0},
	{"\x01", 100, 16, true, 0},
	{"\x01", -9, -100, true, 0},
	{"\x01", 2, 3, true, 0},
	{"\x01", -2, 0, true, 0},
	{"\x01", -100, -2, false, 1},
	{"\x01", 5, -8, true, 0},
	{"\x01", 9223372036854775807, -2, true, 0},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, -1, false, 79},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", -1, -5, false, 0},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", -2, 100, false, 16},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 7, 7, true, 1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 7, 15, false, 24},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", -9223372036854775808, 16, true, 17},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 100, -2, true, 0},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", -8, -100, false, 0},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", -5, 100, false, 40},
}

func TestBitCountMatchesRedis(t *testing.T) {
	for _, tc := range bitCountCases {
		if got := bitCount([]byte(tc.v), tc.start, tc.end, tc.unitBit); got != tc.want {
			t.Errorf("BITCOUNT %q %d %d bit=%v = %d, redis says %d", tc.v, tc.start, tc.end, tc.unitBit, got, tc.want)
		}
	}
}

// Cases captured from redis-server 7.0.15: BITPOS k bit [start [end [BIT]]] on the value v.
// Without endGiven the command had no end argument (and no start when start is 0).
var bitPosCases = []struct {
	v                 string
	bit               byte
	start, end        int64
	endGiven, unitBit bool
	want              int64
}{
	{"", 0, 0, -1, false, false, -1},
	{"", 0, -5, -1, false, false, -1},
	{"", 0, -2, 9223372036854775807, true, true, -1},
	{"", 0, -5, 0, true, false, -1},
	{"", 0, 3, 0, true, false, -1},
	{"", 0, -2, 3, true, true, -1},
	{"", 0, -1, 9223372036854775807, true, true, -1},
	{"", 1, 0, -1, false, false, -1},
	{"", 1, -5, -1, false, false, -1},
	{"", 1, -5, 9223372036854775807, true, true, -1},
	{"", 1, -1, 9223372036854775807, true, true, -1},
	{"", 1, 7, 9, true, true, -1},
	{"", 1, -1, -5, true, true, -1},
	{"", 1, 0, 2, true, true, -1},
	{"\x00", 0, 0, -1, false, false, 0},
	{"\x00", 0, -5, -1, false, false, 0},
	{"\x00", 0, -5, 7, true, false, 0},
	{"\x00", 0, -100, -5, true, false, 0},
	{"\x00", 0, 5, -5, true, false, -1},
	{"\x00", 0, -5, 9, true, false, 0},
	{"\x00", 0, 7, -100, true, true, -1},
	{"\x00", 1, 0, -1, false, false, -1},
	{"\x00", 1, -1, -1, false, false, -1},
	{"\x00", 1, -9, -100, true, true, -1},
	{"\x00", 1, 8, 100, true, true, -1},
	{"\x00", 1, 15, -1, true, false, -1},
	{"\x00", 1, -2, -8, true, true, -1},
	{"\x00", 1, -2, -100, true, true, -1},
	{"\xff", 0, 0, -1, false, false, 8},
	{"\xff", 0, -1, -1, false, false, 8},
	{"\xff", 0, -9, 5, true, true, -1},
	{"\xff", 0, 8, 3, true, false, -1},
	{"\xff", 0, -5, -9, true, true, -1},
	{"\xff", 0, 7, -8, true, true, -1},
	{"\xff", 0, -8, 0, true, true, -1},
	{"\xff", 1, 0, -1, false, false, 0},
	{"\xff", 1, -100, -1, false, false, 0},
	{"\xff", 1, -100, 0, true, true, 0},
	{"\xff", 1, -5, 15, true, false, 0},
	{"\xff", 1, 2, -1, true, false, -1},
	{"\xff", 1, 8, -1, true, true, -1},
	{"\xff", 1, 9, 1, true, false, -1},
	{"foobar", 0, 0, -1, false, false, 0},
	{"foobar", 0, 3, -1, false, false, 24},
	{"foobar", 0, 9, -2, true, false, -1},
	{"foobar", 0, 9, -9, true, true, 11},
	{"foobar", 0, -5, -9223372036854775808, true, true, -1},
	{"foobar", 0, 16, 2, true, true, -1},
	{"foobar", 0, 3, 100, true, false, 24},
	{"foobar", 1, 0, -1, false, false, 1},
	{"foobar", 1, 9, -1, false, false, -1},
	{"foobar", 1, 0, 2, true, false, 1},
	{"foobar", 1, 2, 8, true, true, 2},
	{"foobar", 1, -1, -100, true, true, -1},
	{"foobar", 1, 9223372036854775807, 100, true, false, -1},
	{"foobar", 1, 9, -2, true, true, 9},
	{"\xff\xf0\x00", 0, 0, -1, false, false, 12},
	{"\xff\xf0\x00", 0, 8, -1, false, false, -1},
	{"\xff\xf0\x00", 0, -1, 3, true, true, -1},
	{"\xff\xf0\x00", 0, 3, 7, true, false, -1},
	{"\xff\xf0\x00", 0, 15, -5, true, false, -1},
	{"\xff\xf0\x00", 0, 15, -100, true, false, -1},
	{"\xff\xf0\x00", 0, 3, 9, true, true, -1},
	{"\xff\xf0\x00", 1, 0, -1, false, false, 0},
	{"\xff\xf0\x00", 1, 0, -1, false, false, 0},
	{"\xff\xf0\x00", 1, 9, 1, true, true, -1},
	{"\xff\xf0\x00", 1, -5, 9223372036854775807, true, false, 0},
	{"\xff\xf0\x00", 1, -5, 5, true, true, -1},
	{"\xff\xf0\x00", 1, -100, -1, true, false, 0},
	{"\xff\xf0\x00", 1, 100, 5, true, false, -1},
	{"\x00\x00\x01", 0, 0, -1, false, false, 0},
	{"\x00\x00\x01", 0, -9, -1, false, false, 0},
	{"\x00\x00\x01", 0, -5, 15, true, false, 0},
	{"\x00\x00\x01", 0, 8, 16, true, true, 8},
	{"\x00\x00\x01", 0, -2, -9, true, false, -1},
	{"\x00\x00\x01", 0, 1, -2, true, true, 1},
	{"\x00\x00\x01", 0, 9, 100, true, true, 9},
	{"\x00\x00\x01", 1, 0, -1, false, false, 23},
	{"\x00\x00\x01", 1, 2, -1, false, false, 23},
	{"\x00\x00\x01", 1, -9, -5, true, false, -1},
	{"\x00\x00\x01", 1, 15, 8, true, false, -1},
	{"\x00\x00\x01", 1, 1, -100, true, true, -1},
	{"\x00\x00\x01", 1, 9, -100, true, true, -1},
	{"\x00\x00\x01", 1, -8, 16, true, false, 23},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 0, -1, false, false, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 9223372036854775807, -1, false, false, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 16, 8, true, true, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 15, 7, true, true, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 0, 16, true, true, 0},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 5, 9, true, false, 40},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 0, 7, 8, true, false, 56},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, 0, -1, false, false, 139},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, 0, -1, false, false, 139},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, 2, 9, true, false, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, -2, -9, true, false, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, -9, 0, true, true, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, 8, 2, true, false, -1},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 1, -5, -2, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, 0, -1, false, false, 160},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -9, -1, false, false, 160},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, 16, 5, true, true, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -2, 1, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -5, 100, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -5, -2, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 0, -5, -9223372036854775808, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 0, -1, false, false, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 0, -1, false, false, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, -9223372036854775808, 8, true, true, 0},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 1, -2, true, false, 8},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, -1, -9, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 9223372036854775807, 1, true, false, -1},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, 9223372036854775807, 8, true, true, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, 0, -1, false, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, 0, -1, false, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, -100, 2, true, false, 0},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, -5, 9223372036854775807, true, true, 75},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, -5, 2, true, false, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, 5, 9, true, false, 41},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 0, 9, 8, true, false, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 0, -1, false, false, 1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 7, -1, false, false, 56},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 8, -100, true, true, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, -9, 2, true, true, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 15, 1, true, false, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 7, 2, true, false, -1},
	{"U\xaaU\xaaU\xaaU\xaaU\xaa", 1, 16, 9, true, false, -1},
	{"\x80", 0, 0, -1, false, false, 1},
	{"\x80", 0, 15, -1, false, false, -1},
	{"\x80", 0, -9223372036854775808, -2, true, true, 1},
	{"\x80", 0, 1, 5, true, true, 1},
	{"\x80", 0, -1, 7, true, false, 1},
	{"\x80", 0, 15, -5, true, true, -1},
	{"\x80", 0, -100, -100, true, false, 1},
	{"\x80", 1, 0, -1, false, false, 0},
	{"\x80", 1, 9223372036854775807, -1, false, false, -1},
	{"\x80", 1, 7, 15, true, false, -1},
	{"\x80", 1, 5, 0, true, true, -1},
	{"\x80", 1, 2, -5, true, false, -1},
	{"\x80", 1, -100, 9, true, true, 0},
	{"\x80", 1, 7, 2, true, false, -1},
	{"\x01", 0, 0, -1, false, false, 0},
	{"\x01", 0, -2, -1, false, false, 0},
	{"\x01", 0, -5, 9, true, false, 0},
	{"\x01", 0, -2, -5, true, true, -1},
	{"\x01", 0, -1, -8, true, true, -1},
	{"\x01", 0, 5, -9, true, true, -1},
	{"\x01", 0, 0, 5, true, false, 0},
	{"\x01", 1, 0, -1, false, false, 7},
	{"\x01", 1, -9, -1, false, false, 7},
	{"\x01", 1, 15, -2, true, true, -1},
	{"\x01", 1, -9, 16, true, true, 7},
	{"\x01", 1, 16, 0, true, true, -1},
	{"\x01", 1, 16, -9, true, true, -1},
	{"\x01", 1, 7, 0, true, false, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 0, -1, false, false, 24},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 15, -1, false, false, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 9, -8, true, true, 24},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, -9, -9223372036854775808, true, true, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 100, 9, true, false, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 9, -1, true, true, 24},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 0, 15, -2, true, true, 24},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, 0, -1, false, false, 0},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, 9, -1, false, false, 72},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, 100, -5, true, true, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, -8, 100, true, false, 16},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, -9, 9223372036854775807, true, false, 8},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, 2, 1, true, false, -1},
	{"\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff", 1, 100, -100, true, false, -1},
}

func TestBitPosMatchesRedis(t *testing.T) {
	for _, tc := range bitPosCases {
		got := bitPos([]byte(tc.v), tc.bit, tc.start, tc.end, tc.endGiven, tc.unitBit)
		if got != tc.want {
			t.Errorf("BITPOS %q %d %d %d end=%v bit=%v = %d, redis says %d", tc.v, tc.bit, tc.start, tc.end, tc.endGiven, tc.unitBit, got, tc.want)
		}
	}
}

// naiveBits expands v to one bit per element, the model the fast paths must agree with.
func naiveBits(v []byte) []byte {
	out := make([]byte, 0, len(v)*8)
	for _, b := range v {
		for i := 7; i >= 0; i-- {
			out = append(out, b>>i&1)
		}
	}
	return out
}

// naiveRange resolves a Redis range over n units as the documentation states it.
func naiveRange(n, start, end int64) (int64, int64) {
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	return start, min(end, n-1)
}

// TestBitCountPosAgainstModel checks the word-at-a-time scans against a bit-by-bit model on
// long random strings, where Redis's own cases are too short to reach the fast paths.
func TestBitCountPosAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		v := make([]byte, rng.Intn(70))
		fill := []byte{0x00, 0xff}[rng.Intn(2)]
		for i := range v {
			v[i] = fill
			if rng.Intn(20) == 0 {
				v[i] = byte(rng.Intn(256))
			}
		}
		bitsOf := naiveBits(v)
		unitBit := rng.Intn(2) == 0
		n := int64(len(v))
		if unitBit {
			n *= 8
		}
		start, end := rng.Int63n(2*n+3)-n-1, rng.Int63n(2*n+3)-n-1
		s, e := naiveRange(n, start, end)
		if !unitBit {
			s, e = s*8, e*8+7
		}
		var count int64
		first := [2]int64{-1, -1}
		for p := s; p <= e; p++ {
			b := bitsOf[p]
			count += int64(b)
			if first[b] < 0 {
				first[b] = p
			}
		}
		if start < 0 && end < 0 && start > end {
			count = 0
		}
		if got := bitCount(v, start, end, unitBit); got != count {
			t.Fatalf("bitCount(%x, %d, %d, %v) = %d, model %d", v, start, end, unitBit, got, count)
		}
		for bit := byte(0); bit <= 1; bit++ {
			want := first[bit]
			if s > e {
				want = -1
			}
			if got := bitPos(v, bit, start, end, true, unitBit); got != want {
				t.Fatalf("bitPos(%x, %d, %d, %d, bit=%v) = %d, model %d", v, bit, start, end, unitBit, got, want)
			}
		}
	}
}

func TestBitOffset(t *testing.T) {
	const maxBulk = 512 << 20
	tests := []struct {
		arg   string
		hash  bool
		width int
		want  uint64
		ok    bool
	}{
		{"0", false, 0, 0, true},
		{"4294967295", false, 0, 4294967295, true},
		{"4294967296", false, 0, 0, false}, // byte 512MB: past proto-max-bulk-len
		{"-1", false, 0, 0, false},
		{"", false, 0, 0, false},
		{"+1", false, 0, 0, false},
		{"01", false, 0, 0, false},
		{"1 ", false, 0, 0, false},
		{"1\x00", false, 0, 0, false},
		{"9223372036854775807", false, 0, 0, false},
		{"9223372036854775808", false, 0, 0, false},
		{"#1", false, 8, 0, false}, // '#' only for BITFIELD
		{"#1", true, 8, 8, true},
		{"#0", true, 64, 0, true},
		{"#", true, 8, 0, false},
		{"##1", true, 8, 0, false},
		{"#-1", true, 8, 0, false},
		{"#67108863", true, 64, 67108863 * 64, true},
		{"#67108864", true, 64, 0, false},
		{"#9223372036854775807", true, 8, 0, false}, // wraps to a negative offset
		{"#2305843009213693953", true, 8, 8, true},  // wraps to 8, as in Redis
		{"#144115188075855871", true, 64, 0, false}, // 2^63-64: far too large
		{"5", true, 8, 5, true},
	}
	for _, tc := range tests {
		got, ok := bitOffset([]byte(tc.arg), tc.hash, tc.width, maxBulk)
		if ok != tc.ok || got != tc.want {
			t.Errorf("bitOffset(%q, %v, %d) = %d, %v; want %d, %v", tc.arg, tc.hash, tc.width, got, ok, tc.want, tc.ok)
		}
	}
}

// Cases captured from redis-server 7.0.15: BITOP op d srcs... then GET d (nil: no key).
var bitOpCases = []struct {
	op   int
	srcs [][]byte
	want any
}{
	{bitopAnd, [][]byte{[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"), nil}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
	{bitopOr, [][]byte{nil, []byte("foobar"), nil, []byte("\x0f\xf0")}, "o\xffobar"},
	{bitopNot, [][]byte{[]byte("foobar")}, "\x99\x90\x90\x9d\x9e\x8d"},
	{bitopAnd, [][]byte{[]byte("foobar"), []byte("\xff")}, "f\x00\x00\x00\x00\x00"},
	{bitopOr, [][]byte{nil, []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")}, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"},
	{bitopOr, [][]byte{[]byte("\x0f\xf0"), []byte("foobar"), []byte("\x0f\xf0"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")}, "o\xffocew\x06\x07\x08\x09"},
	{bitopNot, [][]byte{nil}, nil},
	{bitopXor, [][]byte{[]byte("foobar"), []byte("foobar"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa")}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
	{bitopOr, [][]byte{[]byte("\x0f\xf0"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("foobar"), []byte("foobar")}, "o\xffocew\x06\x07\x08\x09"},
	{bitopAnd, [][]byte{[]byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa")}, "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"},
	{bitopXor, [][]byte{[]byte("\xff"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("")}, "\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09"},
	{bitopOr, [][]byte{[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("foobar"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")}, "foocew\x06\x07\x08\x09"},
	{bitopOr, [][]byte{[]byte(""), []byte("\xff"), []byte("")}, "\xff"},
	{bitopOr, [][]byte{[]byte("\x0f\xf0"), nil, []byte("\x0f\xf0")}, "\x0f\xf0"},
	{bitopAnd, [][]byte{[]byte("\xff")}, "\xff"},
	{bitopNot, [][]byte{[]byte("foobar")}, "\x99\x90\x90\x9d\x9e\x8d"},
	{bitopAnd, [][]byte{[]byte("\xff"), []byte("\xff"), nil, []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
	{bitopAnd, [][]byte{[]byte("foobar"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("\x0f\xf0")}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
	{bitopNot, [][]byte{[]byte("")}, nil},
	{bitopOr, [][]byte{[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")}, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"},
	{bitopOr, [][]byte{[]byte("\x0f\xf0")}, "\x0f\xf0"},
	{bitopXor, [][]byte{[]byte("foobar"), []byte("foobar"), []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa")}, "\xaa\xab\xa8\xa9\xae\xaf\xac\xad\xa2\x09"},
	{bitopOr, [][]byte{[]byte("\xff"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"), []byte("foobar")}, "\xff\xef\xef\xea\xeb\xfa\xaa\xaa\xaa"},
	{bitopNot, [][]byte{[]byte("\x0f\xf0")}, "\xf0\x0f"},
	{bitopOr, [][]byte{[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), []byte("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"), []byte("foobar")}, "\xee\xef\xef\xeb\xef\xff\xae\xaf\xaa\x09"},
}

func TestBitOpMatchesRedis(t *testing.T) {
	for i, tc := range bitOpCases {
		got := bitOp(tc.op, tc.srcs)
		if tc.want == nil {
			if got != nil {
				t.Errorf("case %d: got %q, redis deleted the destination", i, got)
			}
			continue
		}
		if !bytes.Equal(got, []byte(tc.want.(string))) {
			t.Errorf("case %d: got %q, redis %q", i, got, tc.want)
		}
	}
}

// Captured from redis-server 7.0.15 in one session (RESP2): every bit command and LCS,
// including 7.0's argument-order quirks, NUL bytes in option names and huge offsets.
var bitsSteps = []ksStep{
	{[]string{"FLUSHALL"}, "+OK\r\n"},
	{[]string{"BITCOUNT", "nokey", "a", "b"}, ":0\r\n"},
	{[]string{"BITCOUNT", "nokey", "0", "1", "bit"}, ":0\r\n"},
	{[]string{"BITCOUNT", "nokey", "0", "1", "foo"}, ":0\r\n"},
	{[]string{"BITCOUNT", "nokey", "0"}, ":0\r\n"},
	{[]string{"BITCOUNT", "nokey", "0", "1", "2", "3"}, ":0\r\n"},
	{[]string{"SET", "s", "foobar"}, "+OK\r\n"},
	{[]string{"BITCOUNT", "s", "0"}, "-ERR syntax error\r\n"},
	{[]string{"BITCOUNT", "s", "a", "b"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITCOUNT", "s", "0", "1", "foo"}, "-ERR syntax error\r\n"},
	{[]string{"BITCOUNT", "s", "-1", "-2"}, ":0\r\n"},
	{[]string{"BITCOUNT", "s", "-2", "-1"}, ":7\r\n"},
	{[]string{"BITCOUNT", "s", "1", "1", "bit"}, ":1\r\n"},
	{[]string{"BITCOUNT", "s", "5", "30", "bit"}, ":17\r\n"},
	{[]string{"BITCOUNT", "s", "0", "-1", "BIT"}, ":26\r\n"},
	{[]string{"BITCOUNT", "s", "100", "200"}, ":0\r\n"},
	{[]string{"BITCOUNT", "s", "-100", "-50"}, ":4\r\n"},
	{[]string{"BITPOS", "nokey", "1"}, ":-1\r\n"},
	{[]string{"BITPOS", "nokey", "0"}, ":0\r\n"},
	{[]string{"BITPOS", "nokey", "2"}, "-ERR The bit argument must be 1 or 0.\r\n"},
	{[]string{"BITPOS", "nokey", "a"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "nokey", "1", "a"}, ":-1\r\n"},
	{[]string{"BITPOS", "nokey", "1", "0", "1", "foo"}, ":-1\r\n"},
	{[]string{"BITPOS", "nokey", "0", "0", "1", "bit"}, ":0\r\n"},
	{[]string{"BITPOS", "s", "1", "0", "1", "foo"}, "-ERR syntax error\r\n"},
	{[]string{"BITPOS", "s", "1", "a"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "s", "2"}, "-ERR The bit argument must be 1 or 0.\r\n"},
	{[]string{"SET", "z", "\x00\x00\x00"}, "+OK\r\n"},
	{[]string{"BITPOS", "z", "1"}, ":-1\r\n"},
	{[]string{"BITPOS", "z", "0"}, ":0\r\n"},
	{[]string{"SET", "f", "\xff\xff\xff"}, "+OK\r\n"},
	{[]string{"BITPOS", "f", "0"}, ":24\r\n"},
	{[]string{"BITPOS", "f", "0", "0"}, ":24\r\n"},
	{[]string{"BITPOS", "f", "0", "0", "-1"}, ":-1\r\n"},
	{[]string{"BITPOS", "f", "0", "0", "-1", "bit"}, ":-1\r\n"},
	{[]string{"BITPOS", "f", "0", "2", "bit"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "f", "1", "3", "5", "bit"}, ":3\r\n"},
	{[]string{"BITPOS", "z", "1", "3", "5", "bit"}, ":-1\r\n"},
	{[]string{"BITPOS", "f", "0", "10", "5", "bit"}, ":-1\r\n"},
	{[]string{"BITPOS", "f", "1", "10", "5"}, ":-1\r\n"},
	{[]string{"SET", "e", ""}, "+OK\r\n"},
	{[]string{"BITPOS", "e", "0"}, ":-1\r\n"},
	{[]string{"BITPOS", "e", "1"}, ":-1\r\n"},
	{[]string{"BITCOUNT", "e"}, ":0\r\n"},
	{[]string{"BITPOS", "e", "0", "0", "-1"}, ":-1\r\n"},
	{[]string{"BITCOUNT", "s", "-1", "-2", "foo"}, ":0\r\n"},
	{[]string{"BITCOUNT", "s", "a", "b", "foo"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITCOUNT", "s", "0", "a", "foo"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITCOUNT", "s", "0", "1", "2", "3"}, "-ERR syntax error\r\n"},
	{[]string{"BITCOUNT", "s", "-1", "-2", "bit"}, ":0\r\n"},
	{[]string{"BITCOUNT", "s", "-5", "-1", "bit"}, ":2\r\n"},
	{[]string{"BITCOUNT", "s", "-3", "-5", "bit"}, ":0\r\n"},
	{[]string{"BITPOS", "s", "1", "a", "b", "foo"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "s", "1", "0", "b", "foo"}, "-ERR syntax error\r\n"},
	{[]string{"BITPOS", "s", "0", "1", "2", "3", "4"}, "-ERR syntax error\r\n"},
	{[]string{"BITPOS", "s", "1", "-100", "-200"}, ":1\r\n"},
	{[]string{"BITPOS", "s", "0", "-1"}, ":40\r\n"},
	{[]string{"BITPOS", "s", "0", "-1", "-1", "bit"}, ":47\r\n"},
	{[]string{"BITPOS", "s", "1", "9223372036854775807"}, ":-1\r\n"},
	{[]string{"BITPOS", "s", "1", "-9223372036854775808", "9223372036854775807", "bit"}, ":1\r\n"},
	{[]string{"BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "bit"}, ":26\r\n"},
	{[]string{"BITCOUNT", "s", "0", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "s", "1", "1\x00"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITPOS", "s", "1", "0", "1", "bit\x00x"}, ":1\r\n"},
	{[]string{"BITPOS", "s", "1", "0", "1", "BiT"}, ":1\r\n"},
	{[]string{"SET", "n", "12345"}, "+OK\r\n"},
	{[]string{"BITCOUNT", "n"}, ":17\r\n"},
	{[]string{"BITPOS", "n", "0"}, ":0\r\n"},
	{[]string{"GETBIT", "n", "7"}, ":1\r\n"},
	{[]string{"GETBIT", "n", "2"}, ":1\r\n"},
	{[]string{"GETBIT", "nokey", "a"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"GETBIT", "nokey", "-1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"GETBIT", "nokey", "4294967295"}, ":0\r\n"},
	{[]string{"GETBIT", "nokey", "4294967296"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"GETBIT", "nokey", "9223372036854775807"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"GETBIT", "s", "100000"}, ":0\r\n"},
	{[]string{"SETBIT", "k", "-1", "1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "4294967296", "1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "4294967295", "a"}, "-ERR bit is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "0", "2"}, "-ERR bit is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "0", "-1"}, "-ERR bit is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "0", "a"}, "-ERR bit is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "k", "7", "1"}, ":0\r\n"},
	{[]string{"GET", "k"}, "$1\r\n\x01\r\n"},
	{[]string{"SETBIT", "k", "7", "1"}, ":1\r\n"},
	{[]string{"SETBIT", "k", "7", "0"}, ":1\r\n"},
	{[]string{"GET", "k"}, "$1\r\n\x00\r\n"},
	{[]string{"SETBIT", "k", "20", "1"}, ":0\r\n"},
	{[]string{"GET", "k"}, "$3\r\n\x00\x00\x08\r\n"},
	{[]string{"STRLEN", "k"}, ":3\r\n"},
	{[]string{"SETBIT", "k", "a", "1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"SET", "t", "v", "EX", "100"}, "+OK\r\n"},
	{[]string{"SETBIT", "t", "100", "1"}, ":0\r\n"},
	{[]string{"TTL", "t"}, ":100\r\n"},
	{[]string{"GET", "t"}, "$13\r\nv\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\r\n"},
	{[]string{"DEL", "nokey"}, ":0\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u8", "#9223372036854775807"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "#144115188075855871"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "#144115188075855872"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "#-1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "#"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "##1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i64", "#+1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u64", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i65", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u63", "0"}, "*1\r\n:0\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "I8", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i0", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i08", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i8\x00x", "0"}, "*1\r\n:0\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD", "nokey", "FOO"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i8"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "nokey", "OVERFLOW"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "nokey", "OVERFLOW", "foo", "GET", "i8", "0"}, "-ERR Invalid OVERFLOW type specified\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "i8", "0", "OVERFLOW", "foo"}, "-ERR Invalid OVERFLOW type specified\r\n"},
	{[]string{"BITFIELD", "nokey", "SET", "i8", "0", "a"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "SET", "i8", "0"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "nokey"}, "*0\r\n"},
	{[]string{"EXISTS", "nokey"}, ":0\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "SET", "i8", "0", "1"}, "-ERR BITFIELD_RO only supports the GET subcommand\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "GET", "i8", "0", "SET", "i8", "0", "1"}, "-ERR BITFIELD_RO only supports the GET subcommand\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "GET", "i8", "0", "GET", "u4", "3"}, "*2\r\n:0\r\n:0\r\n"},
	{[]string{"BITFIELD_RO", "nokey"}, "*0\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "OVERFLOW", "SAT"}, "*0\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "OVERFLOW", "SAT", "GET", "i8", "0"}, "*1\r\n:0\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "INCRBY", "i8", "0", "1"}, "-ERR BITFIELD_RO only supports the GET subcommand\r\n"},
	{[]string{"BITFIELD_RO", "nokey", "FOO"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "nokey", "OVERFLOW", "SAT"}, "*0\r\n"},
	{[]string{"EXISTS", "nokey"}, ":0\r\n"},
	{[]string{"BITFIELD", "k", "GET", "i8", "#2305843009213693953"}, "*1\r\n:0\r\n"},
	{[]string{"DEL", "k"}, ":1\r\n"},
	{[]string{"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5"}, "*1\r\n$-1\r\n"},
	{[]string{"EXISTS", "k"}, ":1\r\n"},
	{[]string{"STRLEN", "k"}, ":13\r\n"},
	{[]string{"BITFIELD", "k2", "OVERFLOW", "FAIL", "SET", "i4", "0", "100"}, "*1\r\n$-1\r\n"},
	{[]string{"GET", "k2"}, "$1\r\n\x00\r\n"},
	{[]string{"BITFIELD", "k3", "SET", "i8", "0", "-100", "GET", "u8", "0", "GET", "i4", "0", "GET", "u4", "4", "INCRBY", "i8", "0", "-100", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1"}, "*8\r\n:0\r\n:156\r\n:-7\r\n:12\r\n:56\r\n:-44\r\n:-45\r\n:-46\r\n"},
	{[]string{"GET", "k3"}, "$1\r\n\xd2\r\n"},
	{[]string{"BITFIELD", "k4", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"}, "*6\r\n:0\r\n:9223372036854775807\r\n:9223372036854775806\r\n:9223372036854775807\r\n:9223372036854775807\r\n:9223372036854775807\r\n"},
	{[]string{"BITFIELD", "k5", "SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-1", "INCRBY", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "-9223372036854775808", "GET", "u63", "0", "OVERFLOW", "FAIL", "INCRBY", "u63", "0", "-1"}, "*7\r\n:0\r\n:0\r\n:0\r\n:9223372036854775807\r\n:0\r\n:0\r\n$-1\r\n"},
	{[]string{"BITFIELD", "k6", "SET", "u8", "0", "256", "SET", "u8", "0", "-1", "GET", "u8", "0", "OVERFLOW", "SAT", "SET", "u8", "0", "300", "SET", "u8", "0", "-5", "OVERFLOW", "FAIL", "SET", "u8", "0", "256", "SET", "u8", "0", "255"}, "*7\r\n:0\r\n:0\r\n:255\r\n:255\r\n:255\r\n$-1\r\n:255\r\n"},
	{[]string{"BITFIELD", "k7", "SET", "i8", "0", "128", "SET", "i8", "0", "-129", "OVERFLOW", "SAT", "SET", "i8", "0", "128", "SET", "i8", "0", "-129", "GET", "i8", "0"}, "*5\r\n:0\r\n:-128\r\n:127\r\n:127\r\n:-128\r\n"},
	{[]string{"BITFIELD", "k8", "SET", "i5", "3", "7", "GET", "u16", "0", "INCRBY", "u3", "5", "9", "GET", "i3", "5", "SET", "u1", "0", "1", "GET", "u1", "0", "GET", "i1", "0"}, "*7\r\n:0\r\n:1792\r\n:0\r\n:0\r\n:0\r\n:1\r\n:-1\r\n"},
	{[]string{"GET", "k8"}, "$1\r\n\x80\r\n"},
	{[]string{"BITFIELD", "k9", "SET", "i64", "5", "-2", "GET", "i64", "5", "GET", "u63", "5", "GET", "u63", "6", "GET", "i64", "69"}, "*5\r\n:0\r\n:-2\r\n:9223372036854775807\r\n:9223372036854775806\r\n:0\r\n"},
	{[]string{"GET", "k9"}, "$9\r\n\x07\xff\xff\xff\xff\xff\xff\xff\xf0\r\n"},
	{[]string{"SET", "num", "123"}, "+OK\r\n"},
	{[]string{"BITFIELD", "num", "GET", "u8", "0", "SET", "u8", "0", "49"}, "*2\r\n:49\r\n:49\r\n"},
	{[]string{"GET", "num"}, "$3\r\n123\r\n"},
	{[]string{"BITFIELD", "k10", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807"}, "*3\r\n:9223372036854775807\r\n:-2\r\n:9223372036854775805\r\n"},
	{[]string{"BITFIELD", "k11", "SET", "i16", "0", "-9223372036854775808", "GET", "i16", "0", "OVERFLOW", "SAT", "SET", "i16", "0", "-9223372036854775808", "GET", "i16", "0", "SET", "i16", "0", "9223372036854775807", "GET", "i16", "0"}, "*6\r\n:0\r\n:0\r\n:0\r\n:32767\r\n:32767\r\n:32767\r\n"},
	{[]string{"BITFIELD", "k12", "INCRBY", "u4", "0", "-9223372036854775808", "INCRBY", "u4", "0", "9223372036854775807", "OVERFLOW", "SAT", "INCRBY", "u4", "0", "-9223372036854775808", "INCRBY", "u4", "0", "9223372036854775807"}, "*4\r\n:0\r\n:15\r\n:0\r\n:15\r\n"},
	{[]string{"SET", "a", "\xff\x0f"}, "+OK\r\n"},
	{[]string{"SET", "b", "\x0f"}, "+OK\r\n"},
	{[]string{"SET", "c", ""}, "+OK\r\n"},
	{[]string{"BITOP", "AND", "d", "a", "b"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\x0f\x00\r\n"},
	{[]string{"BITOP", "OR", "d", "a", "b"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\xff\x0f\r\n"},
	{[]string{"BITOP", "XOR", "d", "a", "b"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\xf0\x0f\r\n"},
	{[]string{"BITOP", "NOT", "d", "a"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\x00\xf0\r\n"},
	{[]string{"BITOP", "NOT", "d", "a", "b"}, "-ERR BITOP NOT must be called with a single source key.\r\n"},
	{[]string{"BITOP", "NOT", "d"}, "-ERR wrong number of arguments for 'bitop' command\r\n"},
	{[]string{"BITOP", "foo", "d", "a"}, "-ERR syntax error\r\n"},
	{[]string{"BITOP", "and\x00x", "d", "a", "b"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\x0f\x00\r\n"},
	{[]string{"BITOP", "AND", "d", "nokey", "a"}, ":2\r\n"},
	{[]string{"GET", "d"}, "$2\r\n\x00\x00\r\n"},
	{[]string{"BITOP", "AND", "d", "nokey"}, ":0\r\n"},
	{[]string{"EXISTS", "d"}, ":0\r\n"},
	{[]string{"SET", "d", "x", "EX", "100"}, "+OK\r\n"},
	{[]string{"BITOP", "OR", "d", "c"}, ":0\r\n"},
	{[]string{"EXISTS", "d"}, ":0\r\n"},
	{[]string{"SET", "d", "x", "EX", "100"}, "+OK\r\n"},
	{[]string{"BITOP", "OR", "d", "a"}, ":2\r\n"},
	{[]string{"TTL", "d"}, ":-1\r\n"},
	{[]string{"BITOP", "OR", "a", "a", "b"}, ":2\r\n"},
	{[]string{"GET", "a"}, "$2\r\n\xff\x0f\r\n"},
	{[]string{"BITOP", "NOT", "n", "c"}, ":0\r\n"},
	{[]string{"EXISTS", "n"}, ":0\r\n"},
	{[]string{"BITOP", "OR", "d", "nokey1", "nokey2"}, ":0\r\n"},
	{[]string{"BITOP", "DIFF", "d", "a", "b"}, "-ERR syntax error\r\n"},
	{[]string{"bitop", "Not", "d", "a"}, ":2\r\n"},
	{[]string{"BITOP", "AND", "d"}, "-ERR wrong number of arguments for 'bitop' command\r\n"},
	{[]string{"MSET", "key1", "ohmytext", "key2", "mynewtext"}, "+OK\r\n"},
	{[]string{"LCS", "key1", "key2"}, "$6\r\nmytext\r\n"},
	{[]string{"LCS", "key1", "key2", "LEN"}, ":6\r\n"},
	{[]string{"LCS", "key1", "key2", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "key1", "key2", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"},
	{[]string{"LCS", "key1", "key2", "WITHMATCHLEN"}, "$6\r\nmytext\r\n"},
	{[]string{"LCS", "key1", "key2", "MINMATCHLEN"}, "-ERR syntax error\r\n"},
	{[]string{"LCS", "key1", "key2", "MINMATCHLEN", "a"}, "-ERR value is not an integer or out of range\r\n"},
	{[]string{"LCS", "key1", "key2", "MINMATCHLEN", "-5", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "key1", "key2", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "3"}, ":6\r\n"},
	{[]string{"LCS", "key1", "key2", "foo"}, "-ERR syntax error\r\n"},
	{[]string{"LCS", "nokey", "key2"}, "$0\r\n\r\n"},
	{[]string{"LCS", "nokey", "key2", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
	{[]string{"LCS", "nokey", "nokey2", "LEN"}, ":0\r\n"},
	{[]string{"LCS", "key1", "nokey", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
	{[]string{"LCS", "key1", "key1", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n$3\r\nlen\r\n:8\r\n"},
	{[]string{"MSET", "a1", "abcXdefYghi", "a2", "abcZdefWghi"}, "+OK\r\n"},
	{[]string{"LCS", "a1", "a2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*3\r\n*3\r\n*2\r\n:8\r\n:10\r\n*2\r\n:8\r\n:10\r\n:3\r\n*3\r\n*2\r\n:4\r\n:6\r\n*2\r\n:4\r\n:6\r\n:3\r\n*3\r\n*2\r\n:0\r\n:2\r\n*2\r\n:0\r\n:2\r\n:3\r\n$3\r\nlen\r\n:9\r\n"},
	{[]string{"LCS", "key1", "key2", "foo", "LEN", "IDX"}, "-ERR syntax error\r\n"},
	{[]string{"LCS", "key1", "key2", "LEN", "IDX", "MINMATCHLEN", "a"}, "-ERR value is not an integer or out of range\r\n"},
}

// The same server after HELLO 3.
var bitsStepsRESP3 = []ksStep{
	{[]string{"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}, "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
	{[]string{"LCS", "nokey", "key2", "IDX"}, "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"},
	{[]string{"LCS", "key1", "key2"}, "$6\r\nmytext\r\n"},
	{[]string{"BITFIELD", "k2", "OVERFLOW", "FAIL", "SET", "i4", "0", "100", "GET", "i4", "0"}, "*2\r\n_\r\n:0\r\n"},
}

func TestBitsCommandsMatchRedis(t *testing.T) {
	h := newKSHarness(t)
	runSteps(t, h, bitsSteps)
	h.c.w.Proto = 3
	runSteps(t, h, bitsStepsRESP3)
}

// Captured from redis-server 7.0.15 with proto-max-bulk-len 1mb: offsets are refused from the
// byte at the limit on, and BITFIELD may still grow the value to limit+1 bytes.
var bitsLimitSteps = []ksStep{
	{[]string{"FLUSHALL"}, "+OK\r\n"},
	{[]string{"GETBIT", "nokey", "8388607"}, ":0\r\n"},
	{[]string{"GETBIT", "nokey", "8388608"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "nokey", "8388608", "1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u8", "8388600"}, "*1\r\n:0\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u8", "8388608"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u8", "#1048575"}, "*1\r\n:0\r\n"},
	{[]string{"BITFIELD", "nokey", "GET", "u8", "#1048576"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITFIELD", "nokey", "SET", "u8", "8388604", "1"}, "*1\r\n:0\r\n"},
	{[]string{"STRLEN", "nokey"}, ":1048577\r\n"},
	{[]string{"SETBIT", "nokey", "8388607", "1"}, ":0\r\n"},
	{[]string{"STRLEN", "nokey"}, ":1048577\r\n"},
}

func TestBitsProtoMaxBulk(t *testing.T) {
	h := newKSHarness(t)
	h.s.cfg.SetProtoMaxBulk(1 << 20)
	runSteps(t, h, bitsLimitSteps)
	// The LCS table of 601x601 uint32 is over 1MB, 601x401 is not.
	runSteps(t, h, []ksStep{
		{[]string{"set", "a", strings.Repeat("x", 600)}, "+OK\r\n"},
		{[]string{"set", "b", strings.Repeat("x", 400)}, "+OK\r\n"},
		{[]string{"lcs", "a", "a", "len"}, "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"},
		{[]string{"lcs", "a", "b", "len"}, ":400\r\n"},
	})
}

// putHash stores a hash-typed key straight into the engine (the hash commands may not exist).
func putHash(t *testing.T, h *ksHarness, key string) {
	t.Helper()
	err := h.s.eng.Update(0, [][]byte{[]byte(key)}, func(tx *engine.Tx) error {
		return tx.Put([]byte(key), &engine.Meta{Type: engine.TypeHash, Version: tx.NewVersion(), Count: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Captured from redis-server 7.0.15 after HSET h f v, HSET h2 f v, SET s abc: which error wins
// when the key has another type.
var bitsWrongTypeSteps = []ksStep{
	{[]string{"SETBIT", "h", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"SETBIT", "h", "-1", "1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"SETBIT", "h", "0", "5"}, "-ERR bit is not an integer or out of range\r\n"},
	{[]string{"GETBIT", "h", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"GETBIT", "h", "-1"}, "-ERR bit offset is not an integer or out of range\r\n"},
	{[]string{"BITCOUNT", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITCOUNT", "h", "a", "b"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITCOUNT", "h", "0", "1", "foo"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITPOS", "h", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITPOS", "h", "2"}, "-ERR The bit argument must be 1 or 0.\r\n"},
	{[]string{"BITPOS", "h", "1", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITOP", "AND", "d", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITOP", "AND", "d", "s", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"EXISTS", "d"}, ":0\r\n"},
	{[]string{"BITOP", "NOT", "d", "h"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITOP", "FOO", "d", "h"}, "-ERR syntax error\r\n"},
	{[]string{"BITOP", "OR", "h", "s"}, ":3\r\n"},
	{[]string{"TYPE", "h"}, "+string\r\n"},
	{[]string{"GET", "h"}, "$3\r\nabc\r\n"},
	{[]string{"BITFIELD", "h2", "GET", "u8", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITFIELD", "h2", "SET", "u8", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITFIELD", "h2", "FOO"}, "-ERR syntax error\r\n"},
	{[]string{"BITFIELD", "h2", "GET", "u64", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
	{[]string{"BITFIELD_RO", "h2", "SET", "u8", "0", "1"}, "-ERR BITFIELD_RO only supports the GET subcommand\r\n"},
	{[]string{"BITFIELD_RO", "h2", "GET", "u8", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"BITFIELD", "h2"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	{[]string{"LCS", "h2", "s"}, "-ERR The specified keys must contain string values\r\n"},
	{[]string{"LCS", "s", "h2"}, "-ERR The specified keys must contain string values\r\n"},
	{[]string{"LCS", "h2", "s", "LEN", "IDX"}, "-ERR The specified keys must contain string values\r\n"},
	{[]string{"LCS", "h2", "nokey", "foo"}, "-ERR The specified keys must contain string values\r\n"},
	{[]string{"TYPE", "h2"}, "+hash\r\n"},
}

func TestBitsWrongType(t *testing.T) {
	h := newKSHarness(t)
	putHash(t, h, "h")
	putHash(t, h, "h2")
	h.do("set", "s", "abc")
	runSteps(t, h, bitsWrongTypeSteps)
}

// TestBitsWritesKeepTTLAndRaw checks what Redis does to the stored object: SETBIT and BITFIELD
// keep the key's TTL and leave the value raw-encoded (even when nothing changed); BITOP stores
// a raw string without a TTL.
func TestBitsWritesKeepTTLAndRaw(t *testing.T) {
	h := newKSHarness(t)
	meta := func(key string) *engine.Meta {
		t.Helper()
		m, err := h.s.eng.Lookup(0, []byte(key))
		if err != nil || m == nil {
			t.Fatalf("lookup %s: %v %v", key, m, err)
		}
		return m
	}
	tests := []struct {
		name    string
		cmd     []string
		want    string
		value   string
		keepTTL bool
	}{
		{"setbit changes", []string{"setbit", "k", "7", "1"}, ":0\r\n", "1", true},
		{"setbit no change", []string{"setbit", "k", "2", "1"}, ":1\r\n", "0", true},
		{"setbit grows", []string{"setbit", "k", "9", "1"}, ":0\r\n", "0@", true},
		{"bitfield set", []string{"bitfield", "k", "set", "u8", "0", "49"}, "*1\r\n:48\r\n", "1", true},
		{"bitfield fail", []string{"bitfield", "k", "overflow", "fail", "incrby", "u8", "8", "300"}, "*1\r\n$-1\r\n", "0\x00", true},
		{"bitop", []string{"bitop", "or", "k", "k"}, ":1\r\n", "0", false},
	}
	for _, tc := range tests {
		h.do("set", "k", "0", "ex", "1000")
		if m := meta("k"); m.Flags&engine.FlagRaw != 0 || m.ExpireAt == 0 {
			t.Fatalf("%s: SET gave flags %d expire %d", tc.name, m.Flags, m.ExpireAt)
		}
		if got := h.do(tc.cmd...); got != tc.want {
			t.Errorf("%s: reply %q, want %q", tc.name, got, tc.want)
		}
		m := meta("k")
		if string(m.Value) != tc.value || m.Flags&engine.FlagRaw == 0 || (m.ExpireAt != 0) != tc.keepTTL {
			t.Errorf("%s: value %q flags %d expire %d; want %q, raw, TTL kept %v", tc.name, m.Value, m.Flags, m.ExpireAt, tc.value, tc.keepTTL)
		}
	}
	// A read-only BITFIELD leaves the object alone.
	h.do("set", "k", "0")
	h.do("bitfield", "k", "get", "u8", "0")
	if meta("k").Flags&engine.FlagRaw != 0 {
		t.Errorf("BITFIELD GET made the value raw")
	}
}

// FuzzBitCountPos checks BITCOUNT and BITPOS on arbitrary values and ranges against the
// bit-by-bit model.
func FuzzBitCountPos(f *testing.F) {
	f.Add([]byte("foobar"), int64(1), int64(-2), false)
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00"), int64(3), int64(85), true)
	f.Add([]byte{}, int64(-9223372036854775808), int64(9223372036854775807), true)
	f.Fuzz(func(t *testing.T, v []byte, start, end int64, unitBit bool) {
		if len(v) > 4096 {
			return
		}
		n := int64(len(v))
		if unitBit {
			n *= 8
		}
		s, e := naiveRange(n, start, end)
		if !unitBit {
			s, e = s*8, e*8+7
		}
		bitsOf := naiveBits(v)
		var count int64
		first := [2]int64{-1, -1}
		for p := s; p <= e; p++ {
			b := bitsOf[p]
			count += int64(b)
			if first[b] < 0 {
				first[b] = p
			}
		}
		if start < 0 && end < 0 && start > end {
			count = 0
		}
		if got := bitCount(v, start, end, unitBit); got != count {
			t.Fatalf("bitCount = %d, model %d", got, count)
		}
		for bit := byte(0); bit <= 1; bit++ {
			want := first[bit]
			if s > e {
				want = -1
			}
			if got := bitPos(v, bit, start, end, true, unitBit); got != want {
				t.Fatalf("bitPos(bit %d) = %d, model %d", bit, got, want)
			}
		}
	})
}
