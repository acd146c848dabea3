package cmdmeta

import (
	"strings"
	"testing"
)

// Cases beyond the COMMAND LIST FILTERBY PATTERN goldens, following Redis's stringmatchlen.
func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, str string
		nocase, want bool
	}{
		{"*", "", false, false}, // checked on redis-server 7.0.15: PUBSUB CHANNELS * skips ""
		{"", "", false, true},
		{"?", "", false, false},
		{"a*b", "axxb", false, true},
		{"a*b", "axxc", false, false},
		{"A*", "abc", false, false},
		{"A*", "abc", true, true},
		{"[abc]x", "bx", false, true},
		{"[^abc]x", "bx", false, false},
		{"[a-c]", "B", true, true},
		{"[c-a]", "b", false, true},
		{"[\\]]", "]", false, true},
		{"\\*", "*", false, true},
		{"\\*", "a", false, false},
		{"a\\", "a\\", false, true}, // a lone trailing backslash is a literal
		{"[", "a", false, false},
		{"a[", "a", false, false},
		{"a[b", "ab", false, true},
		{"a*", "a", false, true},
		{"a**", "a", false, true},
		{strings.Repeat("*a", 1200), strings.Repeat("a", 1200), false, false}, // nesting cap
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false, false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.str, tt.nocase); got != tt.want {
			t.Errorf("globMatch(%.40q, %.40q, %v) = %v, want %v", tt.pattern, tt.str, tt.nocase, got, tt.want)
		}
	}
}
