package aof

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/internal/sds"
)

// FileType is the manifest "type" of a file.
type FileType byte

// Manifest file types.
const (
	TypeBase    FileType = 'b'
	TypeHistory FileType = 'h'
	TypeIncr    FileType = 'i'
)

// ManifestFile is one manifest line.
type ManifestFile struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest is a multi-part AOF manifest as Redis holds it: at most one base,
// history files (never loaded), incr files in load order.
type Manifest struct {
	Base    *ManifestFile
	History []ManifestFile
	Incr    []ManifestFile
}

// Load-order helpers and Redis's naming rules.

// Files returns the files to load, in order: base (if any), then every incr.
func (m *Manifest) Files() []ManifestFile {
	var fs []ManifestFile
	if m.Base != nil {
		fs = append(fs, *m.Base)
	}
	return append(fs, m.Incr...)
}

// ManifestName is the manifest's file name for appendfilename fileName.
func ManifestName(fileName string) string { return fileName + ".manifest" }

// BaseName is Redis's base file name: appendonly.aof.<seq>.base.rdb|.aof.
func BaseName(fileName string, seq int64, rdb bool) string {
	if rdb {
		return fmt.Sprintf("%s.%d.base.rdb", fileName, seq)
	}
	return fmt.Sprintf("%s.%d.base.aof", fileName, seq)
}

// IncrName is Redis's incr file name: appendonly.aof.<seq>.incr.aof.
func IncrName(fileName string, seq int64) string {
	return fmt.Sprintf("%s.%d.incr.aof", fileName, seq)
}

// maxManifestLine is Redis's MANIFEST_MAX_LINE: lines are read with fgets
// into a buffer of that many bytes plus the terminator.
const maxManifestLine = 1024

// ParseManifest parses a manifest exactly as Redis 7.0's
// aofLoadManifestFromFile does, including its refusals: an empty file, an
// empty line, a line without '\n' (too long, or the last line unterminated),
// fewer than 6 or an odd number of tokens, a missing file/seq/type, a path
// as file name, a second base, an unknown type, non-increasing incr seqs.
// Errors are *Error with Kind ErrManifest and the line number.
func ParseManifest(r io.Reader) (*Manifest, error) {
	br := bufio.NewReader(r)
	m := &Manifest{}
	var maxSeq int64
	linenum := 0
	for {
		chunk, err := readChunk(br)
		if err != nil {
			return nil, &Error{Kind: ErrManifest, Offset: -1, Line: linenum, Detail: "Read AOF manifest failed", Err: err}
		}
		if len(chunk) == 0 {
			if linenum == 0 {
				return nil, &Error{Kind: ErrManifest, Offset: -1, Detail: "Found an empty AOF manifest"}
			}
			return m, nil
		}
		linenum++
		if chunk[0] == '#' {
			continue
		}
		fail := func(msg string) error {
			return &Error{Kind: ErrManifest, Offset: -1, Line: linenum, Detail: fmt.Sprintf("%s (line %q)", msg, chunk)}
		}
		// C string semantics: the line ends at a NUL byte.
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		if bytes.IndexByte(chunk, '\n') < 0 {
			return nil, fail("The AOF manifest file contains too long line")
		}
		line := strings.Trim(string(chunk), " \t\r\n")
		if line == "" {
			return nil, fail("Invalid AOF manifest file format")
		}
		args, ok := sds.SplitArgs(line)
		if !ok || len(args) < 6 || len(args)%2 != 0 {
			return nil, fail("Invalid AOF manifest file format")
		}
		var f ManifestFile
		haveName := false
		for i := 0; i < len(args); i += 2 {
			k, v := args[i], args[i+1]
			switch {
			case strings.EqualFold(k, "file"):
				if j := strings.IndexByte(v, 0); j >= 0 {
					v = v[:j]
				}
				if strings.ContainsAny(v, "/\\") {
					return nil, fail("File can't be a path, just a filename")
				}
				f.Name, haveName = v, true
			case strings.EqualFold(k, "seq"):
				f.Seq = atoll(v)
			case strings.EqualFold(k, "type"):
				f.Type = 0
				if v != "" {
					f.Type = FileType(v[0])
				}
			}
		}
		if !haveName || f.Seq == 0 || f.Type == 0 {
			return nil, fail("Invalid AOF manifest file format")
		}
		switch f.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, fail("Found duplicate base file information")
			}
			b := f
			m.Base = &b
		case TypeHistory:
			m.History = append(m.History, f)
		case TypeIncr:
			if f.Seq <= maxSeq {
				return nil, fail("Found a non-monotonic sequence number")
			}
			m.Incr = append(m.Incr, f)
			maxSeq = f.Seq
		default:
			return nil, fail("Unknown AOF file type")
		}
	}
}

// readChunk mimics fgets(buf, 1025): up to 1024 bytes, ending after '\n'.
// It returns an empty chunk at end of file.
func readChunk(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for len(out) < maxManifestLine {
		c, err := br.ReadByte()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		if c == '\n' {
			break
		}
	}
	return out, nil
}

// atoll is C's atoll: leading spaces, a sign, digits, stop at anything else;
// clamps on overflow as glibc's strtoll does.
func atoll(s string) int64 {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0
	}
	v, err := strconv.ParseInt(s[i:j], 10, 64)
	if err != nil {
		if neg {
			return -1 << 63
		}
		return 1<<63 - 1
	}
	if neg {
		return -v
	}
	return v
}

// Bytes is the manifest exactly as Redis 7.0 writes it: base, history, incr;
// one "file <name> seq <n> type <t>\n" line each, the name quoted only when
// it needs it.
func (m *Manifest) Bytes() []byte {
	var b bytes.Buffer
	line := func(f ManifestFile) {
		name := f.Name
		if sds.NeedsRepr(name) {
			name = sds.Repr(name)
		}
		fmt.Fprintf(&b, "file %s seq %d type %c\n", name, f.Seq, f.Type)
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, f := range m.History {
		line(f)
	}
	for _, f := range m.Incr {
		line(f)
	}
	return b.Bytes()
}

// Validate reports whether Redis would accept the manifest Bytes produces.
func (m *Manifest) Validate() error {
	if m.Base == nil && len(m.History) == 0 && len(m.Incr) == 0 {
		return &Error{Kind: ErrManifest, Offset: -1, Detail: "Found an empty AOF manifest"}
	}
	bad := m.Base != nil && m.Base.Type != TypeBase
	for _, f := range m.History {
		bad = bad || f.Type != TypeHistory
	}
	for _, f := range m.Incr {
		bad = bad || f.Type != TypeIncr
	}
	if bad {
		return &Error{Kind: ErrManifest, Offset: -1, Detail: "file type does not match its list"}
	}
	_, err := ParseManifest(bytes.NewReader(m.Bytes()))
	return err
}
