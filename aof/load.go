package aof

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Result summarizes a load.
type Result struct {
	Manifest *Manifest // nil for a single-file AOF
	Files    []string  // files read, in order (names as in the manifest)
	Entries  int       // Entries delivered
	Commands int       // Commands delivered (transactions count their commands)
	// Truncated is non-nil when the last file's tail was dropped; truncate
	// Dir/Truncated.File to Truncated.ValidLen to do what Redis does.
	Truncated *Truncation
	Dir       string // directory holding Files
}

// Read delivers every Entry of one file to fn, in order. It returns the
// Truncation, if a tail was dropped, or the first error (fn's errors are
// returned wrapped in an *Error giving file and offset).
func Read(r io.Reader, name string, opts Options, fn func(Entry) error) (*Truncation, error) {
	_, t, err := readAll(NewReader(r, name, opts), fn)
	return t, err
}

func readAll(rd *Reader, fn func(Entry) error) (counts [2]int, t *Truncation, err error) {
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return counts, rd.Truncation(), nil
		}
		if err != nil {
			return counts, nil, err
		}
		if err := fn(e); err != nil {
			return counts, nil, &Error{File: e.File, Offset: e.Offset, Detail: "applying entry", Err: err}
		}
		counts[0]++
		counts[1] += len(e.Cmds)
	}
}

// LoadFile loads a single-file AOF (plain RESP, or RDB preamble + RESP).
func LoadFile(path string, opts Options, fn func(Entry) error) (*Result, error) {
	res := &Result{Dir: filepath.Dir(path)}
	name := filepath.Base(path)
	if err := loadOne(res, name, opts, "RDB preamble of the AOF file", true, fn); err != nil {
		return res, err
	}
	return res, nil
}

// LoadDir loads a Redis 7 multi-part AOF directory (appenddirname): its
// manifest Options.FileName+".manifest", then the base file and the incr
// files in manifest order; history files are never read. Every listed file
// must exist (checked before anything is delivered). A truncated file is
// tolerated only if it is the last one loaded. A manifest listing no base and
// no incr loads nothing.
func LoadDir(dir string, opts Options, fn func(Entry) error) (*Result, error) {
	mname := ManifestName(opts.fileName())
	f, err := os.Open(filepath.Join(dir, mname))
	if err != nil {
		return nil, &Error{Kind: ErrManifest, File: mname, Offset: -1, Detail: "can't open the AOF manifest file", Err: err}
	}
	m, err := ParseManifest(f)
	f.Close()
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = mname
		}
		return nil, err
	}
	return loadManifest(dir, m, opts, fn)
}

func loadManifest(dir string, m *Manifest, opts Options, fn func(Entry) error) (*Result, error) {
	res := &Result{Manifest: m, Dir: dir}
	files := m.Files()
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			return res, &Error{File: f.Name, Offset: -1, Detail: "the AOF file listed in the manifest can't be opened", Err: err}
		}
	}
	for i, f := range files {
		what := "RDB base file"
		if f.Name == opts.fileName() {
			what = "RDB preamble of the AOF file" // an upgraded pre-7.0 AOF
		}
		if err := loadOne(res, f.Name, opts, what, i == len(files)-1, fn); err != nil {
			return res, err
		}
	}
	return res, nil
}

func loadOne(res *Result, name string, opts Options, rdbWhat string, last bool, fn func(Entry) error) error {
	f, err := os.Open(filepath.Join(res.Dir, name))
	if err != nil {
		return &Error{File: name, Offset: -1, Detail: "can't open the append log file", Err: err}
	}
	defer f.Close()
	rd := NewReader(f, name, opts)
	rd.rdbWhat = rdbWhat
	counts, t, err := readAll(rd, fn)
	res.Files = append(res.Files, name)
	res.Entries += counts[0]
	res.Commands += counts[1]
	if err != nil {
		return err
	}
	if t != nil {
		if !last {
			return &Error{Kind: ErrTruncatedNotLast, File: name, Offset: t.Size, Detail: t.String()}
		}
		res.Truncated = t
	}
	return nil
}

// Load finds and loads the AOF of a Redis data directory (dir) the way
// Redis 7.0 does with appendonly yes: the multi-part directory
// <dir>/<DirName> through its manifest, or a pre-7.0 single file
// <dir>/<FileName> when there is no directory, no manifest, a manifest
// listing nothing, or an interrupted upgrade (a manifest whose only entry is
// a base named FileName that is not in the directory yet). Unlike Redis it
// moves nothing. It returns an error wrapping fs.ErrNotExist when there is no
// AOF at all.
func Load(dir string, opts Options, fn func(Entry) error) (*Result, error) {
	adir := filepath.Join(dir, opts.dirName())
	single := filepath.Join(dir, opts.fileName())
	singleExists := fileExists(single)

	var m *Manifest
	mpath := filepath.Join(adir, ManifestName(opts.fileName()))
	if fileExists(mpath) {
		f, err := os.Open(mpath)
		if err != nil {
			return nil, &Error{Kind: ErrManifest, File: ManifestName(opts.fileName()), Offset: -1, Detail: "can't open the AOF manifest file", Err: err}
		}
		m, err = ParseManifest(f)
		f.Close()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.File = ManifestName(opts.fileName())
			}
			return nil, err
		}
	}
	if singleExists {
		upgrade := m == nil || (m.Base == nil && len(m.Incr) == 0) ||
			(m.Base != nil && len(m.Incr) == 0 && m.Base.Name == opts.fileName() &&
				!fileExists(filepath.Join(adir, opts.fileName())))
		if upgrade {
			return LoadFile(single, opts, fn)
		}
	}
	if m == nil {
		return nil, fmt.Errorf("aof: no %s in %s and no %s: %w", ManifestName(opts.fileName()), adir, single, fs.ErrNotExist)
	}
	return loadManifest(adir, m, opts, fn)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
