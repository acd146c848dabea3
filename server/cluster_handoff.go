package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/sds"
	"github.com/slotdb/slotdb/rdb"
)

// The data side of the cluster hand-off (cluster/handoff.go): keys loaded into slots another
// master owns go to that master as pipelined RESTOREs, the way MIGRATE sends them, and are
// deleted here, with DEL propagated to replicas, only once the owner answered: +OK (restored)
// or BUSYKEY (it has a value of its own, which wins). Any other answer stops the slot; its
// remaining keys wait for the next pass.

const (
	handoffBatchKeys  = 128
	handoffBatchBytes = 4 << 20
	handoffTimeout    = 10 * time.Second
)

// StartClusterHandoff starts handing the keys of slots this node does not serve to their
// owners. Call it once, after the data files are loaded; a node without cluster does nothing.
func (s *Server) StartClusterHandoff() {
	if s.cluster == nil {
		return
	}
	// Redis refuses to start on such data (verifyClusterConfigWithData); here the keys stay
	// where they are, unreachable in cluster mode, and the operator is told.
	for db := 1; db < s.eng.Databases(); db++ {
		if n := s.eng.DBSize(db); n > 0 {
			s.log.Warn(fmt.Sprintf("The data holds %d keys in database %d, which cluster mode does not serve: they are left there", n, db))
		}
	}
	s.cluster.StartHandoff(cluster.HandoffOptions{
		Keys: func(slot int) int64 { return s.eng.CountKeysInSlot(uint16(slot)) },
		Send: s.handoffSlot,
	})
}

// handoffConn is one connection to the owner, closed when ctx ends.
type handoffConn struct {
	nc   net.Conn
	rd   *bufio.Reader
	stop func() bool
}

func (s *Server) dialHandoff(ctx context.Context, t cluster.HandoffTarget) (*handoffConn, error) {
	d := net.Dialer{Timeout: handoffTimeout}
	nc, err := d.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		return nil, err
	}
	hc := &handoffConn{nc: nc, rd: bufio.NewReaderSize(nc, 4096)}
	hc.stop = context.AfterFunc(ctx, func() { nc.Close() })
	// The owner may ask for a password: the one replicas use (masteruser / masterauth).
	if pass := s.configValue("masterauth", ""); pass != "" {
		args := [][]byte{[]byte("AUTH"), []byte(pass)}
		if user := s.configValue("masteruser", ""); user != "" {
			args = [][]byte{[]byte("AUTH"), []byte(user), []byte(pass)}
		}
		lines, err := hc.roundTrip(appendCommand(nil, args...), 1)
		if err == nil && lines[0][0] == '-' {
			err = errors.New("AUTH: " + lines[0][1:])
		}
		if err != nil {
			hc.close()
			return nil, err
		}
	}
	return hc, nil
}

func (hc *handoffConn) close() {
	hc.stop()
	hc.nc.Close()
}

// roundTrip writes buf and reads n reply lines (as many as arrived before an error).
func (hc *handoffConn) roundTrip(buf []byte, n int) ([]string, error) {
	hc.nc.SetDeadline(time.Now().Add(handoffTimeout))
	if _, err := hc.nc.Write(buf); err != nil {
		return nil, err
	}
	lines := make([]string, 0, n)
	for range n {
		l, err := hc.rd.ReadString('\n')
		if err != nil {
			return lines, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			return lines, errors.New("empty reply line")
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// handoffSlot is the cluster.HandoffFunc: every key of slot, batch by batch, to t.
func (s *Server) handoffSlot(ctx context.Context, slot int, t cluster.HandoffTarget) (cluster.HandoffResult, error) {
	var res cluster.HandoffResult
	hc, err := s.dialHandoff(ctx, t)
	if err != nil {
		return res, err
	}
	defer hc.close()
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		keys, err := s.eng.GetKeysInSlot(uint16(slot), handoffBatchKeys)
		if err != nil || len(keys) == 0 {
			return res, err
		}
		var stop error
		sent := 0
		err = s.eng.Update(0, keys, func(tx *engine.Tx) error {
			var buf []byte
			var names [][]byte
			for _, k := range keys {
				m, err := tx.Get(k)
				if err != nil {
					return err
				}
				if m == nil { // expired meanwhile
					continue
				}
				ttl := int64(0)
				if m.ExpireAt != 0 {
					ttl = max(m.ExpireAt-tx.Now(), 1)
				}
				o, err := tx.ReadObject(k, m)
				if err != nil {
					return err
				}
				buf = appendCommand(buf, []byte("RESTORE"), k, strconv.AppendInt(nil, ttl, 10), rdb.EncodeDump(o))
				names = append(names, k)
				if len(buf) >= handoffBatchBytes {
					break
				}
			}
			sent = len(names)
			if sent == 0 {
				return nil
			}
			lines, err := hc.roundTrip(buf, len(names))
			if err != nil {
				stop = fmt.Errorf("%s: %w", t.Addr(), err)
			}
			del := [][]byte{[]byte("DEL")}
			for i, l := range lines {
				switch {
				case l == "+OK":
					res.Restored++
				case strings.HasPrefix(l, "-BUSYKEY"):
					res.Existing++
					s.log.Warn(fmt.Sprintf("Key %s of slot %d already exists on %.40s: keeping its value there, deleting the local one", sds.Repr(string(names[i])), slot, t.ID))
				default:
					if stop == nil {
						stop = fmt.Errorf("%s answered RESTORE of %s: %s", t.Addr(), sds.Repr(string(names[i])), strings.TrimPrefix(l, "-"))
					}
					continue
				}
				if _, err := tx.Delete(names[i]); err != nil {
					return err
				}
				del = append(del, names[i])
			}
			if len(del) > 1 {
				tx.Propagate(del...) // replicas drop what the owner took, as after MIGRATE
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if stop != nil {
			return res, stop
		}
		if sent == 0 {
			return res, nil // only expired keys in this batch: the pass counts again
		}
	}
}
