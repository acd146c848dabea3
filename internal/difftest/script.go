package difftest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Step is one line of a case file: a command, or a directive when Directive is set.
type Step struct {
	File      string
	Line      int
	Directive string   // "" for a command; else the directive name without '@'
	Args      []string // command arguments, or the directive's arguments
}

// Pos returns "file:line".
func (s Step) Pos() string { return s.File + ":" + strconv.Itoa(s.Line) }

// Script is a parsed case file.
type Script struct {
	Name  string
	Steps []Step
}

// Directives and their arguments. Each command line is sent on the current connection of both
// servers and the two replies are compared.
//
//	# comment                  blank lines and lines starting with # are ignored
//	@conn N                    switch to connection N (dialled on first use; 1 is the default)
//	@resp3 / @resp2            HELLO 3 / HELLO 2 on the current connection (replies compared)
//	@flush                     FLUSHALL on both servers (replies compared)
//	@sleep MS                  wait MS milliseconds (TTL cases)
//	@send CMD ...              send a command without reading its reply
//	@read                      read one reply on each side and compare (after @send)
//	@noreply [MS]              assert that neither side sends anything within MS ms (default 100)
//	@raw "BYTES"               send bytes as they are (quoted like a command); @read the reply
//	@reconnect                 close the current connection; the next command dials afresh
//	@scan CMD ... 0 ...        iterate a SCAN-family command to the end on each side (the
//	                           first "0" argument is the cursor) and compare the sorted,
//	                           de-duplicated elements
//	@norm NAME [ARG...]        normalize the next command's replies (see NormalizerByName)
var directiveArity = map[string][2]int{ // min, max arguments; -1 = any
	"conn": {1, 1}, "resp3": {0, 0}, "resp2": {0, 0}, "flush": {0, 0}, "sleep": {1, 1},
	"send": {1, -1}, "read": {0, 0}, "noreply": {0, 1}, "raw": {1, 1}, "reconnect": {0, 0},
	"scan": {2, -1}, "norm": {1, -1},
}

// LoadScript reads and parses a case file.
func LoadScript(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseScript(path, string(b))
}

// ParseScript parses case-file text; name is used in positions.
func ParseScript(name, text string) (*Script, error) {
	s := &Script{Name: name}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		st := Step{File: name, Line: n, Args: args}
		if strings.HasPrefix(args[0], "@") {
			st.Directive, st.Args = strings.ToLower(args[0][1:]), args[1:]
			ar, ok := directiveArity[st.Directive]
			if !ok {
				return nil, fmt.Errorf("%s:%d: unknown directive @%s", name, n, st.Directive)
			}
			if len(st.Args) < ar[0] || (ar[1] >= 0 && len(st.Args) > ar[1]) {
				return nil, fmt.Errorf("%s:%d: wrong number of arguments for @%s", name, n, st.Directive)
			}
			if err := checkDirective(st); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
		}
		s.Steps = append(s.Steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return s, nil
}

func checkDirective(st Step) error {
	switch st.Directive {
	case "conn", "sleep", "noreply":
		for _, a := range st.Args {
			if n, err := strconv.Atoi(a); err != nil || n < 0 {
				return fmt.Errorf("@%s wants a non-negative number, got %q", st.Directive, a)
			}
		}
	case "norm":
		if _, err := NormalizerByName(st.Args); err != nil {
			return err
		}
	case "scan":
		if scanCursorIndex(st.Args) < 0 {
			return fmt.Errorf("@scan needs a 0 cursor argument")
		}
	}
	return nil
}
