package server

import (
	"bytes"
	"testing"
)

// Cases captured from redis-server 7.0.15: BITFIELD on a key holding init (the comment is the
// command sent), its reply, and the key's value afterwards.
var bitfieldCases = []struct {
	init  string
	ops   []bitfieldOp
	want  []bitfieldResult
	final string
}{
	{"foobar", []bitfieldOp{{bfIncrBy, 65, 9, false, 2, overflowWrap}, {bfIncrBy, 50, 16, true, -9223372036854775808, overflowFail}, {bfSet, 56, 7, false, -4184563898284940, overflowFail}, {bfSet, 70, 8, false, -2, overflowFail}}, []bitfieldResult{{val: 2}, {null: true}, {null: true}, {null: true}}, "foobar\x00\x00\x00\x80"}, // BITFIELD k INCRBY u9 65 2 OVERFLOW fail INCRBY i16 50 -9223372036854775808 SET u7 56 -4184563898284940 SET u8 70 -2
	{"", []bitfieldOp{{bfGet, 8, 8, false, 0, overflowWrap}}, []bitfieldResult{{val: 0}}, ""},                                                                                                                                                                                                                                                                                                                                           // BITFIELD k GET u8 8
	{"foobar", []bitfieldOp{{bfIncrBy, 9, 8, false, -4, overflowWrap}, {bfGet, 15, 33, false, 0, overflowWrap}}, []bitfieldResult{{val: 218}, {val: 6163685746}}, "fmobar"},                                                                                                                                                                                                                                                             // BITFIELD k INCRBY u8 9 -4 GET u33 15 OVERFLOW fail OVERFLOW wrap
	{"foobar", []bitfieldOp{{bfIncrBy, 49, 31, false, 4, overflowFail}}, []bitfieldResult{{val: 4}}, "foobar\x00\x00\x00\x04"},                                                                                                                                                                                                                                                                                                          // BITFIELD k OVERFLOW fail OVERFLOW fail OVERFLOW fail INCRBY u31 49 4
	{"", []bitfieldOp{{bfIncrBy, 18, 1, true, 0, overflowWrap}, {bfIncrBy, 9, 2, false, -9223372036854775808, overflowWrap}, {bfSet, 10, 9, false, -5, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}, {val: 0}}, "\x00?`"},                                                                                                                                                                                                        // BITFIELD k INCRBY i1 18 0 INCRBY u2 9 -9223372036854775808 SET u9 10 -5 OVERFLOW fail
	{"foobar", []bitfieldOp{{bfGet, 66, 5, false, 0, overflowWrap}, {bfIncrBy, 61, 4, true, -9223372036854775808, overflowFail}}, []bitfieldResult{{val: 0}, {null: true}}, "foobar\x00\x00\x00"},                                                                                                                                                                                                                                       // BITFIELD k GET u5 66 OVERFLOW fail INCRBY i4 61 -9223372036854775808
	{"foobar", []bitfieldOp{{bfGet, 46, 2, true, 0, overflowWrap}}, []bitfieldResult{{val: -2}}, "foobar"},                                                                                                                                                                                                                                                                                                                              // BITFIELD k OVERFLOW wrap GET i2 46
	{"\x00", []bitfieldOp{{bfIncrBy, 4, 16, true, -282, overflowWrap}, {bfIncrBy, 9, 3, false, 9223372036854775807, overflowWrap}}, []bitfieldResult{{val: -282}, {val: 5}}, "\x0f\xde`"},                                                                                                                                                                                                                                               // BITFIELD k INCRBY i16 4 -282 OVERFLOW fail OVERFLOW wrap INCRBY u3 9 9223372036854775807
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 3, 33, false, 211, overflowSat}, {bfSet, 14, 2, true, -1097166333148169255, overflowSat}}, []bitfieldResult{{val: 8588886227}, {val: -1}}, "\xff\xfe\x00\x0d0"},                                                                                                                                                                                                                                // BITFIELD k OVERFLOW sat INCRBY u33 3 211 SET i2 14 -1097166333148169255
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfSet, 1, 5, false, 5, overflowFail}}, []bitfieldResult{{val: 0}}, "\x94\x00\x00\x00\x00\x00\x00\x00\x01"},                                                                                                                                                                                                                                                                   // BITFIELD k OVERFLOW fail OVERFLOW wrap OVERFLOW fail OVERFLOW fail SET u5 1 5
	{"\x00", []bitfieldOp{{bfIncrBy, 27, 64, true, -1, overflowWrap}, {bfGet, 8, 32, true, 0, overflowWrap}, {bfIncrBy, 21, 63, false, 1, overflowWrap}, {bfGet, 40, 31, false, 0, overflowWrap}}, []bitfieldResult{{val: -1}, {val: 8191}, {val: 144115188075855872}, {val: 0}}, "\x00\x00\x00 \x00\x00\x00\x00\x00\x00\x0f\xe0"},                                                                                                      // BITFIELD k INCRBY i64 27 -1 GET i32 8 INCRBY u63 21 1 GET u31 40
	{"\x7f\xff\xff\xff\xff\xff\xff\xff", []bitfieldOp{{bfSet, 4, 63, true, 5, overflowWrap}, {bfSet, 72, 31, false, -9223372036854775808, overflowWrap}, {bfIncrBy, 13, 9, true, -9223372036854775808, overflowWrap}}, []bitfieldResult{{val: -8}, {val: 0}, {val: 0}}, "p\x00\x00\x00\x00\x00\x00\x00\xa0\x00\x00\x00\x00"},                                                                                                            // BITFIELD k SET i63 4 5 SET u31 72 -9223372036854775808 OVERFLOW sat OVERFLOW wrap INCRBY i9 13 -9223372036854775808
	{"\x00", []bitfieldOp{{bfGet, 60, 33, true, 0, overflowWrap}, {bfSet, 28, 3, true, -6286791232771930686, overflowWrap}, {bfGet, 57, 3, false, 0, overflowWrap}, {bfSet, 70, 8, true, -9223372036854775808, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}, {val: 0}, {val: 0}}, "\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00"},                                                                                                    // BITFIELD k GET i33 60 SET i3 28 -6286791232771930686 GET u3 57 SET i8 70 -9223372036854775808
	{"", []bitfieldOp{{bfIncrBy, 2, 5, false, 0, overflowWrap}, {bfSet, 3, 9, false, -77, overflowWrap}, {bfSet, 19, 9, true, -5516180981794089651, overflowSat}, {bfSet, 68, 1, false, 7698815084584877457, overflowSat}}, []bitfieldResult{{val: 0}, {val: 0}, {val: 0}, {val: 0}}, "\x1b0\x10\x00\x00\x00\x00\x00\x08"},                                                                                                              // BITFIELD k INCRBY u5 2 0 SET u9 3 -77 OVERFLOW sat SET i9 19 -5516180981794089651 SET u1 68 7698815084584877457
	{"foobar", []bitfieldOp{{bfSet, 68, 64, true, -9223372036854775808, overflowWrap}}, []bitfieldResult{{val: 0}}, "foobar\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00"},                                                                                                                                                                                                                                                               // BITFIELD k SET i64 68 -9223372036854775808
	{"foobar", []bitfieldOp{{bfIncrBy, 40, 13, false, -189, overflowSat}}, []bitfieldResult{{val: 3459}}, "foobal\x18"},                                                                                                                                                                                                                                                                                                                 // BITFIELD k OVERFLOW sat INCRBY u13 40 -189 OVERFLOW wrap OVERFLOW fail
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 63, 16, true, 1, overflowWrap}, {bfIncrBy, 26, 13, true, 0, overflowWrap}, {bfIncrBy, 24, 4, true, 7175246397624115676, overflowWrap}}, []bitfieldResult{{val: 1}, {val: 0}, {val: -4}}, "\xff\xff\x00\xc0\x00\x00\x00\x00\x00\x02"},                                                                                                                                                           // BITFIELD k INCRBY i16 63 1 INCRBY i13 26 0 INCRBY i4 24 7175246397624115676
	{"\xff\xff", []bitfieldOp{{bfSet, 51, 4, true, 0, overflowSat}, {bfSet, 9, 33, true, -1, overflowSat}}, []bitfieldResult{{val: 0}, {val: -67108864}}, "\xff\xff\xff\xff\xff\xc0\x00"},                                                                                                                                                                                                                                               // BITFIELD k OVERFLOW sat SET i4 51 0 SET i33 9 -1 OVERFLOW wrap
	{"", []bitfieldOp{{bfIncrBy, 7, 16, true, 3338226655881931787, overflowWrap}, {bfGet, 65, 8, false, 0, overflowWrap}}, []bitfieldResult{{val: 11275}, {val: 0}}, "\x00X\x16"},                                                                                                                                                                                                                                                       // BITFIELD k INCRBY i16 7 3338226655881931787 GET u8 65
	{"\xff\xff", []bitfieldOp{{bfGet, 21, 16, true, 0, overflowWrap}, {bfGet, 51, 33, true, 0, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}}, "\xff\xff"},                                                                                                                                                                                                                                                                        // BITFIELD k GET i16 21 OVERFLOW wrap GET i33 51
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfIncrBy, 14, 5, false, 0, overflowFail}, {bfIncrBy, 55, 33, false, -115, overflowFail}, {bfIncrBy, 34, 4, true, 1283442306891397259, overflowFail}, {bfGet, 27, 31, false, 0, overflowFail}}, []bitfieldResult{{val: 0}, {val: 65421}, {null: true}, {val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8d"},                                                             // BITFIELD k OVERFLOW fail INCRBY u5 14 0 INCRBY u33 55 -115 INCRBY i4 34 1283442306891397259 GET u31 27
	{"\x7f\xff\xff\xff\xff\xff\xff\xff", []bitfieldOp{{bfIncrBy, 13, 2, true, -58, overflowWrap}}, []bitfieldResult{{val: 1}}, "\x7f\xfb\xff\xff\xff\xff\xff\xff"},                                                                                                                                                                                                                                                                      // BITFIELD k INCRBY i2 13 -58
	{"\x00", []bitfieldOp{{bfGet, 69, 13, false, 0, overflowSat}, {bfSet, 56, 31, true, 9223372036854775807, overflowSat}, {bfGet, 63, 63, true, 0, overflowSat}}, []bitfieldResult{{val: 0}, {val: 0}, {val: -549755813888}}, "\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff\xfe"},                                                                                                                                                          // BITFIELD k OVERFLOW sat GET u13 69 SET i31 56 9223372036854775807 GET i63 63
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfSet, 53, 9, false, -9223372036854775808, overflowWrap}, {bfSet, 49, 8, true, 2, overflowWrap}, {bfIncrBy, 66, 1, true, -583832845012486272, overflowWrap}, {bfSet, 6, 63, true, -1, overflowSat}}, []bitfieldResult{{val: 0}, {val: 0}, {val: 0}, {val: 8192}}, "\x83\xff\xff\xff\xff\xff\xff\xff\xf9"},                                                                    // BITFIELD k SET u9 53 -9223372036854775808 SET i8 49 2 INCRBY i1 66 -583832845012486272 OVERFLOW sat SET i63 6 -1
	{"\x00", []bitfieldOp{{bfSet, 53, 31, false, 9223372036854775807, overflowWrap}, {bfSet, 64, 33, false, 5, overflowWrap}, {bfIncrBy, 64, 4, true, -100, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 8589926400}, {val: -4}}, "\x00\x00\x00\x00\x00\x00\x07\xff\xc0\x00\x00\x02\x80"},                                                                                                                                           // BITFIELD k SET u31 53 9223372036854775807 OVERFLOW wrap SET u33 64 5 INCRBY i4 64 -100
	{"", []bitfieldOp{{bfGet, 20, 64, true, 0, overflowFail}, {bfSet, 61, 9, false, 9223372036854775807, overflowFail}}, []bitfieldResult{{val: 0}, {null: true}}, "\x00\x00\x00\x00\x00\x00\x00\x00\x00"},                                                                                                                                                                                                                              // BITFIELD k OVERFLOW wrap OVERFLOW fail GET i64 20 SET u9 61 9223372036854775807
	{"", []bitfieldOp{{bfIncrBy, 54, 9, true, 9223372036854775807, overflowWrap}, {bfSet, 70, 5, false, 2837227557596341061, overflowWrap}, {bfSet, 69, 2, false, -9223372036854775808, overflowWrap}, {bfIncrBy, 38, 32, true, 0, overflowWrap}}, []bitfieldResult{{val: -1}, {val: 0}, {val: 0}, {val: 65408}}, "\x00\x00\x00\x00\x00\x00\x03\xfe\x00\xa0"},                                                                           // BITFIELD k INCRBY i9 54 9223372036854775807 SET u5 70 2837227557596341061 SET u2 69 -9223372036854775808 INCRBY i32 38 0
	{"\xff\xff", []bitfieldOp{{bfGet, 35, 16, false, 0, overflowWrap}}, []bitfieldResult{{val: 0}}, "\xff\xff"},                                                                                                                                                                                                                                                                                                                         // BITFIELD k GET u16 35
	{"foobar", []bitfieldOp{{bfIncrBy, 40, 9, false, -74, overflowWrap}, {bfGet, 49, 16, false, 0, overflowWrap}, {bfIncrBy, 49, 33, false, -1, overflowWrap}, {bfIncrBy, 2, 33, false, 1, overflowWrap}}, []bitfieldResult{{val: 154}, {val: 0}, {val: 8589934591}, {val: 5158697748}}, "foob\x81M\x7f\xff\xff\xff\xc0"},                                                                                                               // BITFIELD k INCRBY u9 40 -74 GET u16 49 INCRBY u33 49 -1 INCRBY u33 2 1 OVERFLOW fail
	{"\xff\xff", []bitfieldOp{{bfGet, 40, 64, true, 0, overflowWrap}, {bfSet, 54, 32, true, 0, overflowFail}, {bfIncrBy, 43, 7, false, -6701415839605615587, overflowFail}}, []bitfieldResult{{val: 0}, {val: 0}, {null: true}}, "\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00"},                                                                                                                                                        // BITFIELD k OVERFLOW wrap GET i64 40 OVERFLOW fail SET i32 54 0 INCRBY u7 43 -6701415839605615587
	{"\x7f\xff\xff\xff\xff\xff\xff\xff", []bitfieldOp{{bfIncrBy, 44, 33, false, -297, overflowWrap}, {bfSet, 14, 33, true, -9223372036854775808, overflowWrap}, {bfGet, 7, 5, false, 0, overflowWrap}, {bfSet, 19, 5, true, 9223372036854775807, overflowWrap}, {bfGet, 60, 16, true, 0, overflowWrap}}, []bitfieldResult{{val: 8589926103}, {val: -1}, {val: 31}, {val: 0}, {val: -4245}}, "\x7f\xfc\x1f\x00\x00\x01\xff\xfe\xf6\xb8"}, // BITFIELD k INCRBY u33 44 -297 SET i33 14 -9223372036854775808 GET u5 7 SET i5 19 9223372036854775807 GET i16 60
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfIncrBy, 39, 3, false, 1, overflowWrap}, {bfIncrBy, 70, 31, false, -206, overflowWrap}, {bfIncrBy, 66, 13, false, -9223372036854775808, overflowWrap}}, []bitfieldResult{{val: 1}, {val: 536870706}, {val: 127}}, "\x80\x00\x00\x00\x00@\x00\x00\x00\xff\xff\xf9\x90"},                                                                                                      // BITFIELD k OVERFLOW wrap INCRBY u3 39 1 INCRBY u31 70 -206 OVERFLOW wrap INCRBY u13 66 -9223372036854775808
	{"", []bitfieldOp{{bfSet, 53, 32, true, 9223372036854775807, overflowWrap}, {bfSet, 68, 13, false, 9223372036854775807, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 8191}}, "\x00\x00\x00\x00\x00\x00\x07\xff\xff\xff\xf8"},                                                                                                                                                                                                    // BITFIELD k SET i32 53 9223372036854775807 SET u13 68 9223372036854775807 OVERFLOW sat
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfSet, 69, 32, true, -1531623892868581774, overflowSat}, {bfIncrBy, 4, 4, false, -3, overflowSat}, {bfGet, 71, 2, false, 0, overflowSat}, {bfGet, 8, 31, false, 0, overflowSat}}, []bitfieldResult{{val: 536870912}, {val: 0}, {val: 0}, {val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00"},                                                                  // BITFIELD k OVERFLOW sat SET i32 69 -1531623892868581774 INCRBY u4 4 -3 GET u2 71 GET u31 8
	{"\xff\xff", []bitfieldOp{{bfSet, 50, 31, true, -4842677182995471004, overflowWrap}}, []bitfieldResult{{val: 0}}, "\xff\xff\x00\x00\x00\x00<\xd52\xb2\x00"},                                                                                                                                                                                                                                                                         // BITFIELD k SET i31 50 -4842677182995471004
	{"foobar", []bitfieldOp{{bfIncrBy, 19, 64, true, 1, overflowWrap}}, []bitfieldResult{{val: 8868444804325834753}}, "foobar\x00\x00\x00\x00 "},                                                                                                                                                                                                                                                                                        // BITFIELD k INCRBY i64 19 1
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfGet, 14, 8, true, 0, overflowWrap}}, []bitfieldResult{{val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x01"},                                                                                                                                                                                                                                                                   // BITFIELD k GET i8 14
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 42, 32, false, 9223372036854775807, overflowWrap}, {bfSet, 22, 31, true, -1802633915451355921, overflowWrap}}, []bitfieldResult{{val: 4294967295}, {val: 2047}}, "\xff\xff\x01\x8b\x9ag\x7f\xff\xff\xc0"},                                                                                                                                                                                      // BITFIELD k INCRBY u32 42 9223372036854775807 SET i31 22 -1802633915451355921 OVERFLOW wrap
	{"\x00", []bitfieldOp{{bfGet, 54, 7, true, 0, overflowWrap}}, []bitfieldResult{{val: 0}}, "\x00"},                                                                                                                                                                                                                                                                                                                                   // BITFIELD k GET i7 54
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfSet, 49, 63, true, 194, overflowWrap}, {bfIncrBy, 31, 33, false, 0, overflowWrap}}, []bitfieldResult{{val: 1099511627776}, {val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc2"},                                                                                                                                                                          // BITFIELD k SET i63 49 194 INCRBY u33 31 0
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 20, 16, true, 9223372036854775807, overflowSat}, {bfSet, 66, 64, true, -9223372036854775808, overflowSat}}, []bitfieldResult{{val: 32767}, {val: 0}}, "\xff\xff\x07\xff\xf0\x00\x00\x00 \x00\x00\x00\x00\x00\x00\x00\x00"},                                                                                                                                                                     // BITFIELD k OVERFLOW sat OVERFLOW sat INCRBY i16 20 9223372036854775807 SET i64 66 -9223372036854775808
	{"", []bitfieldOp{{bfSet, 11, 7, false, -6721908025976489312, overflowWrap}, {bfSet, 42, 3, false, 0, overflowWrap}, {bfIncrBy, 70, 16, true, 9223372036854775807, overflowWrap}, {bfGet, 2, 16, false, 0, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}, {val: -1}, {val: 32}}, "\x00\x08\x00\x00\x00\x00\x00\x00\x03\xff\xfc"},                                                                                              // BITFIELD k SET u7 11 -6721908025976489312 SET u3 42 0 INCRBY i16 70 9223372036854775807 GET u16 2
	{"\x00", []bitfieldOp{{bfGet, 67, 3, true, 0, overflowWrap}, {bfGet, 43, 3, false, 0, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}}, "\x00"},                                                                                                                                                                                                                                                                                 // BITFIELD k GET i3 67 GET u3 43
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfGet, 4, 1, false, 0, overflowWrap}, {bfIncrBy, 63, 8, true, 1, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 1}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x03"},                                                                                                                                                                                                               // BITFIELD k GET u1 4 INCRBY i8 63 1
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 52, 63, false, 0, overflowWrap}, {bfSet, 3, 8, false, 1, overflowWrap}, {bfIncrBy, 39, 33, false, 1, overflowWrap}, {bfIncrBy, 47, 64, true, 9223372036854775807, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 255}, {val: 1}, {val: -9223371487098961921}}, "\xe0?\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff\xfe\x00"},                                                                  // BITFIELD k INCRBY u63 52 0 SET u8 3 1 INCRBY u33 39 1 INCRBY i64 47 9223372036854775807
	{"", []bitfieldOp{{bfIncrBy, 31, 5, true, -1, overflowWrap}, {bfIncrBy, 45, 3, false, -1, overflowWrap}, {bfIncrBy, 63, 7, false, -9223372036854775808, overflowWrap}, {bfGet, 2, 9, false, 0, overflowWrap}}, []bitfieldResult{{val: -1}, {val: 7}, {val: 0}, {val: 0}}, "\x00\x00\x00\x01\xf0\x07\x00\x00\x00"},                                                                                                                   // BITFIELD k INCRBY i5 31 -1 INCRBY u3 45 -1 INCRBY u7 63 -9223372036854775808 GET u9 2 OVERFLOW fail
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfSet, 6, 4, true, 0, overflowWrap}, {bfSet, 10, 8, false, -9223372036854775808, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x01"},                                                                                                                                                                                               // BITFIELD k SET i4 6 0 SET u8 10 -9223372036854775808
	{"\xff\xff", []bitfieldOp{{bfIncrBy, 34, 33, false, 9223372036854775807, overflowWrap}, {bfSet, 9, 9, true, 150, overflowWrap}}, []bitfieldResult{{val: 8589934591}, {val: -4}}, "\xff\xa5\x80\x00?\xff\xff\xff\xe0"},                                                                                                                                                                                                               // BITFIELD k INCRBY u33 34 9223372036854775807 SET i9 9 150
	{"", []bitfieldOp{{bfSet, 72, 33, false, -3, overflowWrap}, {bfIncrBy, 19, 3, true, -1, overflowWrap}}, []bitfieldResult{{val: 0}, {val: -1}}, "\x00\x00\x1c\x00\x00\x00\x00\x00\x00\xff\xff\xff\xfe\x80"},                                                                                                                                                                                                                          // BITFIELD k SET u33 72 -3 INCRBY i3 19 -1 OVERFLOW wrap
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfGet, 4, 33, false, 0, overflowWrap}, {bfSet, 21, 16, true, -1, overflowWrap}, {bfSet, 30, 33, false, -1, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 0}, {val: 8522825728}}, "\x80\x00\x07\xff\xff\xff\xff\xfe\x01"},                                                                                                                                                  // BITFIELD k GET u33 4 SET i16 21 -1 SET u33 30 -1
	{"", []bitfieldOp{{bfGet, 63, 16, true, 0, overflowWrap}, {bfIncrBy, 33, 32, false, -269, overflowWrap}}, []bitfieldResult{{val: 0}, {val: 4294967027}}, "\x00\x00\x00\x00\x7f\xff\xffy\x80"},                                                                                                                                                                                                                                       // BITFIELD k GET i16 63 INCRBY u32 33 -269
	{"\x7f\xff\xff\xff\xff\xff\xff\xff", []bitfieldOp{{bfIncrBy, 63, 33, false, 9223372036854775807, overflowWrap}, {bfSet, 40, 1, false, 9223372036854775807, overflowWrap}}, []bitfieldResult{{val: 4294967295}, {val: 1}}, "\x7f\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff"},                                                                                                                                                       // BITFIELD k INCRBY u33 63 9223372036854775807 SET u1 40 9223372036854775807 OVERFLOW sat
	{"\x80\x00\x00\x00\x00\x00\x00\x00\x01", []bitfieldOp{{bfGet, 4, 2, false, 0, overflowFail}}, []bitfieldResult{{val: 0}}, "\x80\x00\x00\x00\x00\x00\x00\x00\x01"},                                                                                                                                                                                                                                                                   // BITFIELD k OVERFLOW fail GET u2 4
	{"\x7f\xff\xff\xff\xff\xff\xff\xff", []bitfieldOp{{bfGet, 29, 64, true, 0, overflowWrap}, {bfGet, 27, 16, false, 0, overflowWrap}}, []bitfieldResult{{val: -536870912}, {val: 65535}}, "\x7f\xff\xff\xff\xff\xff\xff\xff"},                                                                                                                                                                                                          // BITFIELD k OVERFLOW sat OVERFLOW wrap GET i64 29 GET u16 27 OVERFLOW sat
}

// applyBitfield runs ops as the BITFIELD command does: writes first make room for the
// farthest bit they touch.
func applyBitfield(init []byte, ops []bitfieldOp) ([]bitfieldResult, []byte) {
	readonly, hi := true, uint64(0)
	for _, o := range ops {
		if o.op != bfGet {
			readonly = false
			hi = max(hi, o.offset+uint64(o.width)-1)
		}
	}
	if readonly {
		return runBitfield(init, ops), init
	}
	v := growString(init, hi>>3+1)
	return runBitfield(v, ops), v
}

func TestBitfieldMatchesRedis(t *testing.T) {
	for i, tc := range bitfieldCases {
		init := []byte(tc.init)
		res, final := applyBitfield(init, tc.ops)
		if len(res) != len(tc.want) {
			t.Errorf("case %d: %d results, redis gave %d", i, len(res), len(tc.want))
			continue
		}
		for j := range res {
			if res[j] != tc.want[j] {
				t.Errorf("case %d op %d: got %+v, redis %+v", i, j, res[j], tc.want[j])
			}
		}
		if !bytes.Equal(final, []byte(tc.final)) {
			t.Errorf("case %d: value %q, redis %q", i, final, tc.final)
		}
		if string(init) != tc.init {
			t.Errorf("case %d: the stored value was modified in place", i)
		}
	}
}

func TestBitfieldType(t *testing.T) {
	tests := []struct {
		arg    string
		width  uint
		signed bool
		ok     bool
	}{
		{"i1", 1, true, true},
		{"i64", 64, true, true},
		{"u1", 1, false, true},
		{"u63", 63, false, true},
		{"u64", 0, false, false}, // unsigned 64 cannot be replied as an integer
		{"i65", 0, false, false},
		{"i0", 0, false, false},
		{"u0", 0, false, false},
		{"i08", 0, false, false},
		{"i-8", 0, false, false},
		{"I8", 0, false, false},
		{"x8", 0, false, false},
		{"i", 0, false, false},
		{"", 0, false, false},
		{"i8\x00junk", 8, true, true}, // Redis reads the type as a C string
		{"\x00i8", 0, false, false},
		{"i 8", 0, false, false},
	}
	for _, tc := range tests {
		w, s, ok := bitfieldType([]byte(tc.arg))
		if w != tc.width || s != tc.signed || ok != tc.ok {
			t.Errorf("bitfieldType(%q) = %d, %v, %v; want %d, %v, %v", tc.arg, w, s, ok, tc.width, tc.signed, tc.ok)
		}
	}
}

func TestParseBitfield(t *testing.T) {
	const maxBulk = 512 << 20
	tests := []struct {
		args     []string
		nops     int
		readonly bool
		hiBit    uint64
		err      string
	}{
		{[]string{}, 0, true, 0, ""},
		{[]string{"OVERFLOW", "SAT"}, 0, true, 0, ""},
		{[]string{"get", "u8", "0", "GET", "i4", "#3"}, 2, true, 0, ""},
		{[]string{"SET", "u8", "#2", "1", "INCRBY", "i5", "3", "-1"}, 2, false, 23, ""},
		{[]string{"get\x00x", "u8", "0"}, 1, true, 0, ""},
		{[]string{"GET", "u8"}, 0, false, 0, errSyntax},
		{[]string{"SET", "u8", "0"}, 0, false, 0, errSyntax},
		{[]string{"OVERFLOW"}, 0, false, 0, errSyntax},
		{[]string{"OVERFLOW", "foo", "GET", "u8", "0"}, 0, false, 0, "ERR Invalid OVERFLOW type specified"},
		{[]string{"FOO", "u8", "0"}, 0, false, 0, errSyntax},
		{[]string{"GET", "u64", "0"}, 0, false, 0, errBitfieldType},
		{[]string{"GET", "u8", "-1"}, 0, false, 0, errBitOffset},
		{[]string{"GET", "u8", "4294967296"}, 0, false, 0, errBitOffset},
		{[]string{"SET", "u8", "0", "x"}, 0, false, 0, errNotInt},
		// Errors come in argument order: the type before the offset before the value.
		{[]string{"SET", "u64", "-1", "x"}, 0, false, 0, errBitfieldType},
		{[]string{"SET", "u8", "-1", "x"}, 0, false, 0, errBitOffset},
	}
	for _, tc := range tests {
		args := [][]byte{[]byte("bitfield"), []byte("k")}
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		ops, ro, hi, e := parseBitfield(args, maxBulk)
		if e != tc.err {
			t.Errorf("%q: error %q, want %q", tc.args, e, tc.err)
			continue
		}
		if e == "" && (len(ops) != tc.nops || ro != tc.readonly || hi != tc.hiBit) {
			t.Errorf("%q: %d ops readonly=%v hi=%d; want %d %v %d", tc.args, len(ops), ro, hi, tc.nops, tc.readonly, tc.hiBit)
		}
	}
}

// TestBitfieldOverflowQuirks pins results of Redis's wrapping arithmetic that a "cleaner"
// implementation would get wrong (all captured from redis-server 7.0.15).
func TestBitfieldOverflowQuirks(t *testing.T) {
	tests := []struct {
		name string
		ops  []bitfieldOp
		want []bitfieldResult
	}{
		{"SET i16 of INT64_MIN under SAT saturates high",
			[]bitfieldOp{{bfSet, 0, 16, true, -9223372036854775808, overflowSat}, {bfGet, 0, 16, true, 0, overflowSat}},
			[]bitfieldResult{{val: 0}, {val: 32767}}},
		{"SET i16 of INT64_MIN wraps to 0",
			[]bitfieldOp{{bfSet, 0, 16, true, -9223372036854775808, overflowWrap}, {bfGet, 0, 16, true, 0, overflowWrap}},
			[]bitfieldResult{{val: 0}, {val: 0}}},
		{"i64 INCRBY wraps and saturates",
			[]bitfieldOp{{bfSet, 0, 64, true, -9223372036854775808, overflowWrap}, {bfIncrBy, 0, 64, true, -1, overflowWrap},
				{bfIncrBy, 0, 64, true, 9223372036854775807, overflowSat}, {bfIncrBy, 0, 64, true, 1, overflowFail}},
			[]bitfieldResult{{val: 0}, {val: 9223372036854775807}, {val: 9223372036854775807}, {null: true}}},
		{"u63 wrap, saturate at 0, fail",
			[]bitfieldOp{{bfSet, 0, 63, false, 9223372036854775807, overflowWrap}, {bfIncrBy, 0, 63, false, 1, overflowWrap},
				{bfIncrBy, 0, 63, false, -1, overflowSat}, {bfIncrBy, 0, 63, false, -1, overflowFail}},
			[]bitfieldResult{{val: 0}, {val: 0}, {val: 0}, {null: true}}},
		{"u8 SET of negatives",
			[]bitfieldOp{{bfSet, 0, 8, false, -1, overflowWrap}, {bfSet, 0, 8, false, -5, overflowSat}, {bfSet, 0, 8, false, 256, overflowFail}},
			[]bitfieldResult{{val: 0}, {val: 255}, {null: true}}},
		{"u4 INCRBY by INT64_MIN wraps to 0",
			[]bitfieldOp{{bfIncrBy, 0, 4, false, -9223372036854775808, overflowWrap}, {bfIncrBy, 0, 4, false, 9223372036854775807, overflowWrap}},
			[]bitfieldResult{{val: 0}, {val: 15}}},
	}
	for _, tc := range tests {
		got, _ := applyBitfield(nil, tc.ops)
		for j := range tc.want {
			if j >= len(got) || got[j] != tc.want[j] {
				t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func TestGetSetBits(t *testing.T) {
	v := make([]byte, 3)
	setBits(v, 7, 5, 23) // Redis's own example: 5 bits of 23 at offset 7
	if !bytes.Equal(v, []byte{0x01, 0x70, 0x00}) {
		t.Fatalf("setBits: %08b", v)
	}
	if got := getBits(v, 7, 5); got != 23 {
		t.Fatalf("getBits = %d", got)
	}
	if got := getBits(v, 20, 64); got != 0 { // past the end reads zeros
		t.Fatalf("getBits past end = %d", got)
	}
	if got := signExtend(getBits([]byte{0xff}, 0, 8), 8); got != -1 {
		t.Fatalf("signExtend = %d", got)
	}
}

// FuzzBitfield parses arbitrary BITFIELD arguments (NUL-separated in the input) and runs them
// on a value: no panic, one result per op, and writes stay inside the room made for them.
func FuzzBitfield(f *testing.F) {
	f.Add([]byte("SET\x00i8\x000\x00-100\x00GET\x00u4\x00#1\x00OVERFLOW\x00SAT\x00INCRBY\x00i64\x0060\x009223372036854775807"), []byte("foobar"))
	f.Add([]byte("OVERFLOW\x00FAIL\x00INCRBY\x00u63\x00#3\x00-9223372036854775808"), []byte{})
	f.Add([]byte("GET\x00i64\x00#131071\x00SET\x00u1\x001048575\x001"), []byte{0xff})
	f.Add([]byte("get\x00u8"), []byte("x"))
	f.Fuzz(func(t *testing.T, spec, init []byte) {
		args := [][]byte{[]byte("bitfield"), []byte("k")}
		args = append(args, bytes.Split(spec, []byte{0})...)
		ops, readonly, hi, e := parseBitfield(args, 1<<17) // bounds what a write may grow
		if e != "" {
			return
		}
		res, final := applyBitfield(init, ops)
		if len(res) != len(ops) {
			t.Fatalf("%d results for %d ops", len(res), len(ops))
		}
		if readonly && !bytes.Equal(final, init) {
			t.Fatalf("GET-only ops changed the value")
		}
		if !readonly && uint64(len(final)) != max(uint64(len(init)), hi>>3+1) {
			t.Fatalf("value is %d bytes, want max(%d, %d)", len(final), len(init), hi>>3+1)
		}
	})
}
