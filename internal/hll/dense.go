package hll

// Dense registers are 6-bit counters packed LSB first. Redis reads one byte past the last
// register (the string's NUL terminator, always 0); these helpers treat that byte as 0.

func denseGet(regs []byte, i int) uint8 {
	b := i * bits / 8
	fb := uint(i * bits & 7)
	b0 := uint(regs[b])
	var b1 uint
	if b+1 < len(regs) {
		b1 = uint(regs[b+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & regMax)
}

func denseSet(regs []byte, i int, val uint8) {
	b := i * bits / 8
	fb := uint(i * bits & 7)
	v := uint(val)
	regs[b] &^= byte(regMax << fb)
	regs[b] |= byte(v << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(regMax >> (8 - fb))
		regs[b+1] |= byte(v >> (8 - fb))
	}
}

// denseSetMax raises register i to count if it is lower, reporting whether it changed
// (hllDenseSet).
func denseSetMax(regs []byte, i int, count uint8) bool {
	if count > denseGet(regs, i) {
		denseSet(regs, i, count)
		return true
	}
	return false
}

func denseHisto(regs []byte, h *[64]int) {
	for i := 0; i < Registers; i++ {
		h[denseGet(regs, i)]++
	}
}
