package config

import (
	"math"
	"strconv"
	"strings"
)

// parseSpecial implements the set functions of config.c's special configs.
func (c *Config) parseSpecial(e *entry, args []string) (any, string) {
	switch e.p.Name {
	case "dir":
		if len(args) != 1 {
			return nil, "wrong number of arguments"
		}
		d, err := resolveDir(c.cwd, args[0])
		if err != "" {
			return nil, err
		}
		return d, ""
	case "save":
		return parseSave(args)
	case "client-output-buffer-limit":
		return parseObuf(e.v, args)
	case "oom-score-adj-values":
		if len(args) != 3 {
			return nil, "wrong number of arguments"
		}
		var v [3]int
		for i, a := range args {
			x, ok := strtoll10(a)
			if !ok || x < -2000 || x > 2000 {
				return nil, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
			}
			v[i] = int(x)
		}
		return v, ""
	case "notify-keyspace-events":
		if len(args) != 1 {
			return nil, "wrong number of arguments"
		}
		f := keyspaceEventsFlags(args[0])
		if f < 0 {
			return nil, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
		return f, ""
	case "bind":
		if len(args) > 16 {
			return nil, "Too many bind addresses specified."
		}
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		return append([]string{}, args...), ""
	case "replicaof":
		if len(args) != 2 {
			return nil, "wrong number of arguments"
		}
		if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
			return (*replicaOf)(nil), ""
		}
		port, ok := strtoll10(args[1]) // like strtol, "" is port 0
		if !ok || port < 0 || port > 65535 {
			return nil, "Invalid master port"
		}
		return &replicaOf{Host: args[0], Port: port}, ""
	case "latency-tracking-info-percentiles":
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		v := make([]float64, 0, len(args))
		for _, a := range args {
			f, ok := string2d(a)
			if !ok {
				return nil, "Invalid latency-tracking-info-percentiles parameters"
			}
			if f > 100 || f < 0 {
				return nil, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
			}
			v = append(v, f)
		}
		return v, ""
	}
	return nil, "unsupported parameter"
}

func parseSave(args []string) (any, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return nil, "Invalid save parameters"
	}
	v := make([]savePoint, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		secs, ok1 := strtoll10(args[j])
		chg, ok2 := strtoll10(args[j+1])
		if !ok1 || !ok2 || secs < 1 || chg < 0 {
			return nil, "Invalid save parameters"
		}
		v = append(v, savePoint{Seconds: secs, Changes: int32(chg)})
	}
	return v, ""
}

func parseObuf(cur any, args []string) (any, string) {
	if len(args)%4 != 0 {
		return nil, "Wrong number of arguments in buffer limit configuration."
	}
	v, _ := cur.([3]obufLimit)
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch strings.ToLower(args[j]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return nil, "Invalid client class specified in buffer limit configuration."
		}
		hard, err1 := ParseMemory(args[j+1])
		soft, err2 := ParseMemory(args[j+2])
		secs, ok := strtoll10(args[j+3])
		if err1 != nil || err2 != nil || !ok || int32(secs) < 0 {
			return nil, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		v[class] = obufLimit{Hard: hard, Soft: soft, SoftSeconds: int32(secs)}
	}
	return v, ""
}

// Keyspace notification classes (server.h NOTIFY_*).
const (
	nKeyspace = 1 << iota
	nKeyevent
	nGeneric
	nString
	nList
	nSet
	nHash
	nZset
	nExpired
	nEvicted
	nStream
	nKeyMiss
	nLoaded
	nModule
	nNew
	nAll = nGeneric | nString | nList | nSet | nHash | nZset | nExpired | nEvicted | nStream | nModule
)

var keyspaceClasses = []struct {
	c    byte
	flag int
}{{'g', nGeneric}, {'$', nString}, {'l', nList}, {'s', nSet}, {'h', nHash}, {'z', nZset},
	{'x', nExpired}, {'e', nEvicted}, {'t', nStream}, {'d', nModule}, {'n', nNew}}

func keyspaceEventsFlags(s string) int {
	f := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			f |= nAll
		case 'K':
			f |= nKeyspace
		case 'E':
			f |= nKeyevent
		case 'm':
			f |= nKeyMiss
		default:
			found := false
			for _, k := range keyspaceClasses {
				if k.c == s[i] {
					f |= k.flag
					found = true
				}
			}
			if !found {
				return -1
			}
		}
	}
	return f
}

func keyspaceEventsString(f int) string {
	var b strings.Builder
	if f&nAll == nAll {
		b.WriteByte('A')
	} else {
		for _, k := range keyspaceClasses {
			if f&k.flag != 0 {
				b.WriteByte(k.c)
			}
		}
	}
	if f&nKeyspace != 0 {
		b.WriteByte('K')
	}
	if f&nKeyevent != 0 {
		b.WriteByte('E')
	}
	if f&nKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// string2d is Redis's strict strtod wrapper: no leading blank, the whole
// string consumed, no NaN, no overflow to infinity.
func string2d(s string) (float64, bool) {
	if s == "" || strings.IndexByte(" \t\n\v\f\r", s[0]) >= 0 || strings.ContainsRune(s, '_') {
		return 0, false
	}
	t := s
	if h := strings.TrimLeft(s, "+-"); len(h) > 2 && (h[:2] == "0x" || h[:2] == "0X") && !strings.ContainsAny(h, "pP") {
		t += "p0" // strtod takes hex floats without an exponent, Go does not
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// formatPercentile is sprintf("%f") followed by trimDoubleString.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
