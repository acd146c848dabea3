// Package state is the Redis Cluster state machine of Redis 7.0 (cluster.c) as plain data
// plus functions: nodes, slots, epochs, flags, failure reports, votes and manual-failover
// state. It opens no sockets, starts no timers, touches no disk and reads no clock.
//
// The I/O layer drives it with three kinds of input and executes the Output each returns:
//
//   - Tick(now) every 100 ms (clusterCron);
//   - link events: Accept for an inbound connection, LinkConnected/LinkClosed for the
//     outbound connections that Output.Connects asked for, and Step(now, link, msg) for
//     every decoded bus message, in arrival order per link;
//   - commands (CLUSTER ADDSLOTS, MEET, FAILOVER, ...), which return Redis's exact error
//     texts.
//
// Time is an int64 of Unix milliseconds supplied by the caller; randomness comes from the
// rand.Source given to New or Load, so a seeded run is reproducible.
package state
