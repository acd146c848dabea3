//go:build race

package engine

// The race detector slows Pebble's batch writes about tenfold: the big-stream test uses a
// fifth of its entries then.
const streamBigEntries = 200_000
