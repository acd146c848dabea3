package difftest

import "strings"

// Rule allows a known, legitimate difference. Pattern is a glob (* and ?) matched, without
// regard to case, against the command's arguments joined by single spaces, e.g. "CLIENT ID" or
// "TTL *". Reason says why the replies may differ. Norm rewrites both replies before comparing;
// a nil Norm skips the comparison (the replies are still read), which is the last resort.
type Rule struct {
	Pattern string
	Reason  string
	Norm    Normalizer
}

// Matches reports whether the rule applies to a command.
func (r Rule) Matches(args []string) bool {
	return globMatch(strings.ToUpper(r.Pattern), strings.ToUpper(strings.Join(args, " ")))
}

// DefaultRules are the differences every comparison with a real Redis allows.
var DefaultRules = []Rule{
	{"HELLO*", "the id field is a per-server connection counter", MapValues("id")},
	{"CLIENT ID", "connection ids are per-server counters", Shape},
	{"CLIENT LIST*", "ids, addresses, fds, ages and buffer sizes are per-server", ClientFields},
	{"CLIENT INFO", "ids, addresses, fds, ages and buffer sizes are per-server", ClientFields},
	{"TTL *", "time passes between the two servers' replies", Within(1)},
	{"EXPIRETIME *", "the two servers ran the expiring command at different instants", Within(1)},
	{"PTTL *", "time passes between the two servers' replies", Within(250)},
	{"PEXPIRETIME *", "the two servers ran the expiring command at different instants", Within(250)},
	{"OBJECT IDLETIME *", "idle time is measured on each server's clock", Within(1)},
	{"TIME", "wall clock", Shape},
	{"MEMORY USAGE *", "sizes depend on the allocator and encoding", Shape},
	{"SLOWLOG GET*", "entries hold ids, timestamps, durations and client addresses", Shape},
	{"RANDOMKEY", "the choice is random", Shape},
	{"KEYS *", "order follows the hash table", Sorted},
	{"SCAN *", "order follows the hash table", ScanSorted},
	{"CONFIG GET *", "several matches come in dict order", SortedPairs},
	{"COMMAND", "commands and subcommands come in dict order", CommandInfoSorted},
	{"COMMAND LIST*", "commands come in dict order", Sorted},
	{"COMMAND INFO*", "subcommands (and all commands, without names) come in dict order", CommandInfoSorted},
	{"COMMAND DOCS*", "subcommands (and all commands, without names) come in dict order", CommandDocsSorted},
	{"INFO*", "values are per-server; field names and sections are compared", InfoFields},
}

// globMatch matches s against a pattern of literal bytes, * (any run) and ? (any byte).
func globMatch(pat, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pat) || sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
