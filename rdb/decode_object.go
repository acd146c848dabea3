package rdb

import (
	"math"
)

// object decodes the value of type t (the key has been read already).
func (d *decoder) object(t byte) Object {
	start := d.off
	o := Object{RDBType: t}
	switch t {
	case TypeString:
		o.Kind, o.Str = KindString, d.str()
	case TypeList:
		o.Kind = KindList
		n := d.count()
		o.List = make([][]byte, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			o.List = append(o.List, d.str())
		}
	case TypeSet:
		o.Kind = KindSet
		n := d.count()
		o.Set = make([][]byte, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			o.Set = append(o.Set, d.str())
		}
	case TypeZSet, TypeZSet2:
		o.Kind = KindZSet
		n := d.count()
		o.ZSet = make([]ZMember, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			m := ZMember{Member: d.str()}
			if t == TypeZSet {
				m.Score = d.stringDouble()
			} else {
				m.Score = d.binaryDouble()
			}
			if math.IsNaN(m.Score) {
				d.fail("zset score is NaN")
			}
			o.ZSet = append(o.ZSet, m)
		}
	case TypeHash:
		o.Kind = KindHash
		n := d.count()
		o.Hash = make([]Field, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			f := Field{Name: d.str()}
			f.Value = d.str()
			o.Hash = append(o.Hash, f)
		}
	case TypeModule:
		d.failAt(start, "module value (pre-GA type 6) cannot be loaded")
	case TypeModule2:
		id := d.length()
		name, ver := moduleTypeName(id)
		d.failAt(start, "the RDB file contains module data I can't load: no matching module type '%s' (encver %d)", name, ver)
	case TypeHashZipmap:
		o.Kind = KindHash
		fs, err := parseZipmap(d.str())
		d.check(start, err)
		o.Hash = fs
	case TypeListZiplist:
		o.Kind = KindList
		o.List = entriesBytes(d.ziplist(start))
	case TypeSetIntset:
		o.Kind = KindSet
		ints, err := parseIntset(d.str())
		d.check(start, err)
		o.Set = make([][]byte, len(ints))
		for i, v := range ints {
			o.Set[i] = lpEntry{i: v, isInt: true}.bytes()
		}
	case TypeZSetZiplist:
		o.Kind = KindZSet
		o.ZSet = d.zsetPairs(start, d.ziplist(start))
	case TypeHashZiplist:
		o.Kind = KindHash
		o.Hash = d.hashPairs(start, d.ziplist(start))
	case TypeListQuicklist:
		o.Kind = KindList
		n := d.count()
		for i := 0; i < n; i++ {
			nodeStart := d.off
			o.List = append(o.List, entriesBytes(d.ziplist(nodeStart))...)
		}
	case TypeHashListpack:
		o.Kind = KindHash
		o.Hash = d.hashPairs(start, d.listpack(start))
	case TypeZSetListpack:
		o.Kind = KindZSet
		o.ZSet = d.zsetPairs(start, d.listpack(start))
	case TypeSetListpack:
		o.Kind = KindSet
		o.Set = entriesBytes(d.listpack(start))
	case TypeListQuicklist2:
		o.Kind = KindList
		n := d.count()
		for i := 0; i < n; i++ {
			nodeStart := d.off
			c := d.length()
			blob := d.str()
			if len(blob) == 0 {
				d.failAt(nodeStart, "quicklist node is empty")
			}
			switch c {
			case qlPlain:
				o.List = append(o.List, blob)
			case qlPacked:
				es, err := parseListpack(blob)
				d.check(nodeStart, err)
				o.List = append(o.List, entriesBytes(es)...)
			default:
				d.failAt(nodeStart, "quicklist integrity check failed: container %d", c)
			}
		}
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		o.Kind = KindStream
		o.Stream = d.stream(t)
	default:
		d.failAt(start-1, "unknown RDB object type %d", t)
	}
	d.checkUnique(start, &o)
	o.loadEncoding()
	return o
}

func (d *decoder) check(off int64, err error) {
	if err != nil {
		d.failAt(off, "%v", err)
	}
}

func (d *decoder) listpack(off int64) []lpEntry {
	es, err := parseListpack(d.str())
	d.check(off, err)
	return es
}

func (d *decoder) ziplist(off int64) []lpEntry {
	es, err := parseZiplist(d.str())
	d.check(off, err)
	return es
}

func entriesBytes(es []lpEntry) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.bytes()
	}
	return out
}

func (d *decoder) hashPairs(off int64, es []lpEntry) []Field {
	if len(es)%2 != 0 {
		d.failAt(off, "hash blob has an odd number of entries")
	}
	out := make([]Field, len(es)/2)
	for i := range out {
		out[i] = Field{Name: es[2*i].bytes(), Value: es[2*i+1].bytes()}
	}
	return out
}

func (d *decoder) zsetPairs(off int64, es []lpEntry) []ZMember {
	if len(es)%2 != 0 {
		d.failAt(off, "zset blob has an odd number of entries")
	}
	out := make([]ZMember, len(es)/2)
	for i := range out {
		m := ZMember{Member: es[2*i].bytes()}
		if s := es[2*i+1]; s.isInt {
			m.Score = float64(s.i)
		} else {
			f, ok := parseScore(s.s)
			if !ok || math.IsNaN(f) {
				d.failAt(off, "zset blob: invalid score %q", s.s)
			}
			m.Score = f
		}
		out[i] = m
	}
	return out
}

// checkUnique refuses duplicate set members, hash fields and zset members,
// as Redis's loader does.
func (d *decoder) checkUnique(off int64, o *Object) {
	var n int
	var at func(int) []byte
	switch o.Kind {
	case KindSet:
		n, at = len(o.Set), func(i int) []byte { return o.Set[i] }
	case KindHash:
		n, at = len(o.Hash), func(i int) []byte { return o.Hash[i].Name }
	case KindZSet:
		n, at = len(o.ZSet), func(i int) []byte { return o.ZSet[i].Member }
	default:
		return
	}
	if n < 2 {
		return
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		k := at(i)
		if _, dup := seen[string(k)]; dup {
			d.failAt(off, "duplicate %s element %q", o.Kind, k)
		}
		seen[string(k)] = struct{}{}
	}
}
