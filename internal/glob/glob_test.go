package glob

import (
	"strings"
	"testing"
)

// The full tables against Redis live with the callers (server KEYS goldens, config and
// COMMAND LIST cases); these are the matcher's own properties.
func TestNestingCap(t *testing.T) {
	key := strings.Repeat("a", 1100)
	if !MatchString(strings.Repeat("*a", 1000), key, false) {
		t.Error("1000 nested stars must still match, as in Redis 7.0.15")
	}
	if MatchString(strings.Repeat("*a", 1001), key, false) {
		t.Error("past 1000 nested stars Redis gives up")
	}
}

func FuzzMatch(f *testing.F) {
	for _, p := range []string{"*", "h?llo", "h[^e]llo", "[a-", "\\", "*[", "[z-a]"} {
		f.Add(p, "hello", false)
	}
	f.Fuzz(func(t *testing.T, pattern, s string, nocase bool) {
		got := MatchString(pattern, s, nocase)
		// A pattern without special characters matches exactly itself.
		if !strings.ContainsAny(pattern, `*?[\`) && !nocase && got != (pattern == s) {
			t.Fatalf("MatchString(%q, %q) = %v", pattern, s, got)
		}
	})
}
