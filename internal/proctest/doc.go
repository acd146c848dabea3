// Package proctest holds helpers for tests that run real processes: free loopback ports, a real
// redis-server 7.0 as the reference, the slotdb-server binary built once per test binary, and a
// minimal raw RESP client whose replies are the exact bytes the server sent.
package proctest
