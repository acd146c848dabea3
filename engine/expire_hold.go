package engine

// Holding expiry: while clients are paused (CLIENT PAUSE, a manual failover's pause), Redis
// keeps the dataset static: active expiry does not run and a read that finds a key expired
// reports it absent without deleting it (expireIfNeeded and activeExpireCycle check
// checkClientPauseTimeoutAndReturnIfPaused). The deletions, and their propagation, happen
// once the pause ends, or the new master sends them after a failover.

// SetExpiryHold installs held, asked before every expiry deletion outside a write
// transaction (active expiry, lazy expiry of a read): while it reports true nothing expires.
// held must be quick and must not call the engine.
func (e *Engine) SetExpiryHold(held func() bool) { e.expiryHeld.Store(&held) }

func (e *Engine) expiryHolds() bool {
	h := e.expiryHeld.Load()
	return h != nil && (*h)()
}
