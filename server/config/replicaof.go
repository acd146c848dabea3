package config

// SetReplicaOf records the master the server now replicates from (host "" after a promotion),
// as Redis keeps server.masterhost: CONFIG GET replicaof and CONFIG REWRITE then show the
// current master, so a rewritten redis.conf restarts the node as a replica of the master
// REPLICAOF or Sentinel last chose. The directive stays immutable for CONFIG SET.
func (c *Config) SetReplicaOf(host string, port int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.lookup("replicaof")
	if host == "" {
		e.v = (*replicaOf)(nil)
		return
	}
	e.v = &replicaOf{Host: host, Port: int64(port)}
}
