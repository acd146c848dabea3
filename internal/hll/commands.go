package hll

// The PF* commands over values: v is a key's string value, nil when the key is absent. They
// return new values and leave their inputs untouched.

// PFAdd adds elems as PFADD does. updated is PFADD's reply (a register changed or the key
// was created); out is the new value. On ErrCorrupt out still holds the registers set before
// the error, as Redis keeps them in place. ErrNotHLL leaves out nil.
func PFAdd(v []byte, elems [][]byte, sparseMax int) (out []byte, updated bool, err error) {
	var s *Sketch
	if v == nil {
		s, updated = NewSketch(), true
	} else if s, err = Open(v); err != nil {
		return nil, false, err
	}
	for _, e := range elems {
		changed, err := s.Add(e, sparseMax)
		if err != nil {
			return s.Bytes(), updated, err
		}
		updated = updated || changed
	}
	if updated {
		s.InvalidateCache()
	}
	return s.Bytes(), updated, nil
}

// PFCount is PFCOUNT of one key: the cached cardinality when valid, else a fresh count, in
// which case out is the value with the count cached (nil when the value is unchanged).
func PFCount(v []byte) (card uint64, out []byte, err error) {
	if v == nil {
		return 0, nil, nil
	}
	if err := Check(v); err != nil {
		return 0, nil, err
	}
	if c, ok := CachedCard(v); ok {
		return c, nil, nil
	}
	s := &Sketch{v: append([]byte(nil), v...)}
	c, _, err := s.Card()
	if err != nil {
		return 0, nil, err
	}
	return c, s.Bytes(), nil
}

// PFCountUnion is PFCOUNT of several keys: the cardinality of their union. Values are
// checked in order; the first failure is returned.
func PFCountUnion(vs [][]byte) (uint64, error) {
	var m Max
	for _, v := range vs {
		if v == nil {
			continue
		}
		if err := m.Merge(v); err != nil {
			return 0, err
		}
	}
	return m.Count(), nil
}

// PFMerge is PFMERGE dest src...: vs holds the values of dest and the sources in argument
// order (dest is merged too). out is dest's new value: its old representation (created
// sparse when absent) raised to the union, converted to dense first when any input is dense.
func PFMerge(vs [][]byte, sparseMax int) (out []byte, err error) {
	var m Max
	dense := false
	for _, v := range vs {
		if v == nil {
			continue
		}
		if err := m.Merge(v); err != nil {
			return nil, err
		}
		dense = dense || v[4] == Dense
	}
	var s *Sketch
	if vs[0] == nil {
		s = NewSketch()
	} else {
		s = &Sketch{v: append([]byte(nil), vs[0]...)}
	}
	if dense {
		if _, err := s.ToDense(); err != nil {
			return nil, err
		}
	}
	s.MergeFrom(&m, sparseMax)
	return s.Bytes(), nil
}
