package aof

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"

	"github.com/slotdb/slotdb/rdb"
)

// testdata returns the shared AOF corpus directory.
func testdata(t testing.TB) string { t.Helper(); return corpus.Dir(t, "aof") }

// rdbKeys records what an RDB hook loaded: one "db/key" per key, per call.
type rdbKeys struct {
	calls [][]string
}

// hook loads the RDB part with the rdb package's reader, which stops right
// after the checksum, and records its keys.
func (k *rdbKeys) hook(br *bufio.Reader) error {
	rd := rdb.NewReader(br)
	var keys []string
	for {
		e, err := rd.Next()
		if err == io.EOF {
			k.calls = append(k.calls, keys)
			return nil
		}
		if err != nil {
			return err
		}
		keys = append(keys, strconv.Itoa(e.DB)+"/"+string(e.Key))
	}
}

// render shows an Entry compactly: "db0 SET k v", or "TXN{db0 SET a | ...}".
func render(e Entry) string {
	var parts []string
	for _, c := range e.Cmds {
		s := "db" + strconv.Itoa(c.DB)
		for _, a := range c.Argv {
			s += " " + quoteArg(a)
		}
		parts = append(parts, s)
	}
	if e.Txn {
		return "TXN{" + strings.Join(parts, " | ") + "}"
	}
	return strings.Join(parts, "")
}

func quoteArg(a []byte) string {
	s := string(a)
	if s == "" {
		return `""`
	}
	for _, c := range a {
		if c <= ' ' || c > '~' || c == '"' || c == '|' {
			return strconv.Quote(s)
		}
	}
	return s
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// collect reads everything with Read and renders the entries.
func collect(t testing.TB, data []byte, opts Options) ([]Entry, *Truncation, error) {
	t.Helper()
	var es []Entry
	tr, err := Read(strings.NewReader(string(data)), "appendonly.aof", opts, func(e Entry) error {
		es = append(es, e)
		return nil
	})
	return es, tr, err
}

func renderAll(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = render(e)
	}
	return out
}
