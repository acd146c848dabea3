package difftest

import (
	"errors"

	"github.com/slotdb/slotdb/internal/sds"
)

// SplitArgs splits a case-file line the way redis-cli does (sdssplitargs).
func SplitArgs(line string) ([]string, error) {
	args, ok := sds.SplitArgs(line)
	if !ok {
		return nil, errors.New("unbalanced quotes")
	}
	return args, nil
}
