package config

import "github.com/slotdb/slotdb/internal/glob"

// StringMatch reports whether s matches the glob pattern exactly as Redis's stringmatchlen
// (internal/glob): CONFIG GET patterns.
func StringMatch(pattern, s string, nocase bool) bool { return glob.MatchString(pattern, s, nocase) }
