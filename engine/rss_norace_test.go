//go:build !race

package engine

// raceBuild tells the tests that the race detector is off.
const raceBuild = false
