package difftest

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/internal/proctest"
)

// A Normalizer rewrites the reference and candidate replies in place before they are compared,
// replacing what may legitimately differ (ids, times, order) in both, so that everything else
// is still compared byte for byte. It sees both replies so it can apply tolerances.
type Normalizer func(ref, got *proctest.Reply)

// Chain applies normalizers in order.
func Chain(ns ...Normalizer) Normalizer {
	return func(ref, got *proctest.Reply) {
		for _, n := range ns {
			n(ref, got)
		}
	}
}

// walk calls f on every reply in the tree (parents before children).
func walk(r *proctest.Reply, f func(*proctest.Reply)) {
	f(r)
	for _, e := range r.Elems {
		walk(e, f)
	}
}

// Shape keeps only the shape of each reply: types, nulls and aggregate sizes. Scalar payloads
// become "*"; error texts are kept, as errors must still match.
func Shape(ref, got *proctest.Reply) {
	for _, r := range []*proctest.Reply{ref, got} {
		walk(r, func(x *proctest.Reply) {
			if !x.IsAggregate() && !x.Null && x.Type != '-' && x.Type != '!' {
				x.Str = placeholder(x.Type)
			}
		})
	}
}

func placeholder(typ byte) string {
	switch typ {
	case ':':
		return "0"
	case ',':
		return "0"
	case '(':
		return "0"
	case '#':
		return "t"
	case '=':
		return "txt:*"
	}
	return "*"
}

// Sorted sorts the elements of the top-level aggregate (pairs, for maps) by their bytes.
func Sorted(ref, got *proctest.Reply) {
	sortElems(ref, ref.Type == '%')
	sortElems(got, got.Type == '%')
}

// SortedPairs sorts the top-level aggregate as key/value pairs, for RESP2 flat maps.
func SortedPairs(ref, got *proctest.Reply) {
	sortElems(ref, true)
	sortElems(got, true)
}

func sortElems(r *proctest.Reply, pairs bool) {
	if !r.IsAggregate() || r.Null {
		return
	}
	step := 1
	if pairs {
		step = 2
	}
	if len(r.Elems)%step != 0 {
		return
	}
	type group struct {
		key   []byte
		elems []*proctest.Reply
	}
	gs := make([]group, 0, len(r.Elems)/step)
	for i := 0; i < len(r.Elems); i += step {
		var key []byte
		for _, e := range r.Elems[i : i+step] {
			key = append(key, e.Raw()...)
		}
		gs = append(gs, group{key, r.Elems[i : i+step]})
	}
	sort.SliceStable(gs, func(i, j int) bool { return bytes.Compare(gs[i].key, gs[j].key) < 0 })
	out := make([]*proctest.Reply, 0, len(r.Elems))
	for _, g := range gs {
		out = append(out, g.elems...)
	}
	r.Elems = out
}

// CommandInfoSorted sorts COMMAND / COMMAND INFO replies: the list of commands when it is the
// whole table, and every command's subcommands (the 10th field), which come in dict order.
// Several named commands keep the order they were asked in.
func CommandInfoSorted(ref, got *proctest.Reply) {
	for _, r := range []*proctest.Reply{ref, got} {
		sortCommandInfo(r, len(r.Elems) > 20)
	}
}

func sortCommandInfo(r *proctest.Reply, top bool) {
	if !r.IsAggregate() {
		return
	}
	for _, e := range r.Elems {
		if e.IsAggregate() && len(e.Elems) >= 10 {
			sub := e.Elems[9]
			sortCommandInfo(sub, true)
		}
	}
	if top {
		sortElems(r, false)
	}
}

// CommandDocsSorted sorts COMMAND DOCS replies: the command map when it is the whole table,
// and every "subcommands" map inside, which come in dict order.
func CommandDocsSorted(ref, got *proctest.Reply) {
	for _, r := range []*proctest.Reply{ref, got} {
		sortCommandDocs(r, len(r.Elems) > 40)
	}
}

func sortCommandDocs(r *proctest.Reply, top bool) {
	if !r.IsAggregate() || len(r.Elems)%2 != 0 {
		return
	}
	for i := 1; i < len(r.Elems); i += 2 {
		doc := r.Elems[i]
		for j := 0; j+1 < len(doc.Elems); j += 2 {
			if doc.Elems[j].Str == "subcommands" {
				sortCommandDocs(doc.Elems[j+1], true)
			}
		}
	}
	if top {
		sortElems(r, true)
	}
}

// ScanSorted sorts the element array of a SCAN-family reply (cursor, elements). Cursors are
// still compared: a complete iteration ends with 0 on both.
func ScanSorted(ref, got *proctest.Reply) {
	for _, r := range []*proctest.Reply{ref, got} {
		if r.IsAggregate() && len(r.Elems) == 2 {
			sortElems(r.Elems[1], false)
		}
	}
}

// Within treats numbers that differ by at most delta as equal: integers, doubles, and strings
// holding an integer, anywhere in the reply as long as both trees have the same shape there.
func Within(delta float64) Normalizer {
	var rec func(ref, got *proctest.Reply)
	rec = func(ref, got *proctest.Reply) {
		if ref.Type != got.Type || ref.Null || got.Null {
			return
		}
		if ref.IsAggregate() {
			if len(ref.Elems) == len(got.Elems) {
				for i := range ref.Elems {
					rec(ref.Elems[i], got.Elems[i])
				}
			}
			return
		}
		switch ref.Type {
		case ':', ',', '$', '+', '(':
			a, err1 := strconv.ParseFloat(ref.Str, 64)
			b, err2 := strconv.ParseFloat(got.Str, 64)
			if err1 == nil && err2 == nil && math.Abs(a-b) <= delta {
				got.Str = ref.Str
			}
		}
	}
	return rec
}

// Replace applies a regexp replacement to every string payload (simple, bulk, verbatim and
// error texts) of both replies.
func Replace(re *regexp.Regexp, repl string) Normalizer {
	return func(ref, got *proctest.Reply) {
		for _, r := range []*proctest.Reply{ref, got} {
			walk(r, func(x *proctest.Reply) {
				switch x.Type {
				case '+', '$', '=', '-', '!':
					if !x.Null {
						x.Str = re.ReplaceAllString(x.Str, repl)
					}
				}
			})
		}
	}
}

// clientVolatile are CLIENT LIST / CLIENT INFO fields that depend on the server instance,
// timing or allocator rather than on the commands sent.
var clientVolatile = regexp.MustCompile(`\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll|omem|tot-mem)=[^ \n]*`)

// ClientFields replaces the volatile fields of CLIENT LIST / CLIENT INFO lines with "*".
var ClientFields = Replace(clientVolatile, "$1=*")

// MapValues replaces the values of the named keys in a map reply (RESP3 map or RESP2 flat
// array of pairs), keeping their types.
func MapValues(keys ...string) Normalizer {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	return func(ref, got *proctest.Reply) {
		for _, r := range []*proctest.Reply{ref, got} {
			if !r.IsAggregate() || len(r.Elems)%2 != 0 {
				continue
			}
			for i := 0; i+1 < len(r.Elems); i += 2 {
				if want[r.Elems[i].Str] {
					v := r.Elems[i+1]
					if !v.IsAggregate() && !v.Null {
						v.Str = placeholder(v.Type)
					}
				}
			}
		}
	}
}

// infoKept are INFO fields whose values are compared; every other value becomes "*".
var infoKept = map[string]bool{
	"redis_version": true, "redis_mode": true, "role": true, "cluster_enabled": true,
	"arch_bits": true, "connected_slaves": true, "aof_enabled": true,
}

// InfoFields keeps INFO's section headers and field names (and a few stable values) and
// replaces the other values with "*", so that missing or extra fields still show.
func InfoFields(ref, got *proctest.Reply) {
	for _, r := range []*proctest.Reply{ref, got} {
		walk(r, func(x *proctest.Reply) {
			if x.Type != '$' && x.Type != '=' || x.Null {
				return
			}
			lines := strings.Split(x.Str, "\r\n")
			for i, l := range lines {
				if k, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") && !infoKept[k] {
					lines[i] = k + ":*"
				}
			}
			x.Str = strings.Join(lines, "\r\n")
		})
	}
}

// NormalizerByName returns a normalizer for the @norm directive:
//
//	shape | sort | sortpairs | scan | client | info | within N | fields KEY... | replace REGEXP REPL
func NormalizerByName(args []string) (Normalizer, error) {
	name, rest := strings.ToLower(args[0]), args[1:]
	want := func(n int) error {
		if len(rest) != n {
			return fmt.Errorf("@norm %s wants %d argument(s)", name, n)
		}
		return nil
	}
	switch name {
	case "shape", "sort", "sortpairs", "scan", "client", "info":
		if err := want(0); err != nil {
			return nil, err
		}
		return map[string]Normalizer{"shape": Shape, "sort": Sorted, "sortpairs": SortedPairs,
			"scan": ScanSorted, "client": ClientFields, "info": InfoFields}[name], nil
	case "within":
		if err := want(1); err != nil {
			return nil, err
		}
		d, err := strconv.ParseFloat(rest[0], 64)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("@norm within: bad delta %q", rest[0])
		}
		return Within(d), nil
	case "fields":
		if len(rest) == 0 {
			return nil, fmt.Errorf("@norm fields wants key names")
		}
		return MapValues(rest...), nil
	case "replace":
		if err := want(2); err != nil {
			return nil, err
		}
		re, err := regexp.Compile(rest[0])
		if err != nil {
			return nil, fmt.Errorf("@norm replace: %v", err)
		}
		return Replace(re, rest[1]), nil
	}
	return nil, fmt.Errorf("unknown normalizer %q", name)
}
