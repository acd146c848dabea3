package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DirWriter writes a Redis 7 multi-part AOF directory that redis-server 7.0
// loads: one base file (RESP or caller-written RDB), one incr file, and the
// manifest. Each file goes through "temp-<name>", fsync and rename; Commit
// fsyncs the directory, then replaces the manifest the same way, fsyncs the
// directory again, and only then removes the files of the previous manifest.
// Until Commit, a previous manifest (and what it lists) stays valid.
//
// Use: NewDirWriter, one of WriteBaseAOF / WriteBaseRDB, optionally
// WriteIncr (an empty incr file is created otherwise, as Redis does), Commit.
type DirWriter struct {
	dir, fileName string
	seq           int64
	old           *Manifest
	base, incr    *ManifestFile
	created       []string
	done          bool
}

// NewDirWriter prepares to write into dir (the appenddirname directory,
// created if missing) with file prefix fileName ("" = "appendonly.aof"). If
// dir already holds a valid manifest, the new files take a sequence number
// above every one it lists; an invalid manifest is an error.
func NewDirWriter(dir, fileName string) (*DirWriter, error) {
	if fileName == "" {
		fileName = "appendonly.aof"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &DirWriter{dir: dir, fileName: fileName, seq: 1}
	f, err := os.Open(filepath.Join(dir, ManifestName(fileName)))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return w, nil
	case err != nil:
		return nil, err
	}
	defer f.Close()
	m, err := ParseManifest(f)
	if err != nil {
		return nil, fmt.Errorf("aof: existing manifest in %s: %w", dir, err)
	}
	w.old = m
	for _, mf := range append(m.Files(), m.History...) {
		w.seq = max(w.seq, mf.Seq+1)
	}
	return w, nil
}

// Seq is the sequence number of the files being written.
func (w *DirWriter) Seq() int64 { return w.seq }

// WriteBaseAOF writes <fileName>.<seq>.base.aof with the commands fn encodes.
func (w *DirWriter) WriteBaseAOF(fn func(e *Encoder) error) error {
	return w.writeBase(false, func(wr io.Writer) error { return encodeWith(wr, fn) })
}

// WriteBaseRDB writes <fileName>.<seq>.base.rdb; fn writes the whole RDB
// file (magic through checksum; Redis marks it with AUX aof-base=1).
func (w *DirWriter) WriteBaseRDB(fn func(w io.Writer) error) error {
	return w.writeBase(true, fn)
}

func (w *DirWriter) writeBase(rdb bool, fn func(io.Writer) error) error {
	if w.done || w.base != nil {
		return errors.New("aof: base file already written")
	}
	name := BaseName(w.fileName, w.seq, rdb)
	if err := w.writeFile(name, fn); err != nil {
		return err
	}
	w.base = &ManifestFile{Name: name, Seq: w.seq, Type: TypeBase}
	return nil
}

// WriteIncr writes <fileName>.<seq>.incr.aof with the commands fn encodes.
// Start with WriteDB (or a SELECT): Redis replays every file from db 0.
func (w *DirWriter) WriteIncr(fn func(e *Encoder) error) error {
	if w.done || w.incr != nil {
		return errors.New("aof: incr file already written")
	}
	name := IncrName(w.fileName, w.seq)
	if err := w.writeFile(name, func(wr io.Writer) error { return encodeWith(wr, fn) }); err != nil {
		return err
	}
	w.incr = &ManifestFile{Name: name, Seq: w.seq, Type: TypeIncr}
	return nil
}

func encodeWith(wr io.Writer, fn func(*Encoder) error) error {
	e := NewEncoder(wr)
	if err := fn(e); err != nil {
		return err
	}
	return e.Flush()
}

// Commit makes the new files current: it writes the manifest (base line,
// then incr line) atomically and durably, then removes the files only the
// previous manifest listed. It returns the manifest written.
func (w *DirWriter) Commit() (*Manifest, error) {
	if w.done {
		return nil, errors.New("aof: already committed or aborted")
	}
	if w.base == nil {
		return nil, errors.New("aof: no base file written")
	}
	if w.incr == nil {
		if err := w.WriteIncr(func(*Encoder) error { return nil }); err != nil {
			return nil, err
		}
	}
	// The data files' renames must be durable before the manifest's.
	if err := syncDir(w.dir); err != nil {
		return nil, err
	}
	m := &Manifest{Base: w.base, Incr: []ManifestFile{*w.incr}}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("aof: manifest Redis would refuse: %w", err)
	}
	if err := w.writeFile(ManifestName(w.fileName), func(wr io.Writer) error {
		_, err := wr.Write(m.Bytes())
		return err
	}); err != nil {
		return nil, err
	}
	if err := syncDir(w.dir); err != nil {
		return nil, err
	}
	w.done = true
	if w.old != nil {
		keep := map[string]bool{w.base.Name: true, w.incr.Name: true, ManifestName(w.fileName): true}
		for _, f := range append(w.old.Files(), w.old.History...) {
			if !keep[f.Name] {
				if err := os.Remove(filepath.Join(w.dir, f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
					return m, err
				}
			}
		}
	}
	return m, nil
}

// Abort removes the files written so far (not the previous manifest's).
func (w *DirWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	var first error
	for _, name := range w.created {
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// writeFile writes name atomically: temp file, fsync, rename.
func (w *DirWriter) writeFile(name string, fn func(io.Writer) error) (err error) {
	final := filepath.Join(w.dir, name)
	tmp := filepath.Join(w.dir, "temp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, final); err != nil {
		return err
	}
	if name != ManifestName(w.fileName) {
		w.created = append(w.created, name)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
