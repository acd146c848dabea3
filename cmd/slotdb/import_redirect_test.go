package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/rdb"
)

// TestImportFollowsRedirects: keys sent to the wrong master come back MOVED and are
// re-sent to the owner (a stale slot map: every slot on the first master), and the keys of
// a slot being migrated, absent on the source, come back ASK and are restored on the
// importing node after ASKING. Nothing fails, every key lands where it belongs.
func TestImportFollowsRedirects(t *testing.T) {
	nodes := twoMasters(t)
	a, b := nodes[0].Dial(t), nodes[1].Dial(t)
	idOf := func(c interface {
		Do(...string) ([]byte, error)
	}) string {
		raw, _ := c.Do("CLUSTER", "MYID")
		_, v, _ := strings.Cut(strings.TrimSpace(string(raw)), "\r\n")
		return v
	}
	// The slot of the first key that a owns moves from a to b: a MIGRATING, b IMPORTING.
	slot := -1
	for i := 1; slot < 0; i++ {
		if ks := int(keyslot.Of([]byte("key" + strconv.Itoa(i)))); ks <= 8191 {
			slot = ks
		}
	}
	s := strconv.Itoa(slot)
	if got, _ := b.Do("CLUSTER", "SETSLOT", s, "IMPORTING", idOf(a)); string(got) != "+OK\r\n" {
		t.Fatalf("SETSLOT IMPORTING: %q", got)
	}
	if got, _ := a.Do("CLUSTER", "SETSLOT", s, "MIGRATING", idOf(b)); string(got) != "+OK\r\n" {
		t.Fatalf("SETSLOT MIGRATING: %q", got)
	}

	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, 0)
	for i := 1; i <= 100; i++ {
		k := "key" + strconv.Itoa(i)
		w.WriteEntry(&rdb.Entry{Key: []byte(k), Object: rdb.Object{Kind: rdb.KindString, Str: []byte("v" + k)}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	topo, err := discover(nodes[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := range topo.owner { // stale: everything on a
		topo.owner[i] = 0
	}
	topo.masters = topo.masters[:1]
	if topo.masters[0] != nodes[0].Addr() {
		t.Fatalf("masters %v", topo.masters)
	}
	im := &importer{topo: topo, conns: map[string]*conn{}, pending: map[string][]*importItem{}, curDB: map[string]int{}}
	defer im.close()
	im.p = newProgress("import", 0)
	err = im.source(file, -1)
	if err == nil {
		err = im.drainAll()
	}
	im.p.finish()
	if err != nil || im.p.failed.Load() != 0 || im.p.keys.Load() != 100 {
		t.Fatalf("import: %v, %d keys, %d failed %v", err, im.p.keys.Load(), im.p.failed.Load(), im.fails)
	}
	var onA, onB int
	for i := 1; i <= 100; i++ {
		k := "key" + strconv.Itoa(i)
		switch ks := int(keyslot.Of([]byte(k))); {
		case ks == slot:
			b.Do("ASKING")
			if got, _ := b.Do("GET", k); string(got) != "$"+strconv.Itoa(len(k)+1)+"\r\nv"+k+"\r\n" {
				t.Errorf("%s (migrating slot) on the importing node: %q", k, got)
			}
			// Absent on the source, which sends the client on with ASK.
			if got, _ := a.Do("EXISTS", k); !strings.HasPrefix(string(got), "-ASK "+strconv.Itoa(slot)+" ") {
				t.Errorf("%s (migrating slot) on the source: %q", k, got)
			}
		case ks <= 8191:
			onA++
		default:
			onB++
		}
	}
	if got, _ := a.Do("DBSIZE"); string(got) != ":"+strconv.Itoa(onA)+"\r\n" {
		t.Errorf("DBSIZE on a = %q, want %d", got, onA)
	}
	if got, _ := b.Do("DBSIZE"); string(got) != ":"+strconv.Itoa(100-onA)+"\r\n" {
		t.Errorf("DBSIZE on b = %q, want %d (%d of its slots + the migrating slot)", got, 100-onA, onB)
	}
	// MOVED taught the importer the owner of b's slots it wrote to.
	for i := 1; i <= 100; i++ {
		if ks := keyslot.Of([]byte("key" + strconv.Itoa(i))); ks > 8191 {
			if got := im.topo.masters[im.topo.owner[ks]]; got != nodes[1].Addr() {
				t.Errorf("slot %d maps to %s after MOVED", ks, got)
			}
		}
	}
}
