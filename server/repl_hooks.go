package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
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
		s.log.Info("Connection with master lost.")
		s.log.Info("Caching the disconnected master state.")
		s.log.Info(fmt.Sprintf("Reconnecting to MASTER %s:%d", l.host, l.port))
	case errors.Is(err, syscall.ECONNREFUSED):
		s.log.Warn("Error condition on socket for SYNC: Connection refused")
	default:
		s.log.Warn("Replication with MASTER " + net.JoinHostPort(l.host, strconv.Itoa(l.port)) + ": " + err.Error())
	}
}
