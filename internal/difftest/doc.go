// Package difftest runs the same command sequences against a reference server (a real Redis
// 7.0.15) and a candidate (slotdb) and compares the raw replies byte for byte.
//
// Sequences come from case files (see the directive list in script.go) or from a seeded
// random Generator. Replies that legitimately differ between two servers — connection ids,
// timestamps, hash-table order — are covered by Rules, each naming a command pattern, a reason
// and, where possible, a Normalizer that rewrites both replies the same way before they are
// compared, so that everything else is still compared.
//
// Typical use in a test:
//
//	ref, got := proctest.StartRedis(t), proctest.StartSlotdb(t)
//	ms := difftest.RunFile(t, "testdata/diff/strings.txt",
//		difftest.Side{Name: "redis", Addr: ref.Addr()}, difftest.Side{Name: "slotdb", Addr: got.Addr()})
//	difftest.Report(t, ms, difftest.Strict())
//
// Environment: mismatches fail tests unless SLOTDB_DIFF_STRICT=0 (Strict); SLOTDB_DIFF_TRACE=1 logs
// every exchange of RunFile with its timing.
package difftest
