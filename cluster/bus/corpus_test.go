package bus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"
)

// corpusDir returns the shared clusterbus corpus directory.
func corpusDir(t testing.TB) string { t.Helper(); return corpus.Dir(t, "clusterbus") }

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
