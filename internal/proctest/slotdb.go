package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// SlotdbPackage is the import path of the server binary.
const SlotdbPackage = "github.com/slotdb/slotdb/cmd/slotdb-server"

// SlotdbBinEnv names an environment variable that, when set, points at a prebuilt
// slotdb-server binary to use instead of building one.
const SlotdbBinEnv = "SLOTDB_SERVER_BIN"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// ModuleRoot returns the directory holding go.mod, found by walking up from the working
// directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// BuildSlotdbErr builds slotdb-server once per test binary and returns its path, or the build
// error (with the compiler's output).
func BuildSlotdbErr() (string, error) {
	buildOnce.Do(func() {
		if p := os.Getenv(SlotdbBinEnv); p != "" {
			buildPath = p
			return
		}
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		// One directory per test process, named for its PID; directories left by processes
		// that have exited are removed here, as there is no hook at process exit.
		removeStaleBinDirs()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d", binDirPrefix, os.Getpid()))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			buildErr = err
			return
		}
		out := filepath.Join(dir, "slotdb-server")
		cmd := exec.Command("go", "build", "-o", out, SlotdbPackage)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", SlotdbPackage, err, b)
			return
		}
		buildPath = out
	})
	return buildPath, buildErr
}

// BuildSlotdb is BuildSlotdbErr that fails the test on a build error.
func BuildSlotdb(t testing.TB) string {
	t.Helper()
	p, err := BuildSlotdbErr()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartSlotdb builds (once) and starts slotdb-server on a free loopback port with
// --bind 127.0.0.1 --dir <temp dir> followed by args (a leading non-option argument is a config
// file). It waits until the server answers PING and stops exactly that PID at cleanup; the
// process's output is kept in s.Log and its tail printed when the test fails.
func StartSlotdb(t testing.TB, args ...string) *Server {
	t.Helper()
	s := newServer(t, "slotdb", BuildSlotdb(t), args)
	s.fixed = []string{"--bind", "127.0.0.1", "--dir", s.Dir}
	s.start()
	t.Cleanup(s.cleanup)
	return s
}

const binDirPrefix = "slotdb-proctest-bin-"

func removeStaleBinDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, m := range matches {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(m), binDirPrefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(m)
		}
	}
}
