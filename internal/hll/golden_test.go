package hll

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestGolden replays testdata/golden.txt (captured from redis-server 7.0.15 by
// gen_golden.go) through PFAdd/PFCount/PFCountUnion/PFMerge: every reply and the final bytes
// of every key must match what Redis answered and stored.
func TestGolden(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "golden.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(text), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("bad golden line %q", line)
		}
		n++
		t.Run(f[0], func(t *testing.T) { replayGolden(t, f[0], f[1], strings.Fields(f[2])) })
	}
	if n < 10 {
		t.Fatalf("only %d golden cases", n)
	}
}

func replayGolden(t *testing.T, name, steps string, want []string) {
	keys := map[string][]byte{}
	sparseMax := DefaultSparseMaxBytes
	var got []string
	for _, st := range strings.Split(steps, ";") {
		f := strings.Fields(st)
		switch f[0] {
		case "add":
			out, updated, err := PFAdd(keys[f[1]], toBytes(elements(t, f[2])), sparseMax)
			if err != nil {
				t.Fatalf("%s: %v", st, err)
			}
			keys[f[1]] = out
			got = append(got, strconv.Itoa(b2i(updated)))
		case "count":
			var card uint64
			var err error
			if len(f) == 2 {
				var out []byte
				card, out, err = PFCount(keys[f[1]])
				if out != nil {
					keys[f[1]] = out
				}
			} else {
				vs := make([][]byte, 0, len(f)-1)
				for _, k := range f[1:] {
					vs = append(vs, keys[k])
				}
				card, err = PFCountUnion(vs)
			}
			if err != nil {
				t.Fatalf("%s: %v", st, err)
			}
			got = append(got, strconv.FormatUint(card, 10))
		case "merge":
			vs := make([][]byte, 0, len(f)-1)
			for _, k := range f[1:] {
				vs = append(vs, keys[k])
			}
			out, err := PFMerge(vs, sparseMax)
			if err != nil {
				t.Fatalf("%s: %v", st, err)
			}
			keys[f[1]] = out
			got = append(got, "OK")
		case "config":
			sparseMax, _ = strconv.Atoi(f[1])
		default:
			t.Fatalf("unknown step %q", st)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("replies\n got %v\nwant %v", got, want)
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		wantV, err := os.ReadFile(filepath.Join("testdata", name+"-"+k+".hll"))
		if err != nil {
			t.Fatal(err)
		}
		if gotV := keys[k]; !bytes.Equal(gotV, wantV) {
			t.Errorf("key %s: value differs from redis (len %d, want %d) at offset %d", k, len(gotV), len(wantV), firstDiff(gotV, wantV))
		}
		wantD, err := os.ReadFile(filepath.Join("testdata", name+"-"+k+".decode"))
		if errors.Is(err, os.ErrNotExist) {
			if keys[k][4] == Sparse {
				t.Errorf("key %s: sparse here, but no sparse decode golden", k)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if gotD := Decode(keys[k]); gotD != strings.TrimSuffix(string(wantD), "\n") {
			t.Errorf("key %s: PFDEBUG DECODE\n got %s\nwant %s", k, gotD, wantD)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// elements expands lit:a,b / seq:PREFIX:N / rand:SEED:N exactly as gen_golden.go does.
func elements(t testing.TB, spec string) []string {
	kind, rest, _ := strings.Cut(spec, ":")
	switch kind {
	case "lit":
		if rest == "" {
			return nil
		}
		return strings.Split(rest, ",")
	case "seq":
		i := strings.LastIndexByte(rest, ':')
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			break
		}
		out := make([]string, n)
		for j := range out {
			out[j] = rest[:i] + strconv.Itoa(j)
		}
		return out
	case "rand":
		a, b, _ := strings.Cut(rest, ":")
		seed, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil {
			break
		}
		out := make([]string, n)
		r := splitmix(seed)
		for j := range out {
			l := int(r.next() % 41)
			b := make([]byte, 0, 48)
			for len(b) < l {
				b = binary.LittleEndian.AppendUint64(b, r.next())
			}
			out[j] = string(b[:l])
		}
		return out
	}
	t.Fatalf("bad element spec %q", spec)
	return nil
}

// splitmix is SplitMix64, a small seeded generator.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
