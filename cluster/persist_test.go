package cluster

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotdb/slotdb/cluster/state"
)

func TestLoadConfigMissingEmptyCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := "0123456789abcdef0123456789abcdef01234567 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\nvars currentEpoch 1 lastVoteEpoch 0\n"
	for _, tc := range []struct {
		name    string
		data    *string // nil: no file
		wantNil bool
		wantErr string
	}{
		{"missing", nil, true, ""},
		{"empty", ptr(""), true, ""},
		{"good", ptr(good), false, ""},
		{"corrupt", ptr("vars currentEpoch 0 lastVoteEpoch 0\nnot a node\n"), false, `corrupted cluster config file "` + filepath.Join(dir, "corrupt") + `": corrupted cluster config, line 2`},
	} {
		path := filepath.Join(dir, tc.name)
		if tc.data != nil {
			if err := os.WriteFile(path, []byte(*tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := loadConfig(path)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || (c == nil) != tc.wantNil {
			t.Errorf("%s: config %v, error %v", tc.name, c, err)
		}
		if c != nil && (len(c.Nodes) != 1 || c.CurrentEpoch != 1) {
			t.Errorf("%s: parsed %+v", tc.name, c)
		}
	}
}

func ptr(s string) *string { return &s }

// writeConfig replaces the file whole and leaves no temp file behind.
func TestWriteConfigReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	for _, data := range []string{"a much longer first version\n", "short\n"} {
		for _, sync := range []bool{false, true} {
			if err := writeConfig(path, []byte(data), sync); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != data {
				t.Fatalf("read back %q, %v; want %q", got, err, data)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only nodes.conf", len(entries))
	}
	if err := writeConfig(filepath.Join(dir, "missing", "nodes.conf"), []byte("x"), true); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// Concurrent CLUSTER commands share nodes.conf saves, and each returns only once the file
// holds its change.
func TestSavesCoalesced(t *testing.T) {
	n, _ := testNode(t)
	path := n.opts.ConfigFile
	before := n.sv.writes.Load()
	const clients = 40
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot := strconv.Itoa(1000 + i)
			var err error
			n.Do(func(now int64, st *state.State) state.Output {
				out, e := st.AddSlots(now, []string{slot})
				err = e
				return out
			})
			if err != nil {
				errs <- err
				return
			}
			data, err := os.ReadFile(path)
			if err != nil {
				errs <- err
				return
			}
			if !slotInConf(string(data), 1000+i) {
				errs <- fmt.Errorf("ADDSLOTS %s returned before nodes.conf held the slot:\n%s", slot, data)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if w := n.sv.writes.Load() - before; w >= clients || w < 1 {
		t.Fatalf("%d saves for %d concurrent commands, want fewer than one each", w, clients)
	} else {
		t.Logf("%d commands, %d saves", clients, w)
	}
}

// slotInConf reports whether myself's line of a nodes.conf text covers slot.
func slotInConf(conf string, slot int) bool {
	for _, l := range strings.Split(conf, "\n") {
		f := strings.Fields(l)
		if len(f) < 8 || !strings.Contains(f[2], "myself") {
			continue
		}
		for _, tok := range f[8:] {
			lo, hi, ok := strings.Cut(tok, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && slot >= a && slot <= b {
				return true
			}
		}
	}
	return false
}

// A message queued after a change goes out only once nodes.conf holds the change.
func TestMessagesWaitForSave(t *testing.T) {
	n := &Node{done: make(chan struct{}), conns: map[state.LinkID]*conn{}}
	n.sv.init()
	n.nodeTimeout.Store(1000)
	local, remote := net.Pipe()
	defer remote.Close()
	c := newConn(1, local)
	n.conns[1] = c
	n.wg.Add(1)
	go n.writeLoop(c)
	defer func() { c.shutdown(); close(n.done); n.wg.Wait() }()
	n.mu.Lock()
	gen := n.markLocked(true)
	n.mu.Unlock()
	c.enqueue([]byte("ping"), gen)
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(remote, buf); err == nil {
			got <- string(buf)
		}
	}()
	select {
	case m := <-got:
		t.Fatalf("%q written before the save", m)
	case <-time.After(100 * time.Millisecond):
	}
	n.finishSave(gen)
	select {
	case m := <-got:
		if m != "ping" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not written after the save")
	}
}
