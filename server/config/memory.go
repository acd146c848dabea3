package config

import (
	"errors"
	"strconv"
	"strings"
)

var errMemory = errors.New("argument must be a memory value")

// ParseMemory parses a memory amount as Redis's memtoull: digits followed by
// nothing, b, k (1000), kb (1024), m, mb, g or gb, case-insensitive. Like
// Redis it accepts an empty number ("" or "kb" is 0) and wraps on overflow.
func ParseMemory(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		return 0, errMemory
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch strings.ToLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, errMemory
	}
	if u >= 128 { // Redis copies the digits into a 128-byte buffer
		return 0, errMemory
	}
	var v uint64
	if u > 0 {
		var err error
		v, err = strconv.ParseUint(s[:u], 10, 64)
		if err != nil { // only overflow can fail here: strtoull saturates
			v = ^uint64(0)
		}
	}
	return v * mul, nil
}

// FormatMemory writes bytes as CONFIG REWRITE does: gb, mb or kb when exact.
func FormatMemory(v int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case v != 0 && v%gb == 0:
		return strconv.FormatInt(v/gb, 10) + "gb"
	case v != 0 && v%mb == 0:
		return strconv.FormatInt(v/mb, 10) + "mb"
	case v != 0 && v%kb == 0:
		return strconv.FormatInt(v/kb, 10) + "kb"
	}
	return strconv.FormatInt(v, 10)
}

// string2ll is Redis's strict integer parser: optional '-', no '+', no
// leading zeros, no blanks, within int64.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// strtoll10 is C strtoll(s, &end, 10) with *end == '\0' required: leading
// blanks and a sign are allowed, "" parses as 0 (no conversion leaves end at
// the start), out of range saturates.
func strtoll10(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		sign, t = t[:1], t[1:]
	}
	if t == "" {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(sign+t, 10, 64)
	if err != nil { // range error: strtoll saturates
		if sign == "-" {
			return -1 << 63, true
		}
		return 1<<63 - 1, true
	}
	return v, true
}
