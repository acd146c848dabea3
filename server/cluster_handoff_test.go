package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slotdb/slotdb/cluster"
	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// fakeOwner is a RESP listener that answers each RESTORE from replies by key.
type fakeOwner struct {
	ln      net.Listener
	mu      sync.Mutex
	got     map[string][]string // key -> RESTORE arguments after the key
	replies map[string]string
}

func startFakeOwner(t *testing.T, replies map[string]string) *fakeOwner {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOwner{ln: ln, got: map[string][]string{}, replies: replies}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeOwner) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		argv, err := readCommand(r)
		if err != nil {
			return
		}
		reply := "-ERR unexpected command"
		if len(argv) >= 4 && argv[0] == "RESTORE" {
			f.mu.Lock()
			f.got[argv[1]] = argv[2:]
			reply = f.replies[argv[1]]
			f.mu.Unlock()
		}
		if _, err := io.WriteString(c, reply+"\r\n"); err != nil {
			return
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	argv := make([]string, n)
	for i := range argv {
		if line, err = r.ReadString('\n'); err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		argv[i] = string(buf[:size])
	}
	return argv, nil
}

// The owner's answer decides each key: +OK and BUSYKEY delete it here, anything else keeps
// it and stops the slot with an error.
func TestHandoffSlotDeletesOnlyAnsweredKeys(t *testing.T) {
	eng, err := engine.Open(engine.Options{Dir: t.TempDir(), Databases: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	s := New(Options{Engine: eng, Config: NewSettings(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rp := s.NewReplayer()
	for _, cmd := range [][]string{
		{"SET", "{t}a", "va"}, {"SET", "{t}b", "vb"}, {"SET", "{t}c", "vc"}, {"RPUSH", "{t}d", "x", "y"},
		{"PEXPIRE", "{t}d", "100000"},
	} {
		argv := make([][]byte, len(cmd))
		for i, a := range cmd {
			argv[i] = []byte(a)
		}
		if err := rp.Apply(0, argv); err != nil {
			t.Fatal(err)
		}
	}
	slot := int(engine.Slot([]byte("{t}")))
	owner := startFakeOwner(t, map[string]string{
		"{t}a": "+OK",
		"{t}b": "-BUSYKEY Target key name already exists.",
		"{t}c": "-ERR boom",
		"{t}d": "+OK",
	})
	port := owner.ln.Addr().(*net.TCPAddr).Port
	res, err := s.handoffSlot(context.Background(), slot, cluster.HandoffTarget{ID: "owner", IP: "127.0.0.1", Port: port})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v, want the owner's ERR boom", err)
	}
	if res.Restored != 2 || res.Existing != 1 {
		t.Fatalf("result %+v, want 2 restored and 1 existing", res)
	}
	keys, err := eng.GetKeysInSlot(uint16(slot), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0]) != "{t}c" {
		t.Fatalf("keys left here %q, want only {t}c (not acknowledged)", keys)
	}
	owner.mu.Lock()
	a, d := owner.got["{t}a"], owner.got["{t}d"]
	owner.replies["{t}c"] = "+OK" // for the next pass
	owner.mu.Unlock()
	if len(a) != 2 || a[0] != "0" {
		t.Fatalf("RESTORE {t}a args %q: want ttl 0 and a payload, no REPLACE", a)
	}
	if o, err := rdb.DecodeDump([]byte(a[1])); err != nil || string(o.Str) != "va" {
		t.Fatalf("payload of {t}a decodes to %+v, %v", o, err)
	}
	if ttl, _ := strconv.Atoi(d[0]); ttl <= 0 || ttl > 100000 {
		t.Fatalf("RESTORE {t}d ttl %q, want the remaining time", d[0])
	}

	// The next pass sends what is left; this time the owner takes it.
	res, err = s.handoffSlot(context.Background(), slot, cluster.HandoffTarget{ID: "owner", IP: "127.0.0.1", Port: port})
	if err != nil || res.Restored != 1 || eng.CountKeysInSlot(uint16(slot)) != 0 {
		t.Fatalf("second pass: %+v, %v, %d keys left", res, err, eng.CountKeysInSlot(uint16(slot)))
	}
}
