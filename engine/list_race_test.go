//go:build race

package engine

// bigListLen is the size of TestListMillion's list: smaller under the race detector, which
// makes each element write many times slower.
const bigListLen = 200_000
