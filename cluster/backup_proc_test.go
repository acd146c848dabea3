package cluster_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slotdb/slotdb/internal/keyslot"
	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/rdb"
)

// redis-cli --cluster backup against three slotdb masters: SYNC to each master, one RDB
// per master holding exactly its keys, and nodes.json describing the cluster.
func TestClusterBackup(t *testing.T) {
	t.Parallel()
	a, b, c := startSlotdb(t), startSlotdb(t), startSlotdb(t)
	nodes := []*proctest.Server{a, b, c}
	meetAll(t, nodes...)
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	for i, s := range nodes {
		mustOK(t, s, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(ranges[i][0]), strconv.Itoa(ranges[i][1]))
	}
	waitClusterOK(t, nodes...)
	waitAgree(t, nodes...)
	writeKeys(t, a, 100)

	dir := t.TempDir()
	out, err := cli(t, "", "--cluster", "backup", a.Addr(), dir)
	if err != nil || !strings.Contains(out, "[OK] Backup created into: "+dir) {
		t.Fatalf("--cluster backup: %v\n%s", err, out)
	}
	seen := map[string]string{}
	for i, s := range nodes {
		id := myID(t, s)
		path := filepath.Join(dir, fmt.Sprintf("redis-node-127.0.0.1-%d-%s.rdb", s.Port, id))
		keys := readRDBStrings(t, path)
		if len(keys) == 0 {
			t.Errorf("%s holds no key", path)
		}
		for k, v := range keys {
			if slot := int(keyslot.Of([]byte(k))); slot < ranges[i][0] || slot > ranges[i][1] {
				t.Errorf("%s holds %s of slot %d, outside %v", path, k, slot, ranges[i])
			}
			if _, dup := seen[k]; dup {
				t.Errorf("%s in two backups", k)
			}
			seen[k] = v
		}
		if n := dbsize(t, s); n != len(keys) {
			t.Errorf("%s holds %d keys, the node %d", path, len(keys), n)
		}
	}
	for i := 1; i <= 100; i++ {
		if v := seen["key"+strconv.Itoa(i)]; v != "v"+strconv.Itoa(i) {
			t.Errorf("key%d in the backups = %q", i, v)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var desc []struct {
		Name       string  `json:"name"`
		Port       int     `json:"port"`
		Slots      [][]int `json:"slots"`
		SlotsCount int     `json:"slots_count"`
	}
	if err := json.Unmarshal(data, &desc); err != nil {
		t.Fatalf("nodes.json: %v\n%s", err, data)
	}
	if len(desc) != 3 {
		t.Fatalf("nodes.json lists %d nodes\n%s", len(desc), data)
	}
	for _, d := range desc {
		var i int
		for i = range nodes {
			if nodes[i].Port == d.Port {
				break
			}
		}
		want := ranges[i]
		if nodes[i].Port != d.Port || d.Name != myID(t, nodes[i]) || d.SlotsCount != want[1]-want[0]+1 ||
			len(d.Slots) != 1 || d.Slots[0][0] != want[0] || d.Slots[0][1] != want[1] {
			t.Errorf("nodes.json entry %+v, want port %d slots %v", d, nodes[i].Port, want)
		}
	}
}

// readRDBStrings reads an RDB file whose keys are all strings of db 0.
func readRDBStrings(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdb.NewReader(bufio.NewReader(f))
	out := map[string]string{}
	for {
		en, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if en.DB != 0 || en.Object.Kind != rdb.KindString {
			t.Fatalf("%s: key %q in db %d of kind %v", path, en.Key, en.DB, en.Object.Kind)
		}
		out[string(en.Key)] = string(en.Object.Str)
	}
}
