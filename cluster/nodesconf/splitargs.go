package nodesconf

import (
	"errors"

	"github.com/slotdb/slotdb/internal/sds"
)

var errUnbalanced = errors.New("unbalanced quotes")

// splitArgs splits a line as Redis's sdssplitargs does, since that is how 7.0 reads each
// nodes.conf line.
func splitArgs(line string) ([]string, error) {
	args, ok := sds.SplitArgs(line)
	if !ok {
		return nil, errUnbalanced
	}
	return args, nil
}
