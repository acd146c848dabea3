package replication

import "strconv"

// AppendCommand appends argv as a RESP multibulk, the form of every command in the stream.
func AppendCommand(b []byte, argv ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(argv)), 10)
	b = append(b, '\r', '\n')
	for _, a := range argv {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// CommandLen is the size of argv in RESP.
func CommandLen(argv [][]byte) int64 {
	n := 1 + len(strconv.Itoa(len(argv))) + 2
	for _, a := range argv {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return int64(n)
}
