//go:build !race

package engine

const streamBigEntries = 1_000_000
