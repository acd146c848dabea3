package state

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/cluster/bus"
)

// CmdError is a command error with Redis's exact text, "ERR ..." included: the reply is
// "-" + Error() + "\r\n".
type CmdError struct{ Msg string }

func (e *CmdError) Error() string { return e.Msg }

func errf(format string, args ...any) error { return &CmdError{fmt.Sprintf(format, args...)} }

func arityErr(sub string) error {
	return errf("ERR wrong number of arguments for 'cluster|%s' command", sub)
}

var errSyntax = &CmdError{"ERR syntax error"}

// parseLL is Redis's string2ll: an optional '-', then digits with no leading zero.
func parseLL(s string) (int64, bool) {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(s) > 20 || (d[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func parseSlot(s string) (int, error) {
	v, ok := parseLL(s)
	if !ok || v < 0 || v >= bus.SlotCount {
		return 0, errf("ERR Invalid or out of range slot")
	}
	return int(v), nil
}

// MyID is CLUSTER MYID.
func (s *State) MyID() string { return s.myself.id }

// Meet is CLUSTER MEET ip port [cport]: start a handshake (a node with a random name and
// the MEET flag; the next Tick connects to it).
func (s *State) Meet(now int64, args []string) (Output, error) {
	s.begin()
	if len(args) != 2 && len(args) != 3 {
		return s.finish(now), arityErr("meet")
	}
	port, ok := parseLL(args[1])
	if !ok {
		return s.finish(now), errf("ERR Invalid TCP base port specified: %s", args[1])
	}
	cport := port + 10000
	if len(args) == 3 {
		if cport, ok = parseLL(args[2]); !ok {
			return s.finish(now), errf("ERR Invalid TCP bus port specified: %s", args[2])
		}
	}
	addr, err := netip.ParseAddr(args[0])
	if err != nil || addr.Zone() != "" || port <= 0 || port > 65535 || cport <= 0 || cport > 65535 {
		return s.finish(now), errf("ERR Invalid node address specified: %s:%s", args[0], args[1])
	}
	ip := addr.String()
	for _, n := range s.order {
		if n.inHandshake() && strings.EqualFold(n.ip, ip) && n.port == int(port) && n.cport == int(cport) {
			return s.finish(now), nil // already in progress: still OK
		}
	}
	n := s.createNode(s.randomName(), bus.FlagHandshake|bus.FlagMeet, now)
	n.ip, n.port, n.cport = ip, int(port), int(cport)
	s.addNode(n)
	return s.finish(now), nil
}

// checkSlots is checkSlotAssignmentsOrReply.
func (s *State) checkSlots(seen []bool, del bool, start, end int) error {
	for j := start; j <= end; j++ {
		if del && s.slots[j] == nil {
			return errf("ERR Slot %d is already unassigned", j)
		} else if !del && s.slots[j] != nil {
			return errf("ERR Slot %d is already busy", j)
		}
		if seen[j] {
			return errf("ERR Slot %d specified multiple times", j)
		}
		seen[j] = true
	}
	return nil
}

func (s *State) applySlots(seen []bool, del bool) {
	for j, on := range seen {
		if !on {
			continue
		}
		s.importing[j] = nil // now really mine (or nobody's)
		if del {
			s.delSlot(j)
		} else {
			s.addSlot(s.myself, j)
		}
	}
	s.todoUpdateState = true
	s.saveConfig(false)
}

func (s *State) slotsCmd(now int64, args []string, del bool) (Output, error) {
	s.begin()
	if len(args) == 0 {
		return s.finish(now), arityErr(map[bool]string{false: "addslots", true: "delslots"}[del])
	}
	slots := make([]int, len(args))
	for i, a := range args {
		j, err := parseSlot(a)
		if err != nil {
			return s.finish(now), err
		}
		slots[i] = j
	}
	seen := make([]bool, bus.SlotCount)
	for _, j := range slots {
		if err := s.checkSlots(seen, del, j, j); err != nil {
			return s.finish(now), err
		}
	}
	s.applySlots(seen, del)
	return s.finish(now), nil
}

func (s *State) slotsRangeCmd(now int64, args []string, del bool) (Output, error) {
	s.begin()
	if len(args) < 2 || len(args)%2 != 0 {
		return s.finish(now), arityErr(map[bool]string{false: "addslotsrange", true: "delslotsrange"}[del])
	}
	seen := make([]bool, bus.SlotCount)
	for i := 0; i < len(args); i += 2 {
		start, err := parseSlot(args[i])
		if err != nil {
			return s.finish(now), err
		}
		end, err := parseSlot(args[i+1])
		if err != nil {
			return s.finish(now), err
		}
		if start > end {
			return s.finish(now), errf("ERR start slot number %d is greater than end slot number %d", start, end)
		}
		if err := s.checkSlots(seen, del, start, end); err != nil {
			return s.finish(now), err
		}
	}
	s.applySlots(seen, del)
	return s.finish(now), nil
}

// AddSlots is CLUSTER ADDSLOTS slot...; args are the slot arguments as sent.
func (s *State) AddSlots(now int64, args []string) (Output, error) {
	return s.slotsCmd(now, args, false)
}

// DelSlots is CLUSTER DELSLOTS slot....
func (s *State) DelSlots(now int64, args []string) (Output, error) {
	return s.slotsCmd(now, args, true)
}

// AddSlotsRange is CLUSTER ADDSLOTSRANGE start end [start end ...].
func (s *State) AddSlotsRange(now int64, args []string) (Output, error) {
	return s.slotsRangeCmd(now, args, false)
}

// DelSlotsRange is CLUSTER DELSLOTSRANGE start end [start end ...].
func (s *State) DelSlotsRange(now int64, args []string) (Output, error) {
	return s.slotsRangeCmd(now, args, true)
}

// FlushSlots is CLUSTER FLUSHSLOTS.
func (s *State) FlushSlots(now int64) (Output, error) {
	s.begin()
	if s.hooks.dbSize() != 0 {
		return s.finish(now), errf("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
	}
	s.delNodeSlots(s.myself)
	s.todoUpdateState = true
	s.saveConfig(false)
	return s.finish(now), nil
}

// SetSlot is CLUSTER SETSLOT slot IMPORTING id | MIGRATING id | STABLE | NODE id; args
// start at the slot.
func (s *State) SetSlot(now int64, args []string) (Output, error) {
	s.begin()
	out := func(err error) (Output, error) { return s.finish(now), err }
	if len(args) < 2 {
		return out(arityErr("setslot"))
	}
	me := s.myself
	if me.isReplica() {
		return out(errf("ERR Please use SETSLOT only with masters."))
	}
	slot, err := parseSlot(args[0])
	if err != nil {
		return out(err)
	}
	action := strings.ToLower(args[1])
	switch {
	case action == "migrating" && len(args) == 3:
		if s.slots[slot] != me {
			return out(errf("ERR I'm not the owner of hash slot %d", slot))
		}
		n := s.lookup(args[2])
		if n == nil {
			return out(errf("ERR I don't know about node %s", args[2]))
		}
		if n.isReplica() {
			return out(errf("ERR Target node is not a master"))
		}
		s.migrating[slot] = n
	case action == "importing" && len(args) == 3:
		if s.slots[slot] == me {
			return out(errf("ERR I'm already the owner of hash slot %d", slot))
		}
		n := s.lookup(args[2])
		if n == nil {
			return out(errf("ERR I don't know about node %s", args[2]))
		}
		if n.isReplica() {
			return out(errf("ERR Target node is not a master"))
		}
		s.importing[slot] = n
	case action == "stable" && len(args) == 2:
		s.importing[slot] = nil
		s.migrating[slot] = nil
	case action == "node" && len(args) == 3:
		n := s.lookup(args[2])
		if n == nil {
			return out(errf("ERR Unknown node %s", args[2]))
		}
		if n.isReplica() {
			return out(errf("ERR Target node is not a master"))
		}
		if s.slots[slot] == me && n != me && s.hooks.keysInSlot(slot) != 0 {
			return out(errf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", slot))
		}
		if s.hooks.keysInSlot(slot) == 0 && s.migrating[slot] != nil {
			s.migrating[slot] = nil
		}
		wasMine := s.slots[slot] == me
		s.delSlot(slot)
		s.addSlot(n, slot)
		if wasMine && n != me && me.numSlots == 0 && s.cfg.AllowReplicaMigration {
			s.logf(Notice, "Configuration change detected. Reconfiguring myself as a replica of %.40s", n.id)
			s.setMaster(n)
			s.saveConfig(true)
			s.todoUpdateState = true
		}
		if n == me && s.importing[slot] != nil {
			// A manual migration closed: a new epoch lets the change win everywhere.
			if s.bumpEpochWithoutConsensus() {
				s.logf(Notice, "configEpoch updated after importing slot %d", slot)
			}
			s.importing[slot] = nil
			s.broadcastPong(broadcastAll, now)
		}
	default:
		return out(errf("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"))
	}
	s.saveConfig(false)
	s.todoUpdateState = true
	return out(nil)
}

// BumpEpoch is CLUSTER BUMPEPOCH; the reply is the status string "BUMPED n" or "STILL n".
func (s *State) BumpEpoch(now int64) (string, Output) {
	s.begin()
	word := "STILL"
	if s.bumpEpochWithoutConsensus() {
		word = "BUMPED"
	}
	return fmt.Sprintf("%s %d", word, s.myself.configEpoch), s.finish(now)
}

// SetConfigEpoch is CLUSTER SET-CONFIG-EPOCH epoch.
func (s *State) SetConfigEpoch(now int64, arg string) (Output, error) {
	s.begin()
	epoch, ok := parseLL(arg)
	switch {
	case !ok:
		return s.finish(now), errf("ERR value is not an integer or out of range")
	case epoch < 0:
		return s.finish(now), errf("ERR Invalid config epoch specified: %d", epoch)
	case len(s.order) > 1:
		return s.finish(now), errf("ERR The user can assign a config epoch only when the node does not know any other node.")
	case s.myself.configEpoch != 0:
		return s.finish(now), errf("ERR Node config epoch is already non-zero")
	}
	s.myself.configEpoch = uint64(epoch)
	s.logf(Notice, "configEpoch set to %d via CLUSTER SET-CONFIG-EPOCH", epoch)
	s.currentEpoch = max(s.currentEpoch, uint64(epoch))
	s.todoUpdateState = true
	s.saveConfig(false)
	return s.finish(now), nil
}

// Forget is CLUSTER FORGET id: drop the node and refuse it from gossip for 60 s.
func (s *State) Forget(now int64, id string) (Output, error) {
	s.begin()
	n := s.lookup(id)
	switch {
	case n == nil:
		return s.finish(now), errf("ERR Unknown node %s", id)
	case n == s.myself:
		return s.finish(now), errf("ERR I tried hard but I can't forget myself...")
	case s.myself.isReplica() && s.myself.master == n:
		return s.finish(now), errf("ERR Can't forget my master!")
	}
	s.blacklisted("", now) // drop expired entries
	s.blacklist[n.id] = now + blacklistTTL
	s.delNode(n, now)
	s.todoUpdateState = true
	s.saveConfig(false)
	return s.finish(now), nil
}

// Replicate is CLUSTER REPLICATE id.
func (s *State) Replicate(now int64, id string) (Output, error) {
	s.begin()
	n := s.lookup(id)
	me := s.myself
	switch {
	case n == nil:
		return s.finish(now), errf("ERR Unknown node %s", id)
	case n == me:
		return s.finish(now), errf("ERR Can't replicate myself")
	case n.isReplica():
		return s.finish(now), errf("ERR I can only replicate a master, not a replica.")
	case me.isMaster() && (me.numSlots != 0 || s.hooks.dbSize() != 0):
		return s.finish(now), errf("ERR To set a master the node must be empty and without assigned slots.")
	}
	s.setMaster(n)
	s.todoUpdateState = true
	s.saveConfig(false)
	return s.finish(now), nil
}

// CountFailureReports is CLUSTER COUNT-FAILURE-REPORTS id.
func (s *State) CountFailureReports(now int64, id string) (int, error) {
	n := s.lookup(id)
	if n == nil {
		return 0, errf("ERR Unknown node %s", id)
	}
	return n.failureReportCount(now, s.cfg.NodeTimeout), nil
}

// Failover is CLUSTER FAILOVER [FORCE|TAKEOVER]; opt is "" or the option as sent.
func (s *State) Failover(now int64, opt string) (Output, error) {
	s.begin()
	force, takeover := false, false
	switch strings.ToLower(opt) {
	case "":
	case "force":
		force = true
	case "takeover":
		force, takeover = true, true
	default:
		return s.finish(now), errSyntax
	}
	me := s.myself
	switch {
	case me.isMaster():
		return s.finish(now), errf("ERR You should send CLUSTER FAILOVER to a replica")
	case me.master == nil:
		return s.finish(now), errf("ERR I'm a replica but my master is unknown to me")
	case !force && (me.master.failed() || me.master.link == nil):
		return s.finish(now), errf("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
	}
	s.resetManualFailover()
	s.mfEnd = now + mfTimeout
	switch {
	case takeover:
		s.logf(Notice, "Taking over the master (user request).")
		s.bumpEpochWithoutConsensus()
		s.failoverReplaceYourMaster(now)
	case force:
		s.logf(Notice, "Forced failover user request accepted.")
		s.mfCanStart = true
	default:
		s.logf(Warning, "Manual failover user request accepted.")
		s.sendSimple(me.master, bus.TypeMFStart)
	}
	return s.finish(now), nil
}

// Reset is CLUSTER RESET [SOFT|HARD]; opt is "" or the option as sent.
func (s *State) Reset(now int64, opt string) (Output, error) {
	s.begin()
	hard := false
	switch strings.ToLower(opt) {
	case "", "soft":
	case "hard":
		hard = true
	default:
		return s.finish(now), errSyntax
	}
	me := s.myself
	if me.isMaster() && s.hooks.dbSize() != 0 {
		return s.finish(now), errf("ERR CLUSTER RESET can't be called with master nodes containing keys")
	}
	if me.isReplica() {
		s.setNodeAsMaster(me)
		s.out.UnsetMaster = true
		s.out.FlushData = true
	}
	s.closeAllSlots()
	s.resetManualFailover()
	for j := 0; j < bus.SlotCount; j++ {
		s.delSlot(j)
	}
	for _, n := range append([]*node(nil), s.order...) {
		if n != me {
			s.delNode(n, now)
		}
	}
	clear(s.blacklist)
	if hard {
		s.currentEpoch, s.lastVoteEpoch, me.configEpoch = 0, 0, 0
		s.logf(Notice, "configEpoch set to 0 via CLUSTER RESET HARD")
		s.renameNode(me, s.randomName())
		s.logf(Notice, "Node hard reset, now I'm %.40s", me.id)
	}
	s.saveConfig(true)
	s.todoUpdateState = true
	return s.finish(now), nil
}

// Publish propagates PUBLISH (shard false: to every node) or SPUBLISH (shard true: to
// the nodes of my shard).
func (s *State) Publish(now int64, channel, message []byte, shard bool) Output {
	s.begin()
	t := bus.TypePublish
	if shard {
		t = bus.TypePublishShard
	}
	m := &bus.Message{Header: s.header(t), Channel: channel, Payload: message}
	if !shard {
		s.broadcast(m)
	} else {
		for _, n := range s.shardNodes() {
			if n.flags&(bus.FlagMyself|bus.FlagHandshake) == 0 {
				s.send(n.link, m)
			}
		}
	}
	return s.finish(now)
}
