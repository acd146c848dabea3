package server

import "strings"

// FLUSHALL / FLUSHDB during a native slot migration cancel it, as Valkey does, rather than
// carry the flush: the snapshot being streamed predates the flush, and on the target a
// flush after Promote would delete records the source still counts as moved. The job ends
// "cancelled" with the reason in GETSLOTMIGRATIONS; the source keeps the slots (flushed
// or not, as its clients saw), the target drops what it staged or promoted, and the
// migration can run again. A source already handing over (slots paused, End on its way)
// is not cancelled: a flush then falls after the hand-over for the moving slots, whose
// commands already wait for it.

// migrationsFlushed is called by FLUSHALL and FLUSHDB (with the world held exclusively).
func (s *Server) migrationsFlushed(cmd string) {
	m := s.migrations()
	if m == nil {
		return
	}
	m.mu.Lock()
	jobs := append([]*migJob(nil), m.jobs...)
	m.mu.Unlock()
	cmd = strings.ToUpper(cmd)
	for _, j := range jobs {
		j.mu.Lock()
		switch {
		case j.state == migStateSuccess || j.state == migStateFailed || j.state == migStateCancelled:
		case j.op == "EXPORT" && j.state != migStatePaused:
			j.cancelLocked("cancelled: " + cmd + " ran on the source during the migration")
		case j.op == "IMPORT":
			j.cancelLocked("cancelled: " + cmd + " ran on the target during the migration")
		}
		j.mu.Unlock()
	}
}
