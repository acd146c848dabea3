// Package sds holds the two string routines of Redis's sds.c that several formats share:
// sdssplitargs (redis.conf lines, inline requests, AOF manifests, nodes.conf, redis-cli
// input) and sdscatrepr (their quoted form).
package sds

import "strings"

// SplitArgs splits a line the way sdssplitargs does: words separated by blanks, "double
// quotes" with \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' where only \' is special.
// A closing quote must be followed by a blank or the end of the line. ok is false for
// unbalanced quotes. The line is a C string there: it ends at its first NUL byte.
func SplitArgs(line string) (args []string, ok bool) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	args = []string{}
	p := 0
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return args, true
		}
		var cur strings.Builder
		inq, insq, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur.WriteByte(hexVal(at(p+2))<<4 | hexVal(at(p+3)))
					p += 3
				case c == '\\' && p+1 < len(line):
					p++
					switch e := line[p]; e {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(e)
					}
				case c == '"':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				case p >= len(line):
					return nil, false
				default:
					cur.WriteByte(c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur.WriteByte('\'')
				case c == '\'':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				case p >= len(line):
					return nil, false
				default:
					cur.WriteByte(c)
				}
			default:
				switch {
				case p >= len(line), c == ' ', c == '\n', c == '\r', c == '\t':
					done = true
				case c == '"':
					inq = true
				case c == '\'':
					insq = true
				default:
					cur.WriteByte(c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		args = append(args, cur.String())
	}
}

// isSpace is C isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// NeedsRepr is sdsneedsrepr: whether s must be quoted to survive SplitArgs.
func NeedsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c < 0x20 || c > 0x7e || c == ' ' {
			return true
		}
	}
	return false
}

// Repr quotes s the way sdscatrepr does, so SplitArgs gives s back.
func Repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				const hx = "0123456789abcdef"
				b.WriteString(`\x`)
				b.WriteByte(hx[c>>4])
				b.WriteByte(hx[c&15])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
