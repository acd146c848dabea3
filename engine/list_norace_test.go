//go:build !race

package engine

// bigListLen is the size of TestListMillion's list.
const bigListLen = 1_000_000
