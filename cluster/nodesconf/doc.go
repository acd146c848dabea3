// Package nodesconf reads and writes Redis 7.0's cluster config file (nodes.conf) and the
// CLUSTER NODES text, which share one line format (shared/docs/cluster-bus.md §12, §13.1).
// It is a pure codec: the caller supplies every value, including the timestamps and the
// epoch to print; nothing is computed or invented here.
package nodesconf
