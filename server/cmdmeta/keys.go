package cmdmeta

import (
	"errors"
	"strconv"
)

// KeyRef is one key argument found in an argv: its index and how the command uses it.
// Flags are 0 where Redis's getkeys proc gives none (the keynum procs).
type KeyRef struct {
	Pos   int
	Flags KeyFlags
}

// Errors with Redis's COMMAND GETKEYS texts.
var (
	ErrInvalidCommand = errors.New("ERR Invalid command specified")
	ErrNoKeyArgs      = errors.New("ERR The command has no key arguments")
	ErrArity          = errors.New("ERR Invalid number of arguments specified for command")
	ErrInvalidArgs    = errors.New("ERR Invalid arguments specified for command")
)

// Keys returns the argv indexes of the keys in args (args[0] is the command name; for a
// container, args[1] names the subcommand, which is then used). It errors only when the
// subcommand is unknown (ErrInvalidCommand) or len(args) does not fit the arity (ErrArity).
// A command without keys, or whose arguments are malformed, gives no keys and no error, as
// Redis's getKeysFromCommandWithSpecs does.
func (c *Command) Keys(args [][]byte) ([]int, error) {
	refs, err := c.KeysAndFlags(args)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	pos := make([]int, len(refs))
	for i, r := range refs {
		pos[i] = r.Pos
	}
	return pos, nil
}

// KeysAndFlags is Keys with each key's access flags, as COMMAND GETKEYSANDFLAGS shows them.
func (c *Command) KeysAndFlags(args [][]byte) ([]KeyRef, error) {
	if c.Subcommands != nil && len(args) > 1 {
		sub := c.Subcommands[lower(string(args[1]))]
		if sub == nil {
			return nil, ErrInvalidCommand
		}
		c = sub
	}
	if !c.CheckArity(len(args)) {
		return nil, ErrArity
	}
	return c.keysWithSpecs(args), nil
}

// HasKeys is Redis's doesCommandHaveKeys: a getkeys proc, or a key spec that is not
// NOT_KEY.
func (c *Command) HasKeys() bool {
	if c.getkeys != nil {
		return true
	}
	for _, s := range c.KeySpecs {
		if s.Flags&KeyNotKey == 0 {
			return true
		}
	}
	return false
}

// GetKeys implements COMMAND GETKEYS / GETKEYSANDFLAGS for argv (the full command after
// "COMMAND GETKEYS"), with Redis's checks and error texts. implemented (nil: all) limits
// the commands that are considered to exist; it gets lowercase full names.
func GetKeys(argv [][]byte, implemented func(name string) bool) ([]KeyRef, error) {
	c := LookupArgv(argv)
	if c == nil || (implemented != nil && !implemented(c.Name)) {
		return nil, ErrInvalidCommand
	}
	if !c.HasKeys() {
		return nil, ErrNoKeyArgs
	}
	if !c.CheckArity(len(argv)) {
		return nil, ErrArity
	}
	refs := c.keysWithSpecs(argv)
	if len(refs) == 0 && !c.NoMandatoryKeys {
		return nil, ErrInvalidArgs
	}
	return refs, nil
}

// keysWithSpecs is getKeysFromCommandWithSpecs with GET_KEYSPEC_DEFAULT: key specs when
// they are all usable, else the command's getkeys proc, else nothing.
func (c *Command) keysWithSpecs(args [][]byte) []KeyRef {
	hasKeySpec, varFlags := false, false
	for _, s := range c.KeySpecs {
		if s.Flags&KeyNotKey == 0 {
			hasKeySpec = true
		}
		if s.Flags&KeyVariableFlags != 0 {
			varFlags = true
		}
	}
	if hasKeySpec && !varFlags {
		if refs, ok := c.keysUsingSpecs(args); ok {
			return refs
		}
	}
	if c.getkeys != nil {
		return c.getkeys(args)
	}
	return nil
}

// keysUsingSpecs is getKeysUsingKeySpecs; ok is false where Redis's returns -1 (an
// unknown, incomplete or unsatisfiable spec).
func (c *Command) keysUsingSpecs(args [][]byte) (refs []KeyRef, ok bool) {
	argc := len(args)
	for i := range c.KeySpecs {
		spec := &c.KeySpecs[i]
		if spec.Flags&KeyNotKey != 0 {
			continue
		}
		first := 0
		switch spec.BeginSearch {
		case BeginSearchIndex:
			first = spec.Index
		case BeginSearchKeyword:
			first = keywordSearch(args, spec.Keyword, spec.StartFrom)
			if first == 0 {
				continue // keyword absent: this spec has no keys
			}
		default:
			return nil, false
		}

		var last, step int
		switch spec.FindKeys {
		case FindKeysRange:
			step = spec.KeyStep
			switch {
			case spec.LastKey >= 0:
				last = first + spec.LastKey
			case spec.Limit == 0:
				last = argc + spec.LastKey
			default:
				last = first + ((argc-first)/spec.Limit + spec.LastKey)
			}
		case FindKeysKeynum:
			step = spec.KeyStep
			idx := first + spec.KeyNumIdx
			if spec.KeyNumIdx >= argc || idx < 0 || idx >= argc {
				return nil, false
			}
			n, err := strconv.ParseInt(string(args[idx]), 10, 64)
			if err != nil || n < 0 || !isStrictInt(args[idx]) {
				return nil, false
			}
			first += spec.FirstKeyOfs
			// Redis computes first + (int)numkeys - 1 in C int: keep its 32-bit wrap.
			last = int(int32(int64(first) + int64(int32(n)) - 1))
		default:
			return nil, false
		}

		if last >= argc || last < first || first >= argc || first < 0 {
			return nil, false
		}
		for p := first; p <= last; p += step {
			refs = append(refs, KeyRef{Pos: p, Flags: spec.Flags})
		}
		if spec.Flags&KeyIncomplete != 0 {
			return nil, false
		}
	}
	return refs, true
}

// keywordSearch returns the index after keyword, or 0. A positive startFrom scans forward
// from there, a negative one backward from argc+startFrom; like Redis, the scan never looks
// at the last argument (forward) or at index 1 (backward).
func keywordSearch(args [][]byte, keyword string, startFrom int) int {
	argc := len(args)
	start, end := startFrom, argc-1
	if startFrom <= 0 {
		start, end = argc+startFrom, 1
	}
	for i := start; i != end; {
		if i >= argc || i < 1 {
			break
		}
		if equalFoldASCII(args[i], keyword) {
			return i + 1
		}
		if start <= end {
			i++
		} else {
			i--
		}
	}
	return 0
}

// isStrictInt is Redis's string2ll syntax: optional '-', no leading zeros, no '+', no
// spaces, "0" alone allowed.
func isStrictInt(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	if len(b) == 1 && b[0] == '0' {
		return true
	}
	i := 0
	if b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return false
	}
	for _, ch := range b[i:] {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}
