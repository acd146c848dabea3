package config

// StringMatch reports whether s matches the glob pattern exactly as Redis's
// stringmatchlen (util.c, 7.0.15): * ? [abc] [^a-z] and \ escapes, with
// nocase folding ASCII letters. Like Redis it stops retrying longer matches
// for earlier stars once the rest of the pattern cannot match, which keeps
// hostile patterns polynomial.
func StringMatch(pattern, s string, nocase bool) bool {
	skip := false
	return stringMatch(pattern, s, nocase, &skip)
}

func stringMatch(pat, str string, nocase bool, skipLonger *bool) bool {
	p, s := 0, 0
	pc := func(i int) byte { // C strings end with NUL: reading past the end gives 0
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p < len(pat) && pc(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for s < len(str) {
				if stringMatch(pat[p+1:], str[s:], nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := pc(p) == '^'
			if not {
				p++
			}
			match := false
			c := str[s]
			for {
				if pc(p) == '\\' && len(pat)-p >= 2 {
					p++
					if pat[p] == c {
						match = true
					}
				} else if pc(p) == ']' {
					break
				} else if p >= len(pat) {
					p--
					break
				} else if len(pat)-p >= 3 && pat[p+1] == '-' {
					start, end, cc := cchar(pat[p]), cchar(pat[p+2]), cchar(c)
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, cc = lowerInt(start), lowerInt(end), lowerInt(cc)
					}
					p += 2
					if cc >= start && cc <= end {
						match = true
					}
				} else if eqByte(pat[p], c, nocase) {
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
			fallthrough
		default:
			if !eqByte(pat[p], str[s], nocase) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for pc(p) == '*' {
				p++
			}
			break
		}
	}
	return p >= len(pat) && s == len(str)
}

// cchar is a byte as a signed C char, which is what Redis compares in ranges.
func cchar(b byte) int { return int(int8(b)) }

func lowerInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func eqByte(a, b byte, nocase bool) bool {
	if nocase {
		return lowerInt(int(a)) == lowerInt(int(b))
	}
	return a == b
}
