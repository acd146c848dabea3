package rdb

import (
	"errors"
	"fmt"
)

// Error is a decoding error at a byte offset of the input.
type Error struct {
	Offset int64
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("rdb: offset %d: %s", e.Offset, e.Msg)
}

// errInternal marks a runtime fault caught inside the decoder (a bug, not
// bad input); the fuzz tests fail on it.
var errInternal = errors.New("internal decoder fault")

// failure is what the decoder panics with; recoverErr turns it (and any
// runtime fault) back into an error at the API boundary, so that deep blob
// parsers need not thread errors through every call.
type failure struct{ err error }

// recoverErr is deferred by every exported decoding entry point.
func recoverErr(errp *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(failure); ok {
		*errp = f.err
		return
	}
	*errp = fmt.Errorf("rdb: %w: %v", errInternal, r)
}
