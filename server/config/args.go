package config

import "strings"

// Args is the command line of slotdb-server, read as redis-server reads it.
type Args struct {
	File    string // config file as given ("" for none)
	Stdin   bool   // a lone "-" first or last: read config from stdin too
	Options string // the other arguments turned into config lines
	Version bool   // -v / --version as first argument
	Help    bool   // -h / --help as first argument
}

// ParseArgs reads argv (without the program name) as redis-server 7.0.15's
// main(): a first argument not starting with '-' is the config file; each
// "--name" starts a new config line and the following arguments are quoted
// onto it; "--save" with no value means save "".
func ParseArgs(argv []string) Args {
	var a Args
	if len(argv) == 0 {
		return a
	}
	switch argv[0] {
	case "-v", "--version":
		a.Version = true
		return a
	case "-h", "--help":
		a.Help = true
		return a
	}
	j := 0
	if !strings.HasPrefix(argv[0], "-") {
		a.File = argv[0]
		j = 1
	}
	var opts strings.Builder
	handledLast := true
	for ; j < len(argv); j++ {
		arg := argv[j]
		last := j == len(argv)-1
		switch {
		case arg == "-" && (j == 0 || last):
			a.Stdin = true
		case handledLast && strings.HasPrefix(arg, "--"):
			if opts.Len() > 0 {
				opts.WriteString("\n")
			}
			opts.WriteString(arg[2:])
			opts.WriteString(" ")
			words, ok := SplitArgs(arg)
			if ok && len(words) == 1 {
				handledLast = false
				nextIsOpt := !last && strings.HasPrefix(argv[j+1], "--")
				switch {
				case strings.EqualFold(arg, "--save") && (nextIsOpt || last):
					opts.WriteString(`""`)
					handledLast = nextIsOpt
				case strings.EqualFold(arg, "--sentinel") && nextIsOpt:
					handledLast = true
				}
			} else {
				handledLast = true
			}
		default:
			opts.WriteString(Repr(arg))
			opts.WriteString(" ")
			handledLast = true
		}
	}
	a.Options = opts.String()
	return a
}

// absolutePath is Redis's getAbsolutePath: cwd joined with the trimmed
// path, leading "../" elements eating the cwd's last components.
func absolutePath(cwd, name string) string {
	rel := strings.Trim(name, " \r\n\t")
	if strings.HasPrefix(rel, "/") {
		return rel
	}
	abs := cwd
	if abs != "" && !strings.HasSuffix(abs, "/") {
		abs += "/"
	}
	for strings.HasPrefix(rel, "../") {
		rel = rel[3:]
		if len(abs) > 1 {
			i := strings.LastIndexByte(abs[:len(abs)-1], '/')
			abs = abs[:i+1]
		}
	}
	return abs + rel
}
