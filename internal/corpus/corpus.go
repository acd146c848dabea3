// Package corpus finds the shared test corpus: real bytes captured from Redis 7.0.15 that live
// beside the repository at <repo root>/../shared/testdata (CI checks the repository out with
// shared/ next to it). Tests read it in place; a missing corpus fails the test, so a golden
// test can never pass silently without its data.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory joined with elem (e.g. Dir(t, "clusterbus")).
func Dir(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := Find(elem...)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Find is Dir without a test: it returns an error when the directory is missing.
func Find(elem ...string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("corpus: no go.mod above the working directory")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, elem...)...)
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("corpus: test data missing at %s (the repository expects shared/ beside it)", p)
	}
	return p, nil
}
