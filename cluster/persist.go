package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/slotdb/slotdb/cluster/nodesconf"
)

// loadConfig reads nodes.conf; nil, nil means there is none yet (missing or empty file,
// which Redis treats alike).
func loadConfig(path string) (*nodesconf.Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("Loading the cluster node config from %s: %v", path, err)
	}
	c, err := nodesconf.Parse(data)
	if errors.Is(err, nodesconf.ErrEmpty) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("Unrecoverable error: corrupted cluster config file %q: %v", path, err)
	}
	return c, nil
}

// writeConfig replaces path atomically: a temp file in the same directory, written and
// fsynced, renamed over path, then the directory fsynced so the rename survives a crash.
func writeConfig(path string, data []byte, sync bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "temp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if sync {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// nodes.conf saves are coalesced as Redis coalesces them in beforeSleep
// (CLUSTER_TODO_SAVE_CONFIG / FSYNC_CONFIG): an Output that changes what the file holds only
// bumps the wanted generation; one saver goroutine writes the latest state, so a burst of
// changes (a reshard's SETSLOTs, the gossip that follows) costs one write. What Redis does
// after the save waits for it: bus messages queued after a change are written only once a
// save covering it is done (links.go), and CLUSTER commands reply once their change is
// saved (Do), several commands sharing one save.

// saves is the coalescing state. want is written under n.mu; the others under mu.
type saves struct {
	want      uint64 // generation the state is at (bumped by every change to save)
	wantFsync bool   // a change since the last save asked for fsync (under n.mu)

	mu      sync.Mutex
	done    uint64        // generation the file holds (or failed to: saves never block forever)
	written uint64        // generation of the last file written, to never go back to an older one
	notify  chan struct{} // closed and replaced when done advances
	file    sync.Mutex    // one writer of the file at a time
	kick    chan struct{} // cap 1: the saver has work
	writes  atomic.Int64  // files written, for tests and INFO-style counting
}

func (sv *saves) init() {
	sv.notify = make(chan struct{})
	sv.kick = make(chan struct{}, 1)
}

// markLocked records a change to save; the caller holds n.mu. It returns the generation to
// wait for.
func (n *Node) markLocked(fsync bool) uint64 {
	n.sv.want++
	if fsync {
		n.sv.wantFsync = true
	}
	select {
	case n.sv.kick <- struct{}{}:
	default:
	}
	return n.sv.want
}

// saved reports whether generation gen is saved, and a channel closed when that may change.
func (n *Node) saved(gen uint64) (bool, <-chan struct{}) {
	n.sv.mu.Lock()
	defer n.sv.mu.Unlock()
	return n.sv.done >= gen, n.sv.notify
}

// waitSaved blocks until generation gen is saved or the node closes.
func (n *Node) waitSaved(gen uint64) {
	for {
		ok, ch := n.saved(gen)
		if ok {
			return
		}
		select {
		case <-ch:
		case <-n.done:
			return
		}
	}
}

// finishSave marks gen saved and wakes the waiters.
func (n *Node) finishSave(gen uint64) {
	n.sv.mu.Lock()
	if gen > n.sv.done {
		n.sv.done = gen
		close(n.sv.notify)
		n.sv.notify = make(chan struct{})
	}
	n.sv.mu.Unlock()
}

// saver writes nodes.conf whenever a change is pending, until the node closes (Close
// writes the last state itself).
func (n *Node) saver() {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case <-n.sv.kick:
		}
		n.mu.Lock()
		gen, fsync := n.sv.want, n.sv.wantFsync
		n.sv.wantFsync = false
		var data []byte
		if ok, _ := n.saved(gen); !ok {
			data = nodesconf.Format(n.st.Export())
		}
		n.mu.Unlock()
		if data != nil {
			n.writeGen(gen, data, fsync)
		}
	}
}

// writeGen writes data, the state at generation gen, unless a newer one is already there.
func (n *Node) writeGen(gen uint64, data []byte, sync bool) error {
	n.sv.file.Lock()
	var err error
	if gen >= n.sv.written || gen == 0 {
		if err = writeConfig(n.opts.ConfigFile, data, sync); err != nil {
			n.log.Warn("Fatal: can't update cluster config file: " + err.Error())
		} else {
			n.sv.written = gen
			n.sv.writes.Add(1)
		}
	}
	n.sv.file.Unlock()
	n.finishSave(gen)
	return err
}

// saveLocked writes nodes.conf from the state now; the caller holds n.mu.
func (n *Node) saveLocked(sync bool) error {
	if n.sv.wantFsync {
		sync = true
	}
	n.sv.wantFsync = false
	return n.writeGen(n.sv.want, nodesconf.Format(n.st.Export()), sync)
}
