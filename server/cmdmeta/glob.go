package cmdmeta

import "github.com/slotdb/slotdb/internal/glob"

// globMatch is Redis's stringmatchlen (internal/glob), as COMMAND LIST FILTERBY PATTERN uses it.
func globMatch(pattern, str string, nocase bool) bool { return glob.MatchString(pattern, str, nocase) }
