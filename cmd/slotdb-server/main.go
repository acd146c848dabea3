// Command slotdb-server starts a node the way redis-server does:
//
//	slotdb-server [/path/to/redis.conf] [--directive value ...]
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/server"
	"github.com/slotdb/slotdb/server/cmdmeta"
	"github.com/slotdb/slotdb/server/config"
)

// daemonEnv marks the re-executed child of `daemonize yes` (Go cannot fork a running runtime).
const daemonEnv = "SLOTDB_DAEMONIZED"

func main() { os.Exit(run(os.Args[1:])) }

func run(argv []string) int {
	parseArgv, ownAllSlots := takeFlag(argv, ownAllSlotsFlag)
	args := config.ParseArgs(parseArgv)
	if args.Version {
		fmt.Printf("slotdb server v=%s (Redis %s compatible) bits=64 go=%s\n", server.SlotdbVersion, server.Version, runtime.Version())
		return 0
	}
	if args.Help {
		fmt.Fprintln(os.Stderr, "Usage: ./slotdb-server [/path/to/redis.conf] [options] [-]\n       ./slotdb-server - (read config from stdin)\n       ./slotdb-server -v or --version\n       ./slotdb-server -h or --help")
		return 0
	}
	level := new(slog.LevelVar)
	logh := server.NewLogHandler(os.Stdout, level)
	log := slog.New(logh)
	slog.SetDefault(log)

	cfg, err := config.Load(args, config.LoadOptions{
		Stdin:         os.Stdin,
		CommandExists: func(name string) bool { return cmdmeta.Lookup(name) != nil },
	})
	if err != nil {
		var fe *config.FatalError
		if errors.As(err, &fe) {
			fmt.Fprint(os.Stderr, fe.Error())
		} else {
			log.Warn(err.Error())
		}
		return 1
	}
	ap := cfg.Snapshot()
	if ap.Daemonize && os.Getenv(daemonEnv) == "" {
		return daemonize(argv)
	}
	if lv, ok := server.ParseLogLevel(ap.LogLevel); ok {
		level.Set(lv)
	}
	if ap.LogFile != "" {
		f, err := os.OpenFile(ap.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Can't open the log file: %v\n", err)
			return 1
		}
		defer f.Close()
		logh.SetOutput(f)
	} else if ap.Daemonize {
		logh.SetOutput(io.Discard) // Redis logs to /dev/null when daemonized without a logfile
	}
	log.Warn("oO0OoO0OoO0Oo slotdb is starting oO0OoO0OoO0Oo")
	log.Warn(fmt.Sprintf("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started", server.Version, os.Getpid()))
	log.Warn(fmt.Sprintf("slotdb version=%s, go=%s", server.SlotdbVersion, runtime.Version()))
	if cfg.File() == "" {
		log.Warn("Warning: no config file specified, using the default config. In order to specify a config file use ./slotdb-server /path/to/redis.conf")
	}
	log.Warn("Configuration loaded")
	for _, d := range cfg.Ignored() {
		log.Info(fmt.Sprintf("Directive '%s' is accepted but not applied by slotdb", d))
	}
	if ap.Dir != "" {
		if err := os.Chdir(ap.Dir); err != nil {
			log.Warn(fmt.Sprintf("Can't chdir to '%s': %v", ap.Dir, err))
			return 1
		}
	}
	settings := server.NewSettings()
	apply(settings, ap)
	fsync, _ := parseFsync(ap.AppendFsync)
	eng, err := engine.Open(engine.Options{
		Dir:        filepath.Join(".", "slotdb"),
		Databases:  ap.Databases,
		Fsync:      fsync,
		CacheBytes: int64(ap.MaxMemory),
		Logger:     log,
	})
	if err != nil {
		log.Warn("Failed opening the store: " + err.Error())
		return 1
	}
	wire(cfg, settings, eng, level)
	srv := server.New(server.Options{Engine: eng, Config: settings, Logger: log, Log: logh, ConfigFile: cfg.File()})
	wirePubsub(cfg, srv) // pubsub.go
	mode := "standalone"
	var node *cluster.Node
	if ap.ClusterEnabled {
		node, err = startCluster(cfg, ap, eng, log, ownAllSlots, publishToServer(srv))
		if err != nil {
			log.Warn(err.Error())
			eng.Close()
			return 1
		}
		srv.SetCluster(node)
		mode = "cluster"
	}
	if err := loadOnStart(srv, eng, cfg, ap, log); err != nil { // load.go
		log.Warn(err.Error())
		if node != nil {
			node.Close()
		}
		eng.Close()
		return 1
	}
	srv.StartPersistence()
	srv.StartClusterHandoff() // keys loaded into slots other masters own: server/cluster_handoff.go
	log.Info(fmt.Sprintf("Running mode=%s, port=%d.", mode, ap.Port))
	if err := srv.Listen(); err != nil {
		log.Warn(fmt.Sprintf("Failed listening on port %d (tcp), aborting.", ap.Port) + " " + err.Error())
		if node != nil {
			node.Close()
		}
		eng.Close()
		return 1
	}
	if ap.PidFile != "" {
		if err := os.WriteFile(ap.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Warn("Failed to write PID file: " + err.Error())
		}
	}
	log.Warn("Server initialized")
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-sigs
		name := "SIGTERM"
		if sig == syscall.SIGINT {
			name = "SIGINT"
		}
		log.Warn(fmt.Sprintf("Received %s scheduling shutdown...", name))
		srv.Shutdown("User requested shutdown...")
	}()
	srv.Serve()
	return 0
}

// apply copies the configuration into the server's live settings.
func apply(s *server.Settings, ap config.Applied) {
	s.SetPort(ap.Port)
	s.SetBind(ap.Bind)
	s.SetProtectedMode(ap.ProtectedMode)
	s.SetRequirePass(ap.RequirePass)
	s.SetDir(ap.Dir)
	s.SetDatabases(ap.Databases)
	s.SetMaxClients(int(ap.MaxClients))
	s.SetTimeout(int(ap.Timeout))
	s.SetTCPKeepalive(int(ap.TCPKeepAlive))
	s.SetProtoMaxBulk(ap.ProtoMaxBulkLen)
	s.SetQueryBufLimit(ap.ClientQueryBufferLimit)
	s.SetPidFile(ap.PidFile)
	s.SetClusterEnabled(ap.ClusterEnabled)
}

// wire connects CONFIG GET/SET/REWRITE to the config package and re-applies changed values.
func wire(cfg *config.Config, s *server.Settings, eng *engine.Engine, level *slog.LevelVar) {
	s.Get = func(patterns []string) [][2]string {
		nv := cfg.Get(patterns...)
		out := make([][2]string, len(nv))
		for i, p := range nv {
			out[i] = [2]string{p.Name, p.Value}
		}
		return out
	}
	s.Set = func(pairs []string) error { return cfg.Set(pairs...) }
	s.Rewrite = cfg.Rewrite
	s.SetReplicaOf = cfg.SetReplicaOf
	// Hooks run inside CONFIG SET with the config locked: they get the new value, formatted as
	// CONFIG GET prints it, and must not read the config back.
	num := func(set func(int64)) func(string) error {
		return func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				set(n)
			}
			return err
		}
	}
	cfg.OnChange("protected-mode", func(v string) error { s.SetProtectedMode(v == "yes"); return nil })
	cfg.OnChange("requirepass", func(v string) error { s.SetRequirePass(v); return nil })
	cfg.OnChange("pidfile", func(v string) error { s.SetPidFile(v); return nil })
	cfg.OnChange("maxclients", num(func(n int64) { s.SetMaxClients(int(n)) }))
	cfg.OnChange("timeout", num(func(n int64) { s.SetTimeout(int(n)) }))
	cfg.OnChange("tcp-keepalive", num(func(n int64) { s.SetTCPKeepalive(int(n)) }))
	cfg.OnChange("proto-max-bulk-len", num(s.SetProtoMaxBulk))
	cfg.OnChange("client-query-buffer-limit", num(s.SetQueryBufLimit))
	cfg.OnChange("maxmemory", num(eng.SetCacheBytes))
	// Keys' access stamps follow the policy family and the LFU tuning (engine/access.go).
	lfu := func(v string) error { eng.SetAccessPolicy(strings.HasSuffix(v, "-lfu")); return nil }
	cfg.OnChange("maxmemory-policy", lfu)
	cfg.OnChange("lfu-log-factor", num(func(n int64) { eng.SetLFULogFactor(int(n)) }))
	cfg.OnChange("lfu-decay-time", num(func(n int64) { eng.SetLFUDecayTime(int(n)) }))
	policy, _ := cfg.Value("maxmemory-policy")
	_ = lfu(policy)
	eng.SetLFULogFactor(int(cfg.Int("lfu-log-factor")))
	eng.SetLFUDecayTime(int(cfg.Int("lfu-decay-time")))
	cfg.OnChange("slowlog-log-slower-than", num(func(n int64) { s.SetSlowlog(n, s.SlowlogMaxLen()) }))
	cfg.OnChange("slowlog-max-len", num(func(n int64) { s.SetSlowlog(s.SlowlogSlowerThan(), n) }))
	cfg.OnChange("dir", func(v string) error { s.SetDir(v); return os.Chdir(v) })
	cfg.OnChange("appendfsync", func(v string) error {
		f, ok := parseFsync(v)
		if !ok {
			return fmt.Errorf("invalid appendfsync %q", v)
		}
		eng.SetFsync(f)
		return nil
	})
	cfg.OnChange("loglevel", func(v string) error {
		if lv, ok := server.ParseLogLevel(v); ok {
			level.Set(lv)
		}
		return nil
	})
	s.SetSlowlog(cfg.Int("slowlog-log-slower-than"), cfg.Int("slowlog-max-len"))
}

func parseFsync(v string) (engine.Fsync, bool) {
	switch strings.ToLower(v) {
	case "always":
		return engine.FsyncAlways, true
	case "everysec":
		return engine.FsyncEverySec, true
	case "no":
		return engine.FsyncNo, true
	}
	return engine.FsyncEverySec, false
}

// daemonize re-executes the binary detached from the terminal, as fork() would.
func daemonize(argv []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "daemonize:", err)
		return 1
	}
	devnull, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	cmd := exec.Command(exe, argv...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "daemonize:", err)
		return 1
	}
	return 0
}
