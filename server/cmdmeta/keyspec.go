package cmdmeta

// KeyFlags are a key spec's (or one found key's) access flags, CMD_KEY_* in Redis.
type KeyFlags uint16

const (
	KeyRO KeyFlags = 1 << iota
	KeyRW
	KeyOW
	KeyRM
	KeyAccess
	KeyUpdate
	KeyInsert
	KeyDelete
	KeyNotKey
	KeyIncomplete
	KeyVariableFlags
)

// keyFlagNames are in Redis's reply order (addReplyFlagsForKeyArgs).
var keyFlagNames = []struct {
	f    KeyFlags
	name string
}{
	{KeyRO, "RO"}, {KeyRW, "RW"}, {KeyOW, "OW"}, {KeyRM, "RM"},
	{KeyAccess, "access"}, {KeyUpdate, "update"}, {KeyInsert, "insert"}, {KeyDelete, "delete"},
	{KeyNotKey, "not_key"}, {KeyIncomplete, "incomplete"}, {KeyVariableFlags, "variable_flags"},
}

// Names lists the set flags as Redis names them, in Redis's order.
func (f KeyFlags) Names() []string {
	var out []string
	for _, n := range keyFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func keyFlagByName(name string) (KeyFlags, bool) {
	for _, n := range keyFlagNames {
		if n.name == name {
			return n.f, true
		}
	}
	return 0, false
}

// BeginSearchType is how a key spec finds its first key.
type BeginSearchType uint8

const (
	BeginSearchUnknown BeginSearchType = iota // Redis gives up: the getkeys proc decides
	BeginSearchIndex                          // at a fixed argv index
	BeginSearchKeyword                        // after a keyword
)

// FindKeysType is how a key spec finds the keys after the first.
type FindKeysType uint8

const (
	FindKeysUnknown FindKeysType = iota
	FindKeysRange                // a range ending at LastKey
	FindKeysKeynum               // a count argument gives the number of keys
)

// KeySpec is one entry of a command's key specs, as COMMAND INFO describes it.
type KeySpec struct {
	Notes string
	Flags KeyFlags

	BeginSearch BeginSearchType
	Index       int    // BeginSearchIndex: argv index of the first key
	Keyword     string // BeginSearchKeyword: the keyword (matched case-insensitively)
	StartFrom   int    // BeginSearchKeyword: where the search starts; negative counts from the end

	FindKeys FindKeysType
	// FindKeysRange: the last key relative to the first (negative: from the end of argv),
	// the step between keys, and Limit (with LastKey -1: only 1/Limit of the remaining args).
	LastKey, KeyStep, Limit int
	// FindKeysKeynum: where the count is, relative to the first key position, and where the
	// keys start relative to that position. KeyStep as above.
	KeyNumIdx, FirstKeyOfs int
}

// equalFoldASCII compares like C's strcasecmp on ASCII: only A-Z fold.
func equalFoldASCII(arg []byte, s string) bool {
	if len(arg) != len(s) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		a, b := arg[i], s[i]
		if a >= 'A' && a <= 'Z' {
			a += 'a' - 'A'
		}
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
