// Package bus encodes and decodes Redis Cluster bus messages exactly as Redis 7.0 puts them
// on the wire (shared/docs/cluster-bus.md §2-4). It is a pure codec: no sockets, no timers.
//
// Decode keeps every byte of a message (reserved fields, IP padding, unknown extensions,
// the bodies of unknown types) so Encode(Decode(b)) == b for every message Decode accepts.
package bus
