package config

import "strconv"

// Version is the Redis version slotdb reports in config errors.
const Version = "7.0.15"

// FatalError is a configuration error that stops startup. Error returns the
// exact bytes redis-server writes to stderr before exiting with status 1.
type FatalError struct {
	Line int    // 1-based line in the text being parsed; 0 for end-of-file checks
	Text string // the offending line, trimmed
	Msg  string
}

func (e *FatalError) Error() string {
	s := "\n*** FATAL CONFIG FILE ERROR (Redis " + Version + ") ***\n"
	if e.Line > 0 {
		s += "Reading the configuration file, at line " + strconv.Itoa(e.Line) + "\n>>> '" + e.Text + "'\n"
	}
	return s + e.Msg + "\n"
}

// OpenError is a config file (or include) that cannot be read. Redis logs
// Error() as a warning log line and exits with status 1.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return "Fatal error, can't open config file '" + e.Path + "': " + strerror(e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

// StartupError is a check Redis makes once the server is initialised (module
// configs without a module); it is logged and the process exits with 1.
type StartupError struct{ Msg string }

func (e *StartupError) Error() string { return e.Msg }
