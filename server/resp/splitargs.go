package resp

import "github.com/slotdb/slotdb/internal/sds"

// SplitArgs splits an inline request as Redis's sdssplitargs does; it reports false on
// unbalanced quotes.
func SplitArgs(line []byte) ([][]byte, bool) {
	words, ok := sds.SplitArgs(string(line))
	if !ok {
		return nil, false
	}
	args := make([][]byte, len(words))
	for i, w := range words {
		args[i] = []byte(w)
	}
	return args, true
}
