package rdb

import (
	"path/filepath"
	"testing"

	"github.com/slotdb/slotdb/internal/corpus"
)

// corpusPath returns the shared corpus path <testdata>/<rel>.
func corpusPath(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(corpus.Dir(t), rel)
}
