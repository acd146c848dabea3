// Package difftest runs the same command sequences against a reference server (a real Redis
// 7.0.15) and a candidate (slotdb) and compares the raw replies byte for byte.
//
// Sequences come from case files (see ParseScript for the format) or from a seeded random
// Generator. Replies that legitimately differ between two servers — connection ids, timestamps,
// hash-table order — are covered by Rules, each naming a command pattern, a reason and, where
// possible, a Normalizer that rewrites both replies the same way before they are compared.
package difftest
