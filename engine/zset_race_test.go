//go:build race

package engine

// bigZSetLen is the size of TestZSetMillion's sorted set: smaller under the race detector,
// which makes each record write many times slower.
const bigZSetLen = 100_000
