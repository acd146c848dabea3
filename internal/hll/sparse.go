package hll

// Sparse opcodes: ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy (1..16384
// zero registers), VAL 1vvvvvxx (1..4 registers of value 1..32).

func isZero(op byte) bool  { return op&0xc0 == 0 }
func isXZero(op byte) bool { return op&0xc0 == xzeroBit }
func isVal(op byte) bool   { return op&valBit != 0 }
func zeroLen(op byte) int  { return int(op&0x3f) + 1 }
func valValue(op byte) int { return int(op>>2&0x1f) + 1 }
func valLen(op byte) int   { return int(op&3) + 1 }

// xzeroLen reads the XZERO at b[p]; a truncated opcode reads Redis's NUL terminator (0) as
// its second byte.
func xzeroLen(b []byte, p int) int {
	var lo int
	if p+1 < len(b) {
		lo = int(b[p+1])
	}
	return (int(b[p]&0x3f)<<8 | lo) + 1
}

func valOp(val, n int) byte { return byte((val-1)<<2|(n-1)) | valBit }

func putXZero(b []byte, n int) {
	l := n - 1
	b[0] = byte(l>>8) | xzeroBit
	b[1] = byte(l)
}

// walkSparse calls fn for each opcode of body with the opcode's first register index, its
// run length and its value (0 for ZERO/XZERO); fn returns false to stop. It returns the
// number of registers covered when the walk ended.
func walkSparse(body []byte, fn func(idx, runlen, val int) bool) int {
	idx := 0
	for p := 0; p < len(body); {
		op := body[p]
		var n, val int
		switch {
		case isZero(op):
			n = zeroLen(op)
			p++
		case isXZero(op):
			n = xzeroLen(body, p)
			p += 2
		default:
			n, val = valLen(op), valValue(op)
			p++
		}
		if !fn(idx, n, val) {
			return idx
		}
		idx += n
	}
	return idx
}

// sparseToDense returns the dense form of sparse HLL v (hllSparseToDense): the header is
// kept (magic and cached cardinality), registers are filled from the opcodes. A VAL run that
// would pass the last register stops the walk; anything but exactly 16384 registers is
// ErrCorrupt.
func sparseToDense(v []byte) ([]byte, error) {
	d := make([]byte, DenseSize)
	copy(d, v[:HeaderSize])
	d[4] = Dense
	regs := d[HeaderSize:]
	n := walkSparse(v[HeaderSize:], func(idx, runlen, val int) bool {
		if val == 0 {
			return true
		}
		if idx+runlen > Registers {
			return false
		}
		for i := 0; i < runlen; i++ {
			denseSet(regs, idx+i, uint8(val))
		}
		return true
	})
	if n != Registers {
		return nil, ErrCorrupt
	}
	return d, nil
}

// sparseHisto adds the register histogram of a sparse body to h (hllSparseRegHisto); the
// runs are counted even when the body is invalid, which is reported by ok.
func sparseHisto(body []byte, h *[64]int) (ok bool) {
	n := walkSparse(body, func(_, runlen, val int) bool {
		h[val] += runlen
		return true
	})
	return n == Registers
}

// sparseSet raises register index to count in the sparse value *v, exactly as hllSparseSet:
// same opcode splits, same merging of adjacent VAL opcodes, promotion to dense when count is
// above 32 or the value would grow past sparseMax bytes. It reports whether the register
// changed; ErrCorrupt when the opcodes do not reach the register or the promotion fails.
// *v is edited in place, using its spare capacity, or replaced: it must be a private copy.
func sparseSet(v *[]byte, index int, count uint8, sparseMax int) (bool, error) {
	if count > valMaxValue {
		return promote(v, index, count)
	}
	// Redis makes room for 3 more bytes and relies on the NUL terminator after the end: b
	// is the value with 4 more bytes of room, the first of them 0. The edit is in place.
	n := len(*v)
	if cap(*v) < n+4 {
		nb := make([]byte, n, n+n/4+64)
		copy(nb, *v)
		*v = nb
	}
	b := (*v)[:n+4]
	b[n] = 0
	end := n

	// Step 1: find the opcode covering index.
	p, first, span, prev := HeaderSize, 0, 0, -1
	for p < end {
		oplen := 1
		switch op := b[p]; {
		case isZero(op):
			span = zeroLen(op)
		case isVal(op):
			span = valLen(op)
		default:
			span = xzeroLen(b, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return false, ErrCorrupt
	}
	next := p + 1
	if isXZero(b[p]) {
		next = p + 2
	}
	if next >= end {
		next = -1
	}
	op := b[p]
	var runlen int
	switch {
	case isZero(op):
		runlen = zeroLen(op)
	case isXZero(op):
		runlen = xzeroLen(b, p)
	default:
		runlen = valLen(op)
	}

	// Step 2: the trivial in-place cases.
	updated := func() {
		end = mergeVals(b, end, prev)
		*v = b[:end]
		invalidateCache(*v)
	}
	if isVal(op) {
		if valValue(op) >= int(count) {
			return false, nil
		}
		if runlen == 1 {
			b[p] = valOp(int(count), 1)
			updated()
			return true, nil
		}
	}
	if isZero(op) && runlen == 1 {
		b[p] = valOp(int(count), 1)
		updated()
		return true, nil
	}

	// General case: split the opcode into up to three (at most 5 bytes).
	var seq [5]byte
	s := 0
	last := first + span - 1
	zeros := func(l int) {
		if l > zeroMaxLen {
			putXZero(seq[s:], l)
			s += 2
		} else {
			seq[s] = byte(l - 1)
			s++
		}
	}
	if isZero(op) || isXZero(op) {
		if index != first {
			zeros(index - first)
		}
		seq[s] = valOp(int(count), 1)
		s++
		if index != last {
			zeros(last - index)
		}
	} else {
		cur := valValue(op)
		if index != first {
			seq[s] = valOp(cur, index-first)
			s++
		}
		seq[s] = valOp(int(count), 1)
		s++
		if index != last {
			seq[s] = valOp(cur, last-index)
			s++
		}
	}

	// Step 3: put the new sequence in place of the old opcode.
	oldlen := 1
	if isXZero(op) {
		oldlen = 2
	}
	delta := s - oldlen
	if delta > 0 && end+delta > sparseMax {
		return promote(v, index, count)
	}
	if delta != 0 && next >= 0 {
		copy(b[next+delta:], b[next:end])
	}
	// Redis writes the terminator (sdsIncrLen) before the sequence, which may overwrite it
	// when the old opcode was a truncated XZERO.
	end += delta
	b[end] = 0
	copy(b[p:], seq[:s])
	updated()
	return true, nil
}

// mergeVals merges adjacent VAL opcodes of equal value (Step 4 of hllSparseSet): up to 5
// opcodes from prev (or the first opcode). It returns the new end.
func mergeVals(b []byte, end, prev int) int {
	p := HeaderSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end; {
		if scan == 0 {
			break
		}
		scan--
		if isXZero(b[p]) {
			p += 2
			continue
		}
		if isZero(b[p]) {
			p++
			continue
		}
		if p+1 < end && isVal(b[p+1]) {
			v1, v2 := valValue(b[p]), valValue(b[p+1])
			if v1 == v2 {
				if l := valLen(b[p]) + valLen(b[p+1]); l <= valMaxLen {
					b[p+1] = valOp(v1, l)
					copy(b[p:], b[p+1:end+1])
					end--
					b[end] = 0
					continue // try to merge the result with its right neighbour
				}
			}
		}
		p++
	}
	return end
}

// promote converts *v to dense and sets the register there (the "promote" label).
func promote(v *[]byte, index int, count uint8) (bool, error) {
	d, err := sparseToDense(*v)
	if err != nil {
		return false, err
	}
	denseSetMax(d[HeaderSize:], index, count)
	*v = d
	return true, nil
}
