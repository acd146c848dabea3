package server

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/slotdb/slotdb/internal/keyslot"
)

// Shard channels of lost slots (Redis 7.0's removeChannelsInSlot, from clusterDelSlot): when
// this node stops serving a slot (its master role moved the slot to another node, or the
// slot was deleted, or the master this replica follows lost it), every client subscribed to
// a shard channel of that slot is unsubscribed from it and told so with an unsolicited
// sunsubscribe message, one per channel: ["sunsubscribe", channel, shard channels left]
// (a push in RESP3), channels in slot order and by name within a slot, as Redis walks its
// slot-to-channel index.
//
// The cluster layer has no slot-change callback, so a watcher started by the first
// SSUBSCRIBE checks the shard channels' slots every shardWatchInterval: a client learns of
// the loss at most that long after it, where Redis tells it at once.

const shardWatchInterval = 100 * time.Millisecond

var shardWatchers sync.Map // *Server -> struct{}: started

// watchShardSlots starts the watcher once per server (cluster mode only).
func (s *Server) watchShardSlots() {
	if s.cluster == nil {
		return
	}
	if _, started := shardWatchers.LoadOrStore(s, struct{}{}); started {
		return
	}
	go func() {
		t := time.NewTicker(shardWatchInterval)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				shardWatchers.Delete(s)
				return
			case <-t.C:
				s.dropLostShardChannels()
			}
		}
	}()
}

// dropLostShardChannels unsubscribes the clients of shard channels whose slot this node no
// longer serves.
func (s *Server) dropLostShardChannels() {
	ps := &s.ps
	ps.mu.Lock()
	names := make([]string, 0, len(ps.subs[subShard]))
	for n := range ps.subs[subShard] {
		names = append(names, n)
	}
	ps.mu.Unlock()
	if len(names) == 0 {
		return
	}
	// The slot map is read outside ps.mu: the cluster layer delivers bus PUBLISHes with its
	// own lock held, so its lock comes before ps.mu.
	type lostChan struct {
		slot int
		name string
	}
	var lost []lostChan
	served := map[int]bool{}
	for _, n := range names {
		slot := int(keyslot.Of([]byte(n)))
		ok, seen := served[slot]
		if !seen {
			r, _ := s.cluster.Route(slot)
			ok = r.Mine || r.OwnerIsMaster
			served[slot] = ok
		}
		if !ok {
			lost = append(lost, lostChan{slot, n})
		}
	}
	if len(lost) == 0 {
		return
	}
	sort.Slice(lost, func(i, j int) bool {
		if lost[i].slot != lost[j].slot {
			return lost[i].slot < lost[j].slot
		}
		return lost[i].name < lost[j].name
	})
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, l := range lost {
		for c := range ps.subs[subShard][l.name] {
			s.dropLocked(c, subShard, l.name)
			cs := c.subs
			list := cs.names[subShard]
			for i, x := range list {
				if x == l.name {
					cs.names[subShard] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
			c.deliver(sunsubscribeMessage(c.snapshot().proto, l.name, len(cs.names[subShard])))
		}
	}
}

// sunsubscribeMessage is addReplyPubsubUnsubscribed for a shard channel, as a message.
func sunsubscribeMessage(proto int, name string, left int) []byte {
	b := []byte("*3\r\n$12\r\nsunsubscribe\r\n$")
	if proto == 3 {
		b[0] = '>'
	}
	b = strconv.AppendInt(b, int64(len(name)), 10)
	b = append(b, "\r\n"...)
	b = append(b, name...)
	b = append(b, "\r\n:"...)
	b = strconv.AppendInt(b, int64(left), 10)
	return append(b, "\r\n"...)
}
