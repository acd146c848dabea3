//go:build !race

package engine

// bigZSetLen is the size of TestZSetMillion's sorted set.
const bigZSetLen = 1_000_000
