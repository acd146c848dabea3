package resp

// Kind names the RESP3 type of a Value.
type Kind uint8

const (
	KindSimple Kind = iota
	KindError
	KindInt
	KindBulk
	KindNull
	KindArray
	KindMap
	KindSet
	KindDouble
	KindBool
	KindVerbatim
)

// Value is a generic reply tree, for replies built from data (COMMAND DOCS, CLUSTER SHARDS,
// script results) rather than written directly. Map holds alternating keys and values in Elems.
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Float float64
	Elems []Value
}

// WriteValue writes v in the writer's protocol.
func (w *Writer) WriteValue(v Value) {
	switch v.Kind {
	case KindSimple:
		w.Simple(v.Str)
	case KindError:
		w.Error(v.Str)
	case KindInt:
		w.Int(v.Int)
	case KindBulk:
		w.BulkString(v.Str)
	case KindNull:
		w.Null()
	case KindArray:
		w.Array(len(v.Elems))
	case KindMap:
		w.Map(len(v.Elems) / 2)
	case KindSet:
		w.Set(len(v.Elems))
	case KindDouble:
		w.Double(v.Float)
	case KindBool:
		w.Bool(v.Int != 0)
	case KindVerbatim:
		w.Verbatim(v.Str)
	}
	for _, e := range v.Elems {
		w.WriteValue(e)
	}
}
