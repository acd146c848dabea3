package engine

import (
	"encoding/binary"
	"math"
	"sort"
)

// The listpack node model. Redis stores a stream as a radix tree of listpacks ("nodes"), each
// opened by a master entry; an entry goes to the tail node unless that node holds
// stream-node-max-entries entries (live + deleted) or its bytes plus the new entry's field and
// value lengths reach stream-node-max-bytes. Deleting marks entries as tombstones in their node;
// a node whose last live entry XDEL removes is freed. The 'L' record of a node keeps what those
// rules need, so that node boundaries - and what MAXLEN ~ / MINID ~ trim - match Redis:
//
//	live(8) deleted(8) body(8) last-id(16) uvarint n, n times uvarint len|field
//
// body is the listpack's size in bytes without its two counters (whose encoded size changes
// with their values); last-id is the node's last entry, tombstone or not (streamTrim's MINID
// test); the fields are the master entry's.

type streamNode struct {
	master        StreamID
	live, deleted int64
	body          int64
	last          StreamID
	fields        [][]byte
}

func (n *streamNode) encode() []byte {
	b := make([]byte, 40, 48)
	binary.BigEndian.PutUint64(b, uint64(n.live))
	binary.BigEndian.PutUint64(b[8:], uint64(n.deleted))
	binary.BigEndian.PutUint64(b[16:], uint64(n.body))
	n.last.put(b[24:])
	b = binary.AppendUvarint(b, uint64(len(n.fields)))
	for _, f := range n.fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func decodeNode(master StreamID, b []byte) (*streamNode, error) {
	if len(b) < 41 {
		return nil, ErrCorruptStream
	}
	n := &streamNode{
		master: master,
		live:   int64(binary.BigEndian.Uint64(b)), deleted: int64(binary.BigEndian.Uint64(b[8:])),
		body: int64(binary.BigEndian.Uint64(b[16:])), last: decodeID(b[24:]),
	}
	fields, err := decodeEntry(b[40:])
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		n.fields = append(n.fields, append([]byte(nil), f...))
	}
	return n, nil
}

// bytes is lpBytes of the node's listpack.
func (n *streamNode) bytes() int64 { return n.body + lpIntSize(n.live) + lpIntSize(n.deleted) }

// lpBacklenSize is the size of a listpack entry's back-length for an entry of l bytes.
func lpBacklenSize(l int64) int64 {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpIntSize is the size of an integer entry.
func lpIntSize(v int64) int64 {
	var enc int64
	switch {
	case v >= 0 && v <= 127:
		enc = 1
	case v >= -4096 && v <= 4095:
		enc = 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		enc = 3
	case v >= -1<<23 && v < 1<<23:
		enc = 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		enc = 5
	default:
		enc = 9
	}
	return enc + lpBacklenSize(enc)
}

// lpStrSize is the size of a string entry; strings that read as integers are stored as such
// (lpStringToInt64, which is string2ll).
func lpStrSize(b []byte) int64 {
	if v, ok := lpStringToInt64(b); ok {
		return lpIntSize(v)
	}
	l := int64(len(b))
	var enc int64
	switch {
	case l < 64:
		enc = 1 + l
	case l < 4096:
		enc = 2 + l
	default:
		enc = 5 + l
	}
	return enc + lpBacklenSize(enc)
}

func lpStringToInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	p := b
	if neg {
		p = b[1:]
		if len(p) == 0 {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

const (
	lpHeaderSize = 6
	lpEOFSize    = 1
)

// newNode is the node streamAppendItem creates for its first entry id (counters excluded).
func newNode(id StreamID, fv [][]byte) *streamNode {
	n := &streamNode{master: id, last: id}
	body := int64(lpHeaderSize+lpEOFSize) + lpIntSize(int64(len(fv)/2)) + lpIntSize(0)
	for i := 0; i < len(fv); i += 2 {
		n.fields = append(n.fields, append([]byte(nil), fv[i]...))
		body += lpStrSize(fv[i])
	}
	n.body = body
	return n
}

// entrySize is the listpack size of an entry appended to n.
func (n *streamNode) entrySize(id StreamID, fv [][]byte) int64 {
	nf := len(fv) / 2
	same := nf == len(n.fields)
	for i := 0; same && i < nf; i++ {
		same = string(fv[2*i]) == string(n.fields[i])
	}
	size := int64(2) // flags: a small integer
	size += lpIntSize(int64(id.Ms - n.master.Ms))
	size += lpIntSize(int64(id.Seq - n.master.Seq))
	lpCount := int64(nf + 3)
	if !same {
		size += lpIntSize(int64(nf))
		lpCount += int64(nf + 1)
	}
	for i := 0; i < len(fv); i += 2 {
		if !same {
			size += lpStrSize(fv[i])
		}
		size += lpStrSize(fv[i+1])
	}
	return size + lpIntSize(lpCount)
}

func (s *Stream) putNode(n *streamNode) error {
	s.tail = nil
	return s.tx.SetElem(s.key, s.m, TagElem, idSub(skNode, n.master), n.encode())
}

func (s *Stream) dropNode(n *streamNode) error {
	s.tail = nil
	lo, up := entryBounds(n.master, n.last)
	if err := s.tx.DelElemRange(s.key, s.m, TagElem, lo, up); err != nil {
		return err
	}
	s.H.Nodes--
	return s.tx.DelElem(s.key, s.m, TagElem, idSub(skNode, n.master))
}

func (s *Stream) nodeAt(it *ElemIter) (*streamNode, error) {
	return decodeNode(decodeID(it.Sub()[1:]), it.Value())
}

func (s *Stream) firstNode() (*streamNode, bool, error) { return s.edgeNode(false) }

func (s *Stream) edgeNode(last bool) (*streamNode, bool, error) {
	it, err := s.iter(skNode, nil, nil)
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	ok := it.First()
	if last {
		ok = it.Last()
	}
	if !ok {
		return nil, false, it.Error()
	}
	n, err := s.nodeAt(it)
	return n, err == nil, err
}

// nodeAppend accounts for a new entry in the tail node, or opens a node.
func (s *Stream) nodeAppend(id StreamID, fv [][]byte, lim StreamLimits) error {
	n, ok := s.tail, s.tail != nil
	if !ok {
		var err error
		if n, ok, err = s.edgeNode(true); err != nil {
			return err
		}
	}
	if ok {
		var tot int64
		for _, b := range fv {
			tot += int64(len(b))
		}
		maxBytes := lim.MaxBytes
		if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
			maxBytes = streamListpackMaxSize
		}
		if n.bytes()+tot >= maxBytes {
			ok = false
		} else if lim.MaxEntries > 0 && n.live+n.deleted >= lim.MaxEntries {
			ok = false
		}
	}
	if !ok {
		n = newNode(id, fv)
		s.H.Nodes++
	}
	n.body += n.entrySize(id, fv)
	n.live++
	n.last = id
	if err := s.putNode(n); err != nil {
		return err
	}
	s.tail = n // appends in one transaction skip the tail lookup
	return nil
}

// streamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE: no node grows past 1 GiB.
const streamListpackMaxSize = 1 << 30

// nodeDelete marks entry id deleted in its node, freeing the node with its last live entry.
func (s *Stream) nodeDelete(id StreamID) error {
	it, err := s.iter(skNode, nil, nil)
	if err != nil {
		return err
	}
	// The node holding id has the greatest master <= id.
	next, ok := id.Incr()
	var found bool
	if ok {
		found = it.SeekLT(idSub(skNode, next))
	} else {
		found = it.Last()
	}
	if !found {
		it.Close()
		if err := it.Error(); err != nil {
			return err
		}
		return ErrCorruptStream
	}
	n, err := s.nodeAt(it)
	it.Close()
	if err != nil {
		return err
	}
	if n.live <= 1 {
		s.tail = nil
		s.H.Nodes--
		return s.tx.DelElem(s.key, s.m, TagElem, idSub(skNode, n.master))
	}
	n.live--
	n.deleted++
	return s.putNode(n)
}

// RaxNodes is the node count of the radix tree holding the stream's listpacks (XINFO
// radix-tree-nodes), computed for the compressed tree of the node keys as rax builds it.
func (s *Stream) RaxNodes() (int64, error) {
	it, err := s.iter(skNode, nil, nil)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Sub()[1:]...))
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 1, nil
	}
	return raxNodeCount(keys, 0), nil
}

// raxNodeCount counts the nodes below depth d of a compressed trie of sorted, distinct,
// equal-length keys sharing their first d bytes.
func raxNodeCount(keys [][]byte, d int) int64 {
	if d == len(keys[0]) {
		return 1 // the key's leaf
	}
	first, last := keys[0], keys[len(keys)-1]
	if first[d] == last[d] {
		// One child: a compressed node over the common run.
		l := d
		for l < len(first) && first[l] == last[l] {
			l++
		}
		return 1 + raxNodeCount(keys, l)
	}
	total := int64(1)
	for i := 0; i < len(keys); {
		c := keys[i][d]
		j := i + sort.Search(len(keys)-i, func(k int) bool { return keys[i+k][d] != c })
		total += raxNodeCount(keys[i:j], d+1)
		i = j
	}
	return total
}
