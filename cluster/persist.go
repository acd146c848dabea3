package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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

// saveLocked writes nodes.conf from the state; the caller holds n.mu.
func (n *Node) saveLocked(sync bool) error {
	data := nodesconf.Format(n.st.Export())
	if err := writeConfig(n.opts.ConfigFile, data, sync); err != nil {
		n.log.Warn("Fatal: can't update cluster config file: " + err.Error())
		return err
	}
	return nil
}
