package bus

import (
	"errors"
	"fmt"
)

// Error kinds; match them with errors.Is. The first three are framing errors: Redis closes
// the link on them ("bad message length or signature"). The others make Redis drop the one
// packet and keep the link.
var (
	ErrSignature   = errors.New("bad signature")                                // not "RCmb"
	ErrFrameLength = errors.New("bad totlen")                                   // < HeaderLen or above the reader's limit
	ErrTruncated   = errors.New("truncated message")                            // fewer bytes than totlen
	ErrVersion     = errors.New("unsupported protocol version")                 // ver != 1
	ErrLength      = errors.New("totlen does not match the message type")       // includes absurd counts
	ErrExtension   = errors.New("malformed ping extension")                     // length not a multiple of 8, < 8, or past the end
	ErrTrailing    = errors.New("buffer holds bytes beyond the message totlen") // Decode got more than one message
)

// DecodeError is the error type of Decode and ReadFrame: a kind, the byte offset in the
// message where the problem was found, and details.
type DecodeError struct {
	Kind   error
	Offset int
	Detail string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("cluster bus: %v at offset %d: %s", e.Kind, e.Offset, e.Detail)
}

func (e *DecodeError) Unwrap() error { return e.Kind }

// IsFraming reports whether err means the byte stream itself is unusable (bad signature,
// impossible totlen, short read), after which Redis closes the link.
func IsFraming(err error) bool {
	return errors.Is(err, ErrSignature) || errors.Is(err, ErrFrameLength) || errors.Is(err, ErrTruncated)
}

func errorf(kind error, off int, format string, args ...any) error {
	return &DecodeError{Kind: kind, Offset: off, Detail: fmt.Sprintf(format, args...)}
}
