//go:build race

package engine

// raceBuild tells the tests that the race detector multiplies memory and time: the RSS test
// then runs in a test binary built without it.
const raceBuild = true
