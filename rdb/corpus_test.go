package rdb

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusPath returns <repo root>/../shared/testdata/<rel>. The corpus is not
// copied into the repo; a missing corpus fails the test instead of skipping.
func corpusPath(t testing.TB, rel string) string {
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
	root := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("test corpus missing: %v", err)
	}
	return filepath.Join(root, rel)
}
