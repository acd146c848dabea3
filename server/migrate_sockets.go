package server

import (
	"bufio"
	"net"
	"strconv"
	"sync"
	"time"
)

// MIGRATE's cached target connections (migrate_cached_sockets in cluster.c): one per
// "host:port", reused by later MIGRATEs, closed after 10 s unused; at most 64, a random one
// dropped to make room.

const (
	migrateCacheItems = 64
	migrateCacheTTL   = 10 * time.Second
)

// migrateSocket is one cached connection. A MIGRATE holds mu for its whole exchange, so two
// clients never interleave their pipelines on it.
type migrateSocket struct {
	mu      sync.Mutex
	conn    net.Conn
	rd      *bufio.Reader
	lastDB  int64 // the db SELECTed on it, -1 unknown
	lastUse time.Time
}

func (cs *migrateSocket) release() { cs.mu.Unlock() }

// migrateCache maps "host:port" to its connection.
type migrateCache struct {
	mu      sync.Mutex
	socks   map[string]*migrateSocket
	reaping bool
	now     func() time.Time // tests replace it
}

// get returns the connection to host:port locked for the caller, connecting within timeout
// when none is cached.
func (mc *migrateCache) get(host, port string, timeout time.Duration) (*migrateSocket, error) {
	name := host + ":" + port
	mc.mu.Lock()
	if mc.socks == nil {
		mc.socks = make(map[string]*migrateSocket)
	}
	if cs := mc.socks[name]; cs != nil {
		mc.mu.Unlock()
		cs.mu.Lock()
		mc.mu.Lock()
		if mc.socks[name] == cs { // still cached: not dropped while we waited for it
			cs.lastUse = mc.clock()
			mc.mu.Unlock()
			return cs, nil
		}
		mc.mu.Unlock()
		cs.mu.Unlock()
		return mc.get(host, port, timeout)
	}
	mc.mu.Unlock()

	// atoi(port) as Redis: a bad port number becomes 0, which fails to connect.
	p, _ := strconv.Atoi(port)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(p)), timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cs := &migrateSocket{conn: conn, rd: bufio.NewReaderSize(conn, 4096), lastDB: -1}
	cs.mu.Lock()
	mc.mu.Lock()
	if mc.socks[name] != nil {
		// Another MIGRATE connected meanwhile: use the cached one.
		mc.mu.Unlock()
		conn.Close()
		return mc.get(host, port, timeout)
	}
	if len(mc.socks) >= migrateCacheItems {
		for n, victim := range mc.socks { // map order is random enough
			if victim.mu.TryLock() {
				victim.conn.Close()
				delete(mc.socks, n)
				victim.mu.Unlock()
				break
			}
		}
	}
	cs.lastUse = mc.clock()
	mc.socks[name] = cs
	if !mc.reaping {
		mc.reaping = true
		go mc.reap()
	}
	mc.mu.Unlock()
	return cs, nil
}

// drop closes cs and forgets it if it is still the cached connection for host:port.
func (mc *migrateCache) drop(host, port string, cs *migrateSocket) {
	cs.conn.Close()
	mc.mu.Lock()
	defer mc.mu.Unlock()
	name := host + ":" + port
	if mc.socks[name] == cs {
		delete(mc.socks, name)
	}
}

// reap closes connections unused for longer than the TTL, once a second, until none is left.
func (mc *migrateCache) reap() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for range t.C {
		if mc.closeIdle() == 0 {
			return
		}
	}
}

// closeIdle closes the idle connections and returns how many remain cached; when none
// remains the reaper stops (get starts another).
func (mc *migrateCache) closeIdle() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	now := mc.clock()
	for name, cs := range mc.socks {
		if now.Sub(cs.lastUse) <= migrateCacheTTL || !cs.mu.TryLock() {
			continue
		}
		cs.conn.Close()
		delete(mc.socks, name)
		cs.mu.Unlock()
	}
	if len(mc.socks) == 0 {
		mc.reaping = false
	}
	return len(mc.socks)
}

// count is INFO's migrate_cached_sockets.
func (mc *migrateCache) count() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.socks)
}

// closeAll closes every cached connection (shutdown).
func (mc *migrateCache) closeAll() {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	for name, cs := range mc.socks {
		cs.conn.Close()
		delete(mc.socks, name)
	}
}

// caches holds each Server's migrateCache (kept outside Server so the cache stays in this file).
var caches sync.Map // *Server -> *migrateCache

// migrateSockets is the server's MIGRATE connection cache.
func (s *Server) migrateSockets() *migrateCache {
	if mc, ok := caches.Load(s); ok {
		return mc.(*migrateCache)
	}
	mc, _ := caches.LoadOrStore(s, &migrateCache{})
	return mc.(*migrateCache)
}

func (mc *migrateCache) clock() time.Time {
	if mc.now != nil {
		return mc.now()
	}
	return time.Now()
}
