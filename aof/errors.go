package aof

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds; test with errors.Is on the error a reader or loader returns.
var (
	// ErrBadFormat: malformed RESP that is not explained by end of file.
	ErrBadFormat = errors.New("bad file format")
	// ErrUnexpectedEOF: the file ends inside a command or an open MULTI and
	// Options.LoadTruncated is false.
	ErrUnexpectedEOF = errors.New("unexpected end of file")
	// ErrRDB: the RDB part (preamble or .rdb base) failed; the RDBFunc's
	// error is wrapped too.
	ErrRDB = errors.New("error reading the RDB part")
	// ErrManifest: the multi-part manifest is invalid.
	ErrManifest = errors.New("invalid AOF manifest")
	// ErrTruncatedNotLast: a truncated file that is not the last one loaded.
	ErrTruncatedNotLast = errors.New("the truncated file is not the last file")
)

// Error is a fatal loading error. Kind is one of the Err* values above (nil for
// I/O and applier errors); Err is the underlying cause, if any.
type Error struct {
	Kind   error
	File   string
	Offset int64 // byte offset in File; -1 when it does not apply
	Line   int   // manifest line number (ErrManifest only), 1-based
	Detail string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Kind {
	case ErrBadFormat:
		fmt.Fprintf(&b, "Bad file format reading the append only file %s at offset %d", e.File, e.Offset)
	case ErrUnexpectedEOF:
		fmt.Fprintf(&b, "Unexpected end of file reading the append only file %s at offset %d", e.File, e.Offset)
	case ErrRDB:
		fmt.Fprintf(&b, "Error reading the %s %s, AOF loading aborted", e.Detail, e.File)
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
		return b.String()
	case ErrManifest:
		b.WriteString("Invalid AOF manifest")
		if e.File != "" {
			b.WriteString(" " + e.File)
		}
		if e.Line > 0 {
			fmt.Fprintf(&b, " at line %d", e.Line)
		}
	case ErrTruncatedNotLast:
		fmt.Fprintf(&b, "Fatal error: the truncated file is not the last file (%s)", e.File)
	default:
		fmt.Fprintf(&b, "Error reading the append only file %s", e.File)
		if e.Offset >= 0 {
			fmt.Fprintf(&b, " at offset %d", e.Offset)
		}
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Truncation describes a tail dropped under aof-load-truncated yes. Its
// String is the warning to log.
type Truncation struct {
	File string
	// Size is how many bytes the file had (where end of file was met).
	Size int64
	// ValidLen is the length to truncate the file to: the end of the last
	// command kept (the position before MULTI for a dropped transaction, the
	// end of the RDB part when no command followed it).
	ValidLen int64
	// RedisLen is the length redis-server 7.0.15 truncates the file to. It
	// differs from ValidLen in two Redis quirks: a short read inside an open
	// MULTI (Redis keeps the queued commands in the file, after which the next
	// load reverts the MULTI), and an RDB preamble followed only by an
	// incomplete command (Redis truncates the whole file to 0, verified).
	RedisLen int64
	// Incomplete is true when the file ends inside a command (a short read);
	// false when every command is complete but a MULTI has no EXEC.
	Incomplete bool
	// Dropped counts complete commands discarded with an open transaction.
	Dropped int
}

func (t *Truncation) String() string {
	if t.Incomplete {
		s := fmt.Sprintf("!!! Warning: short read while loading the AOF file %s!!! Truncating the AOF %s at offset %d (size %d)",
			t.File, t.File, t.ValidLen, t.Size)
		if t.Dropped > 0 {
			s += fmt.Sprintf("; %d commands of an unterminated MULTI dropped", t.Dropped)
		}
		return s
	}
	return fmt.Sprintf("Revert incomplete MULTI/EXEC transaction in AOF file %s: truncating at offset %d (size %d, %d commands dropped)",
		t.File, t.ValidLen, t.Size, t.Dropped)
}
