package proctest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// Ports are drawn from [portMin, portMax] so that port+BusOffset (the cluster bus) stays below
// 32768, where the kernel's ephemeral range begins.
const (
	portMin   = 10000
	portMax   = 22767
	BusOffset = 10000
)

var (
	portMu   sync.Mutex
	portUsed = map[int]bool{}     // handed out in this process
	portLock = map[int]*os.File{} // held until the process exits
)

// FreePort returns a loopback TCP port below 32768 that is free now, together with port+10000
// (the cluster bus port). Ports are never handed out twice in one process, and an advisory
// lock file (flock, released when the process exits) keeps other test binaries using this
// package from picking the same port concurrently.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("proctest: %v", err)
	}
	return p
}

func freePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for try := 0; try < 200; try++ {
		p := portMin + rand.IntN(portMax-portMin+1)
		if portUsed[p] {
			continue
		}
		f, ok := lockPort(p)
		if !ok {
			continue
		}
		if !canListen(p) || !canListen(p+BusOffset) {
			f.Close()
			continue
		}
		portUsed[p] = true
		portLock[p] = f
		return p, nil
	}
	return 0, fmt.Errorf("no free loopback port found in %d-%d", portMin, portMax)
}

func canListen(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// lockPort takes an exclusive, non-blocking flock on a per-port file shared by all processes
// of this user. Failing to create the file degrades to the listen check alone.
func lockPort(p int) (*os.File, bool) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("slotdb-proctest-ports-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, true
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(p)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}
