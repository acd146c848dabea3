package engine

// XCLAIM and XAUTOCLAIM: moving pending entries between consumers.

// ClaimArgs are XCLAIM's options, resolved by the caller.
type ClaimArgs struct {
	MinIdle      int64 // ms; entries idle for less are skipped
	DeliveryTime int64 // the claimed entries' new delivery time
	RetryCount   int64 // < 0: increment the delivery count (unless JustID)
	Force        bool  // create missing PEL entries for existing stream entries
	JustID       bool
	Now          int64
}

// Claim is XCLAIM's loop over ids for consumer name. Pending entries whose stream entry was
// deleted are dropped from the PEL. The consumer is created (or marked seen) on the first
// claim only.
func (s *Stream) Claim(g *StreamGroup, name []byte, ids []StreamID, a ClaimArgs) ([]StreamEntry, error) {
	var c *StreamConsumer
	var out []StreamEntry
	for _, id := range ids {
		nack, err := s.PEL(g, id)
		if err != nil {
			return nil, err
		}
		fv, exists, err := s.Entry(id)
		if err != nil {
			return nil, err
		}
		if !exists {
			if nack != nil {
				if _, err := s.Ack(g, id); err != nil {
					return nil, err
				}
			}
			continue
		}
		var prev *StreamNACK
		if nack == nil {
			if !a.Force {
				continue
			}
			// A fresh NACK (streamCreateNACK: delivery count 1) with no consumer yet.
			nack = &StreamNACK{ID: id, DeliveryCount: 1}
		} else {
			prev = nack
			if a.MinIdle > 0 && a.Now-nack.DeliveryTime < a.MinIdle {
				continue
			}
		}
		if c == nil {
			if c, _, err = s.TouchConsumer(g, name, a.Now); err != nil {
				return nil, err
			}
		}
		n := *nack
		n.DeliveryTime = a.DeliveryTime
		if a.RetryCount >= 0 {
			n.DeliveryCount = a.RetryCount
		} else if !a.JustID {
			n.DeliveryCount++
		}
		if err := s.SetPEL(g, &n, prev, c); err != nil {
			return nil, err
		}
		e := StreamEntry{ID: id}
		if !a.JustID {
			e.Fields = cloneFields(fv)
		}
		out = append(out, e)
	}
	return out, nil
}

// AutoClaim is XAUTOCLAIM: it scans g's PEL from start, at most count*10 entries, claiming
// up to count idle ones for consumer name and dropping those whose entry was deleted. It
// returns the claimed entries, the cursor for the next call (0-0 at the end) and the deleted
// IDs.
func (s *Stream) AutoClaim(g *StreamGroup, name []byte, start StreamID, count, minIdle int64, justID bool, now int64) ([]StreamEntry, StreamID, []StreamID, error) {
	attempts := count * 10
	var nacks []*StreamNACK
	err := s.PELRange(g, nil, start, MaxStreamID, attempts+1, func(n *StreamNACK) error {
		nacks = append(nacks, n)
		return nil
	})
	if err != nil {
		return nil, StreamID{}, nil, err
	}
	var c *StreamConsumer
	var out []StreamEntry
	var deleted []StreamID
	i := 0
	for ; attempts > 0 && count > 0 && i < len(nacks); i++ {
		attempts--
		nack := nacks[i]
		fv, exists, err := s.Entry(nack.ID)
		if err != nil {
			return nil, StreamID{}, nil, err
		}
		if !exists {
			if _, err := s.Ack(g, nack.ID); err != nil {
				return nil, StreamID{}, nil, err
			}
			deleted = append(deleted, nack.ID)
			count--
			continue
		}
		if minIdle > 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if c == nil {
			if c, _, err = s.TouchConsumer(g, name, now); err != nil {
				return nil, StreamID{}, nil, err
			}
		}
		n := *nack
		n.DeliveryTime = now
		if !justID {
			n.DeliveryCount++
		}
		if err := s.SetPEL(g, &n, nack, c); err != nil {
			return nil, StreamID{}, nil, err
		}
		e := StreamEntry{ID: nack.ID}
		if !justID {
			e.Fields = cloneFields(fv)
		}
		out = append(out, e)
		count--
	}
	var next StreamID
	if i < len(nacks) {
		next = nacks[i].ID
	}
	return out, next, deleted, nil
}
