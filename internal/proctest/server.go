package proctest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for starting and stopping servers.
var (
	StartTimeout = 15 * time.Second // until the server answers PING
	StopTimeout  = 10 * time.Second // between SIGTERM and SIGKILL
)

// Server is a server process started by a test. It is stopped, by its PID, when the test ends.
type Server struct {
	Name string // "redis" or "slotdb", for messages
	Bin  string
	Port int
	PID  int
	Dir  string // working directory and --dir
	Log  string // file holding the process's stdout and stderr

	// TolerateExit, when set, makes an exit nobody asked for (a crash) a logged event with the
	// log tail instead of a test failure. The differential tests set it while their mismatch
	// gate is off, since a crash there already shows as mismatches.
	TolerateExit bool

	t     testing.TB
	conf  string   // optional config file, first on the command line
	fixed []string // directives after --port that every start passes
	args  []string // the caller's directives, last so they win

	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{} // closed when the current process has exited
	werr       error         // its exit status
	stopping   bool          // a signal was sent on purpose (Kill, Stop, Restart, cleanup)
	unexpected []string      // exits nobody asked for
}

// Addr returns 127.0.0.1:Port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Dial opens a connection to the server, closed at the end of the test.
func (s *Server) Dial(t testing.TB) *Conn {
	t.Helper()
	return MustDial(t, s.Addr())
}

// newServer prepares a server; base builds the fixed directives for a port and dir.
func newServer(t testing.TB, name, bin string, args []string) *Server {
	s := &Server{Name: name, Bin: bin, Dir: t.TempDir(), t: t}
	s.Log = filepath.Join(s.Dir, name+".log")
	// redis-server's form: [configfile] --directive value ...; a leading non-option is the file.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		s.conf, args = args[0], args[1:]
	}
	s.args = args
	return s
}

// cmdline returns the full argument list for the current port.
func (s *Server) cmdline() []string {
	var a []string
	if s.conf != "" {
		a = append(a, s.conf)
	}
	a = append(a, "--port", strconv.Itoa(s.Port))
	a = append(a, s.fixed...)
	return append(a, s.args...)
}

// start launches the process on a fresh free port (retrying a few times if the port was taken
// meanwhile) and waits until it answers PING.
func (s *Server) start() {
	s.t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.Port == 0 || attempt > 0 {
			s.Port = FreePort(s.t)
		}
		err := s.launch(s.cmdline())
		if err == nil {
			return
		}
		lastErr = err
		if !strings.Contains(s.LogTail(4096), "in use") {
			break
		}
	}
	s.t.Fatalf("proctest: %s did not start: %v\n--- %s log tail ---\n%s", s.Name, lastErr, s.Name, s.LogTail(4096))
}

// launch runs the process once and waits for PING.
func (s *Server) launch(argv []string) error {
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "### proctest: %s %s\n", s.Bin, strings.Join(argv, " "))
	cmd := exec.Command(s.Bin, argv...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.PID, s.stopping = cmd, done, cmd.Process.Pid, false
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		s.mu.Lock()
		s.werr = err
		if !s.stopping {
			s.unexpected = append(s.unexpected, fmt.Sprintf("pid %d exited unexpectedly (%v)", cmd.Process.Pid, err))
		}
		s.mu.Unlock()
		close(done)
	}()
	if err := s.waitPing(done); err != nil {
		s.signalAndWait(syscall.SIGKILL, StopTimeout)
		s.mu.Lock()
		s.unexpected = nil // reported by the caller, with the log
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *Server) waitPing(done chan struct{}) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		select {
		case <-done:
			s.mu.Lock()
			err := s.werr
			s.mu.Unlock()
			return fmt.Errorf("exited before answering PING (%v)", err)
		default:
		}
		if c, err := Dial(s.Addr()); err == nil {
			c.SetTimeout(2 * time.Second)
			reply, err := c.Do("PING")
			c.Close()
			// NOAUTH also proves the server is up and serving.
			if err == nil && (string(reply) == "+PONG\r\n" || bytes.HasPrefix(reply, []byte("-NOAUTH"))) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG on %s within %v", s.Addr(), StartTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (s *Server) Kill() { s.signalAndWait(syscall.SIGKILL, StopTimeout) }

// Stop sends SIGTERM, then SIGKILL if the process has not exited within StopTimeout. It
// reports whether the process exited on SIGTERM.
func (s *Server) Stop() bool {
	if s.signalAndWait(syscall.SIGTERM, StopTimeout) {
		return true
	}
	s.signalAndWait(syscall.SIGKILL, StopTimeout)
	return false
}

// signalAndWait signals exactly this server's PID and reports whether it exited within d.
func (s *Server) signalAndWait(sig syscall.Signal, d time.Duration) bool {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.stopping = true
	s.mu.Unlock()
	if cmd == nil {
		return true
	}
	select {
	case <-done:
		return true
	default:
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// ExitErr returns the exit status of the last process after it exited (nil if it exited 0).
func (s *Server) ExitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.werr
}

// LogTail returns up to the last n bytes of the server's output.
func (s *Server) LogTail(n int) string {
	f, err := os.Open(s.Log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	off := st.Size() - int64(n)
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil && !errors.Is(err, io.EOF) {
		return err.Error()
	}
	return string(b)
}

// cleanup stops the server and prints its log tail when the test failed.
func (s *Server) cleanup() {
	clean := s.Stop()
	s.mu.Lock()
	crashes := s.unexpected
	s.mu.Unlock()
	if len(crashes) > 0 {
		msg := fmt.Sprintf("proctest: %s %s\n--- %s log tail ---\n%s", s.Name, strings.Join(crashes, "; "), s.Name, s.LogTail(8192))
		if s.TolerateExit {
			s.t.Log(msg + "\n(tolerated: TolerateExit is set)")
		} else {
			s.t.Error(msg)
		}
		return
	}
	if s.t.Failed() || !clean {
		s.t.Logf("--- %s (pid %d, port %d) log tail ---\n%s", s.Name, s.PID, s.Port, s.LogTail(4096))
	}
	if !clean {
		s.t.Logf("proctest: %s pid %d ignored SIGTERM for %v and was killed", s.Name, s.PID, StopTimeout)
	}
}

// Restart stops the server (SIGTERM, then SIGKILL) if it is running and starts it again with
// the same port, directory and arguments, waiting until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.launch(s.cmdline()); err != nil {
		s.t.Fatalf("proctest: %s did not restart: %v\n--- %s log tail ---\n%s", s.Name, err, s.Name, s.LogTail(4096))
	}
}
