package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/slotdb/slotdb/engine"
)

// masterLostError ends a stream whose connection to the master broke.
type masterLostError struct{ err error }

func (e masterLostError) Error() string { return "Connection with master lost: " + e.err.Error() }
func (e masterLostError) Unwrap() error { return e.err }

// logLinkError logs why the link to the master ended, with Redis's lines where Redis has
// them (operators grep "Connection with master lost."): freeClient of the master,
// replicationCacheMaster, replicationHandleMasterDisconnection.
func (l *masterLink) logLinkError(err error) {
	s := l.r.s
	var lost masterLostError
	switch {
	case errors.As(err, &lost):
		s.log.Warn("Connection with master lost.")
		s.log.Info("Caching the disconnected master state.")
		s.log.Info(fmt.Sprintf("Reconnecting to MASTER %s:%d", l.host, l.port))
	case errors.Is(err, syscall.ECONNREFUSED):
		s.log.Warn("Error condition on socket for SYNC: Connection refused")
	default:
		s.log.Warn("Replication with MASTER " + net.JoinHostPort(l.host, strconv.Itoa(l.port)) + ": " + err.Error())
	}
}

// logRDBLoaded logs what rdbLoad prints about a full sync's RDB: its version, age, the
// master's memory then, and the keys loaded.
func (s *Server) logRDBLoaded(res *engine.RDBResult) {
	for _, a := range res.Aux {
		switch string(a.Key) {
		case "redis-ver":
			s.log.Info("Loading RDB produced by version " + string(a.Value))
		case "ctime":
			if t, err := strconv.ParseInt(string(a.Value), 10, 64); err == nil {
				s.log.Info(fmt.Sprintf("RDB age %d seconds", time.Now().Unix()-t))
			}
		case "used-mem":
			if n, err := strconv.ParseInt(string(a.Value), 10, 64); err == nil {
				s.log.Info(fmt.Sprintf("RDB memory usage when created %.2f Mb", float64(n)/(1024*1024)))
			}
		}
	}
	if res.Empty > 0 {
		s.log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", res.Keys, res.Expired, res.Empty))
		return
	}
	s.log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired))
}
