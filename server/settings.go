package server

import (
	"sync"
	"sync/atomic"
)

// Settings are the applied values of the directives the server acts on, read on hot paths
// without locks. CONFIG SET updates them through the config package's change hooks.
type Settings struct {
	port           atomic.Int64
	maxClients     atomic.Int64
	timeout        atomic.Int64 // seconds, 0 = never
	tcpKeepalive   atomic.Int64 // seconds
	protoMaxBulk   atomic.Int64
	queryBufLimit  atomic.Int64
	protectedMode  atomic.Bool
	databases      atomic.Int64
	slowlogSlower  atomic.Int64 // µs
	slowlogMaxLen  atomic.Int64
	clusterEnabled atomic.Bool

	mu          sync.RWMutex
	requirePass string
	bind        []string
	pidFile     string
	dir         string

	// Get and Set serve CONFIG GET/SET/REWRITE; wired by the binary to the config package.
	Get     func(patterns []string) [][2]string
	Set     func(args []string) error
	Rewrite func() error
	// SetReplicaOf records the current master for CONFIG GET/REWRITE replicaof ("" = none).
	SetReplicaOf func(host string, port int)
}

// NewSettings returns Redis's defaults.
func NewSettings() *Settings {
	s := &Settings{}
	s.port.Store(6379)
	s.maxClients.Store(10000)
	s.tcpKeepalive.Store(300)
	s.protoMaxBulk.Store(512 << 20)
	s.queryBufLimit.Store(1 << 30)
	s.protectedMode.Store(true)
	s.databases.Store(16)
	s.slowlogSlower.Store(10000)
	s.slowlogMaxLen.Store(128)
	s.bind = []string{"*", "-::*"}
	return s
}

func (s *Settings) Port() int            { return int(s.port.Load()) }
func (s *Settings) MaxClients() int      { return int(s.maxClients.Load()) }
func (s *Settings) Timeout() int         { return int(s.timeout.Load()) }
func (s *Settings) TCPKeepalive() int    { return int(s.tcpKeepalive.Load()) }
func (s *Settings) ProtoMaxBulk() int64  { return s.protoMaxBulk.Load() }
func (s *Settings) QueryBufLimit() int64 { return s.queryBufLimit.Load() }
func (s *Settings) ProtectedMode() bool  { return s.protectedMode.Load() }
func (s *Settings) Databases() int       { return int(s.databases.Load()) }
func (s *Settings) ClusterEnabled() bool { return s.clusterEnabled.Load() }

func (s *Settings) SetPort(v int)            { s.port.Store(int64(v)) }
func (s *Settings) SetMaxClients(v int)      { s.maxClients.Store(int64(v)) }
func (s *Settings) SetTimeout(v int)         { s.timeout.Store(int64(v)) }
func (s *Settings) SetTCPKeepalive(v int)    { s.tcpKeepalive.Store(int64(v)) }
func (s *Settings) SetProtoMaxBulk(v int64)  { s.protoMaxBulk.Store(v) }
func (s *Settings) SetQueryBufLimit(v int64) { s.queryBufLimit.Store(v) }
func (s *Settings) SetProtectedMode(v bool)  { s.protectedMode.Store(v) }
func (s *Settings) SetDatabases(v int)       { s.databases.Store(int64(v)) }
func (s *Settings) SetSlowlog(slowerThan, maxLen int64) {
	s.slowlogSlower.Store(slowerThan)
	s.slowlogMaxLen.Store(maxLen)
}
func (s *Settings) SetClusterEnabled(v bool) { s.clusterEnabled.Store(v) }

func (s *Settings) RequirePass() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.requirePass
}
func (s *Settings) SetRequirePass(p string) { s.mu.Lock(); s.requirePass = p; s.mu.Unlock() }

func (s *Settings) Bind() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bind
}
func (s *Settings) SetBind(b []string) { s.mu.Lock(); s.bind = b; s.mu.Unlock() }

func (s *Settings) PidFile() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pidFile
}
func (s *Settings) SetPidFile(p string) { s.mu.Lock(); s.pidFile = p; s.mu.Unlock() }

func (s *Settings) Dir() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dir
}
func (s *Settings) SetDir(d string) { s.mu.Lock(); s.dir = d; s.mu.Unlock() }

func (s *Settings) SlowlogSlowerThan() int64 { return s.slowlogSlower.Load() }
func (s *Settings) SlowlogMaxLen() int64     { return s.slowlogMaxLen.Load() }
