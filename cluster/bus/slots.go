package bus

// SlotBitmap is the 16384-bit slot bitmap of the header (myslots) and of UPDATE. Slot s is
// bit s&7, least significant first, of byte s>>3 (pitfall 2 of cluster-bus.md).
type SlotBitmap [SlotBitmapLen]byte

// SlotRange is an inclusive range of slots.
type SlotRange struct {
	Start, End int
}

// Has reports whether slot s is set; out-of-range slots are never set.
func (b *SlotBitmap) Has(s int) bool {
	if s < 0 || s >= SlotCount {
		return false
	}
	return b[s>>3]&(1<<(s&7)) != 0
}

// Set sets slot s; out-of-range slots are ignored.
func (b *SlotBitmap) Set(s int) {
	if s >= 0 && s < SlotCount {
		b[s>>3] |= 1 << (s & 7)
	}
}

// Clear clears slot s; out-of-range slots are ignored.
func (b *SlotBitmap) Clear(s int) {
	if s >= 0 && s < SlotCount {
		b[s>>3] &^= 1 << (s & 7)
	}
}

// SetRange sets every slot of r (clamped to 0..16383).
func (b *SlotBitmap) SetRange(r SlotRange) {
	for s := max(r.Start, 0); s <= r.End && s < SlotCount; s++ {
		b.Set(s)
	}
}

// Count returns the number of set slots.
func (b *SlotBitmap) Count() int {
	n := 0
	for _, c := range b {
		for ; c != 0; c &= c - 1 {
			n++
		}
	}
	return n
}

// Ranges returns the set slots as maximal ascending runs, the form CLUSTER NODES prints.
func (b *SlotBitmap) Ranges() []SlotRange {
	var out []SlotRange
	start := -1
	for s := 0; s <= SlotCount; s++ {
		if s < SlotCount && b.Has(s) {
			if start < 0 {
				start = s
			}
			continue
		}
		if start >= 0 {
			out = append(out, SlotRange{start, s - 1})
			start = -1
		}
	}
	return out
}
