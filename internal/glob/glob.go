// Package glob is Redis's glob matcher (util.c stringmatchlen), shared by KEYS, SCAN MATCH,
// pub/sub patterns, CONFIG GET and COMMAND LIST FILTERBY PATTERN.
package glob

// Match is Redis 7.0.15's stringmatchlen (util.c), byte for byte: '*', '?', '[...]' with
// '^' negation, 'a-z' ranges (compared as signed chars, ends swapped when reversed) and '\'
// escapes inside and outside classes; an unclosed class runs to the end of the pattern. nocase
// folds ASCII letters. Like Redis it stops retrying longer matches for earlier stars once the
// rest of the pattern failed everywhere, and gives up (no match) past 1000 nested stars, which
// keeps hostile patterns polynomial and the stack bounded.
func Match(pattern, s []byte, nocase bool) bool {
	skip := false
	return match(pattern, s, nocase, &skip, 0)
}

func match(pat, str []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	// C reads the pattern's terminating NUL one past its end; at does the same.
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	p, s := 0, 0
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for at(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for ; s < len(str); s++ {
				if match(pat[p+1:], str[s:], nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := at(p) == '^'
			if not {
				p++
			}
			match := false
			for {
				if at(p) == '\\' && len(pat)-p >= 2 {
					p++
					if pat[p] == str[s] {
						match = true
					}
				} else if at(p) == ']' {
					break
				} else if p >= len(pat) {
					p-- // unclosed class: the outer p++ ends the pattern
					break
				} else if len(pat)-p >= 3 && pat[p+1] == '-' {
					lo, hi, ch := int(int8(pat[p])), int(int8(pat[p+2])), int(int8(str[s]))
					if lo > hi {
						lo, hi = hi, lo
					}
					if nocase {
						lo, hi, ch = lowerC(lo), lowerC(hi), lowerC(ch)
					}
					p += 2
					if ch >= lo && ch <= hi {
						match = true
					}
				} else if eqChar(pat[p], str[s], nocase) {
					match = true
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			if !eqChar(pat[p], str[s], nocase) {
				return false
			}
			s++
		default:
			if !eqChar(pat[p], str[s], nocase) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for at(p) == '*' {
				p++
			}
			break
		}
	}
	return p == len(pat) && s == len(str)
}

// lowerC is tolower in the "C" locale over a (possibly negative) char value.
func lowerC(ch int) int {
	if ch >= 'A' && ch <= 'Z' {
		return ch + 'a' - 'A'
	}
	return ch
}

func eqChar(a, b byte, nocase bool) bool {
	if nocase {
		return lowerC(int(a)) == lowerC(int(b))
	}
	return a == b
}

// MatchString is Match over strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}
