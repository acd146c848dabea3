package config

import (
	"strings"

	"github.com/slotdb/slotdb/internal/sds"
)

// SplitArgs and Repr are Redis's sdssplitargs and sdscatrepr (internal/sds), as config lines
// are read and rewritten with them.
var (
	SplitArgs = sds.SplitArgs
	Repr      = sds.Repr
)

// trimLine is sdstrim(line, " \t\r\n").
func trimLine(s string) string { return strings.Trim(s, " \t\r\n") }
