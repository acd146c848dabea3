package cmdmeta

// getkeysProc is one of Redis 7.0's native getkeys procs (db.c). Redis uses it only when
// the key specs cannot answer: an unknown or incomplete spec, VARIABLE_FLAGS, or a spec
// that fails on malformed arguments.
type getkeysProc func(args [][]byte) []KeyRef

var getkeysProcs = map[string]getkeysProc{
	"zunionstore": genericKeys(1, 2, 3), "zinterstore": genericKeys(1, 2, 3),
	"zdiffstore": genericKeys(1, 2, 3),
	"zunion":     genericKeys(0, 1, 2), "zinter": genericKeys(0, 1, 2), "zdiff": genericKeys(0, 1, 2),
	"zintercard": genericKeys(0, 1, 2), "sintercard": genericKeys(0, 1, 2),
	"eval": genericKeys(0, 2, 3), "evalsha": genericKeys(0, 2, 3),
	"eval_ro": genericKeys(0, 2, 3), "evalsha_ro": genericKeys(0, 2, 3),
	"fcall": genericKeys(0, 2, 3), "fcall_ro": genericKeys(0, 2, 3),
	"lmpop": genericKeys(0, 1, 2), "blmpop": genericKeys(0, 2, 3),
	"zmpop": genericKeys(0, 1, 2), "bzmpop": genericKeys(0, 2, 3),
	"sort":              sortKeys,
	"sort_ro":           sortROKeys,
	"migrate":           migrateKeys,
	"georadius":         georadiusKeys,
	"georadiusbymember": georadiusKeys,
	"xread":             xreadKeys,
	"xreadgroup":        xreadKeys,
	"set":               setKeys,
	"bitfield":          bitfieldKeys,
}

// genericKeys is genericGetKeys: a key count at countOfs (parsed with atoi), keys from
// firstOfs, then the destination key at storeOfs (0: none). No flags.
func genericKeys(storeOfs, countOfs, firstOfs int) getkeysProc {
	return func(args [][]byte) []KeyRef {
		if countOfs >= len(args) {
			return nil
		}
		num := atoi(args[countOfs])
		if num < 1 || num > len(args)-firstOfs {
			return nil
		}
		refs := make([]KeyRef, 0, num+1)
		for i := 0; i < num; i++ {
			refs = append(refs, KeyRef{Pos: firstOfs + i})
		}
		if storeOfs != 0 {
			refs = append(refs, KeyRef{Pos: storeOfs})
		}
		return refs
	}
}

func sortROKeys(args [][]byte) []KeyRef {
	return []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}
}

// sortKeys finds the last STORE, skipping the arguments of LIMIT, GET and BY.
func sortKeys(args [][]byte) []KeyRef {
	refs := []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case equalFoldASCII(args[i], "limit"):
			i += 2
		case equalFoldASCII(args[i], "get"), equalFoldASCII(args[i], "by"):
			i++
		case equalFoldASCII(args[i], "store") && i+1 < len(args):
			store = i + 1
		}
	}
	if store != 0 {
		refs = append(refs, KeyRef{Pos: store, Flags: KeyOW | KeyUpdate})
	}
	return refs
}

// migrateKeys: the key at 3, or with KEYS (and an empty argv[3]) everything after KEYS.
func migrateKeys(args [][]byte) []KeyRef {
	first, num := 3, 1
	if len(args) > 6 {
	scan:
		for i := 6; i < len(args); i++ {
			a := args[i]
			switch {
			case equalFoldASCII(a, "keys"):
				if len(args[3]) > 0 {
					num = 0 // syntax error, left to MIGRATE itself
				} else {
					first = i + 1
					num = len(args) - first
				}
				break scan
			case equalFoldASCII(a, "auth"):
				i++
			case equalFoldASCII(a, "auth2"):
				i += 2
			}
		}
	}
	if first+num > len(args) {
		num = 0
	}
	refs := make([]KeyRef, 0, num)
	for i := 0; i < num; i++ {
		refs = append(refs, KeyRef{Pos: first + i, Flags: KeyRW | KeyAccess | KeyDelete})
	}
	return refs
}

// georadiusKeys: the key, and the last STORE/STOREDIST destination.
func georadiusKeys(args [][]byte) []KeyRef {
	stored := -1
	for i := 5; i < len(args); i++ {
		if (equalFoldASCII(args[i], "store") || equalFoldASCII(args[i], "storedist")) && i+1 < len(args) {
			stored = i + 1
			i++
		}
	}
	refs := []KeyRef{{Pos: 1}}
	if stored != -1 {
		refs = append(refs, KeyRef{Pos: stored})
	}
	return refs
}

// xreadKeys parses the options up to STREAMS; half of what follows are keys.
func xreadKeys(args [][]byte) []KeyRef {
	streams := -1
	for i := 1; i < len(args); i++ {
		a := args[i]
		if equalFoldASCII(a, "block") || equalFoldASCII(a, "count") {
			i++
		} else if equalFoldASCII(a, "group") {
			i += 2
		} else if equalFoldASCII(a, "noack") {
		} else if equalFoldASCII(a, "streams") {
			streams = i
			break
		} else {
			break
		}
	}
	if streams == -1 {
		return nil
	}
	num := len(args) - streams - 1
	if num == 0 || num%2 != 0 {
		return nil
	}
	num /= 2
	refs := make([]KeyRef, 0, num)
	for i := streams + 1; i < len(args)-num; i++ {
		refs = append(refs, KeyRef{Pos: i})
	}
	return refs
}

// setKeys: the key is read too when a GET option is present.
func setKeys(args [][]byte) []KeyRef {
	for i := 3; i < len(args); i++ {
		if equalFoldASCII(args[i], "get") {
			return []KeyRef{{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate}}
		}
	}
	return []KeyRef{{Pos: 1, Flags: KeyOW | KeyUpdate}}
}

// bitfieldKeys: read-only unless a SET/INCRBY (or anything unparsable) appears.
func bitfieldKeys(args [][]byte) []KeyRef {
	readonly := true
	for i := 2; i < len(args); i++ {
		rem := len(args) - i - 1
		a := args[i]
		if equalFoldASCII(a, "get") && rem >= 2 {
			i += 2
		} else if (equalFoldASCII(a, "set") || equalFoldASCII(a, "incrby")) && rem >= 3 {
			readonly = false
			break
		} else if equalFoldASCII(a, "overflow") && rem >= 1 {
			i++
		} else {
			readonly = false
			break
		}
	}
	if readonly {
		return []KeyRef{{Pos: 1, Flags: KeyRO | KeyAccess}}
	}
	return []KeyRef{{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate}}
}

// atoi is C's atoi (strtol truncated to int): leading white space, an optional sign, then
// as many digits as there are; overflow saturates the long before the int truncation.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n uint64
	over := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > (1<<63)/10 {
			over = true
			continue
		}
		n = n*10 + uint64(b[i]-'0')
		if n > 1<<63 {
			over = true
		}
	}
	var v int64
	switch {
	case over && neg:
		v = -1 << 63
	case over:
		v = 1<<63 - 1
	case neg:
		v = -int64(n) // n == 1<<63 wraps to MinInt64, as strtol gives
	default:
		if n == 1<<63 {
			v = 1<<63 - 1
		} else {
			v = int64(n)
		}
	}
	return int(int32(v))
}
