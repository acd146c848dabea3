package state

// bumpEpochWithoutConsensus is clusterBumpConfigEpochWithoutConsensus: take a new
// configEpoch unless mine is already the unique maximum. True if it bumped.
func (s *State) bumpEpochWithoutConsensus() bool {
	me := s.myself
	if me.configEpoch == 0 || me.configEpoch != s.maxEpoch() {
		s.currentEpoch++
		me.configEpoch = s.currentEpoch
		s.saveConfig(true)
		s.logf(Notice, "New configEpoch set to %d", me.configEpoch)
		return true
	}
	return false
}

// handleConfigEpochCollision: of two masters with the same configEpoch, the one with the
// smaller id moves to a new epoch, so the greatest id never moves and all end distinct.
func (s *State) handleConfigEpochCollision(sender *node) {
	me := s.myself
	if sender.configEpoch != me.configEpoch || !sender.isMaster() || !me.isMaster() {
		return
	}
	if sender.id <= me.id {
		return
	}
	s.currentEpoch++
	me.configEpoch = s.currentEpoch
	s.saveConfig(true)
	s.logf(Verbose, "WARNING: configEpoch collision with node %.40s. configEpoch set to %d", sender.id, me.configEpoch)
}
