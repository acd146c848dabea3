package nodesconf

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusDir returns <repo root>/../shared/testdata/clusterbus and fails the test when it is
// missing: the golden tests must not silently pass without their data.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "testdata", "clusterbus")
	if fi, err := os.Stat(corpus); err != nil || !fi.IsDir() {
		t.Fatalf("test corpus missing: %s (%v)", corpus, err)
	}
	return corpus
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
