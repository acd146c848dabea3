package bus

import "errors"

// NodeName is a 40-byte node id as it sits on the wire (not NUL-terminated). Kept as raw
// bytes so a message with a malformed id still re-encodes byte for byte.
type NodeName [NameLen]byte

// ErrBadNodeName is returned by ParseNodeName.
var ErrBadNodeName = errors.New("node name must be 40 characters of a-z0-9")

// ParseNodeName checks s the way Redis's verifyClusterNodeId does (40 chars, a-z and 0-9).
func ParseNodeName(s string) (NodeName, error) {
	var n NodeName
	if !ValidNodeName(s) {
		return n, ErrBadNodeName
	}
	copy(n[:], s)
	return n, nil
}

// ValidNodeName reports whether s is an id Redis accepts: exactly 40 chars of a-z0-9.
func ValidNodeName(s string) bool {
	if len(s) != NameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// IsZero reports whether all 40 bytes are zero (the header slaveof field of a master).
func (n NodeName) IsZero() bool { return n == NodeName{} }

func (n NodeName) String() string { return string(n[:]) }

// IP is a NUL-terminated, zero-padded 46-byte address field (header myip, gossip ip). The
// raw bytes are kept, including anything after the NUL, for exact re-encoding.
type IP [IPLen]byte

// MakeIP builds the field from s; s is cut to 45 bytes so a NUL always follows it.
func MakeIP(s string) IP {
	var ip IP
	copy(ip[:IPLen-1], s)
	return ip
}

// String returns the bytes before the first NUL (Redis reads the field as a C string).
func (ip IP) String() string {
	for i, c := range ip {
		if c == 0 {
			return string(ip[:i])
		}
	}
	return string(ip[:])
}
