// Package server speaks RESP to clients: connections, the command table, dispatch, replies and
// Redis's error texts. It reaches the data only through the engine.
package server

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/engine"
)

// Version is the Redis version slotdb answers as (INFO, HELLO): clients and redis-cli gate
// features on it.
const Version = "7.0.15"

// SlotdbVersion is slotdb's own version.
const SlotdbVersion = "0.1.0"

// Options are the settings the server reads at start; the live values are in Config.
type Options struct {
	Engine *engine.Engine
	Config *Settings
	Logger *slog.Logger
	Log    *LogHandler
	// ConfigFile is the absolute path of the config file, "" when started without one.
	ConfigFile string
}

// Server is a running node.
type Server struct {
	eng  *engine.Engine
	cfg  *Settings
	log  *slog.Logger
	logh *LogHandler

	listeners []net.Listener
	runID     string
	started   time.Time

	mu       sync.Mutex
	clients  map[int64]*Client
	nextID   atomic.Int64
	monitors atomic.Pointer[[]*Client]

	stats    serverStats
	slowlog  *slowLog
	lastSave atomic.Int64 // unix seconds

	shutdownOnce sync.Once
	done         chan struct{}
	wg           sync.WaitGroup
	commands     map[string]*command
	intro        introspection // INFO, CLIENT and pause state: cmd_info.go, cmd_client.go
	cluster      *cluster.Node // nil unless cluster-enabled: route.go, cmd_cluster.go
	blk          blocking      // clients blocked on keys: blocking.go
	world        sync.RWMutex  // shared by commands, exclusive for EXEC and scripts: atomic.go
	watch        watchRegistry // WATCHed keys: cmd_multi.go
	ps           pubsubState   // channels, patterns, shard channels: pubsub.go
	repl         *replState    // propagation stream, replicas, master link: repl.go
	scr          scripting     // EVAL scripts, functions, the running script: cmd_script.go
	wgate        writeGate     // writes in flight, for a manual failover's pause: pause.go
}

type serverStats struct {
	connectionsReceived atomic.Int64
	commandsProcessed   atomic.Int64
	rejectedConns       atomic.Int64
	netInput, netOutput atomic.Int64
	protoErrors         atomic.Int64
}

// New prepares a server; Serve starts it.
func New(o Options) *Server {
	s := &Server{
		eng:     o.Engine,
		cfg:     o.Config,
		log:     o.Logger,
		logh:    o.Log,
		clients: make(map[int64]*Client),
		done:    make(chan struct{}),
		runID:   randomHex(40),
		started: time.Now(),
		slowlog: newSlowLog(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.lastSave.Store(time.Now().Unix())
	s.commands = buildCommandTable()
	s.intro.init(o)
	s.initPubsubLimits()
	if s.eng != nil {
		s.eng.SetWriteHook(s.keyWritten)
	}
	s.repl = newReplState(s)
	s.initReplication() // repl.go
	return s
}

// keyWritten is the engine's write hook, called after each commit once per changed key with
// the key's lock held: it only records (blocked clients: blocking.go).
func (s *Server) keyWritten(db int, key []byte) {
	s.blk.signal(db, key)
	s.watch.touch(db, key) // WATCH: cmd_multi.go
}

// Listen binds every address of the bind directive on the port.
func (s *Server) Listen() error {
	port := strconv.Itoa(s.cfg.Port())
	for _, addr := range s.cfg.Bind() {
		optional := false
		if len(addr) > 0 && addr[0] == '-' { // "-::*": skip if unavailable, as Redis does
			optional, addr = true, addr[1:]
		}
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		network := "tcp4"
		if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
			network = "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(addr, port))
		if err != nil {
			if optional {
				continue
			}
			s.closeListeners()
			return err
		}
		s.listeners = append(s.listeners, ln)
	}
	if len(s.listeners) == 0 {
		return errors.New("no address to listen on")
	}
	return nil
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Serve accepts clients until Shutdown.
func (s *Server) Serve() {
	s.logh.SetRoleFunc(s.logRole) // M or S as the role changes: repl_cluster.go
	s.log.Info("Ready to accept connections")
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	s.wg.Add(1)
	go s.cron()
	<-s.done
}

// Done is closed when the server has shut down.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("Accepting client connection: " + err.Error())
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.stats.connectionsReceived.Add(1)
		go s.serveConn(conn)
	}
}

// cron does the periodic work Redis's serverCron does for clients: idle timeouts.
func (s *Server) cron() {
	defer s.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.closeIdleClients()
			s.sampleStats()
			s.repl.cron()
		}
	}
}

func (s *Server) closeIdleClients() {
	timeout := s.cfg.Timeout()
	if timeout <= 0 {
		return
	}
	now := time.Now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if c.idleExempt() {
			continue
		}
		if now-c.lastInteraction.Load() > int64(timeout)*1000 {
			s.log.Log(nil, LevelVerbose, "Closing idle client")
			c.close()
		}
	}
}

// Shutdown stops accepting, closes clients, flushes and closes the engine.
func (s *Server) Shutdown(reason string) {
	s.shutdownOnce.Do(func() {
		s.log.Warn(reason)
		s.closeListeners()
		s.mu.Lock()
		for _, c := range s.clients {
			c.close()
		}
		s.mu.Unlock()
		s.repl.shutdown() // stop applying, keep the replication id and offset
		if s.cluster != nil {
			s.cluster.Close() // before the store: the cluster may still touch it
		}
		if err := s.eng.Close(); err != nil {
			s.log.Warn("Error closing the store: " + err.Error())
		}
		if pf := s.cfg.PidFile(); pf != "" {
			os.Remove(pf)
		}
		s.log.Warn("slotdb is now ready to exit, bye bye...")
		close(s.done)
	})
}
