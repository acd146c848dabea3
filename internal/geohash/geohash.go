// Package geohash is Redis 7.0's geo math (geohash.c, geohash_helper.c and the parts of geo.c
// that are arithmetic): 52-bit interleaved cell numbers used as sorted-set scores, decoding a
// score back to the centre of its cell, the nine cells that cover a search shape, haversine
// distances with Redis's constants, and GEOHASH's base32 strings. Every formula and constant
// follows Redis's, operation for operation, so that results match to the last bit.
package geohash

import "math"

// Limits of the Web Mercator projection that Redis indexes (EPSG:900913 / EPSG:3785).
const (
	StepMax = 26 // 26*2 = 52 bits
	LatMin  = -85.05112878
	LatMax  = 85.05112878
	LonMin  = -180.0
	LonMax  = 180.0
)

const (
	dr                  = math.Pi / 180.0 // D_R
	earthRadiusInMeters = 6372797.560856
	mercatorMax         = 20037726.37
)

// Bits is a cell number at a precision of step bits per coordinate (GeoHashBits).
type Bits struct {
	Bits uint64
	Step uint8
}

// IsZero reports an unused cell (HASHISZERO).
func (b Bits) IsZero() bool { return b.Bits == 0 && b.Step == 0 }

// Range is one coordinate's interval.
type Range struct{ Min, Max float64 }

// Area is a cell and the box it covers (GeoHashArea).
type Area struct {
	Hash     Bits
	Lon, Lat Range
}

var (
	lonRange = Range{LonMin, LonMax}
	latRange = Range{LatMin, LatMax}
)

// interleave64 puts x's 32 low bits at the even positions and y's at the odd ones.
func interleave64(x, y uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	xx, yy := uint64(x), uint64(y)
	for i := 4; i >= 0; i-- {
		xx = (xx | xx<<s[i]) & b[i]
		yy = (yy | yy<<s[i]) & b[i]
	}
	return xx | yy<<1
}

// deinterleave64 inverts interleave64: x in the low 32 bits, y in the high ones.
func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
		0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// Encode is geohashEncode: the cell of (lon, lat) at step bits over the given ranges.
func Encode(lonR, latR Range, lon, lat float64, step uint8) (Bits, bool) {
	if step > 32 || step == 0 || latR.Max-latR.Min == 0 || lonR.Max-lonR.Min == 0 {
		return Bits{}, false
	}
	// (NaN, which Redis's callers never pass, is refused too.)
	if !(lon <= 180 && lon >= -180 && lat <= 85.05112878 && lat >= -85.05112878) {
		return Bits{}, false
	}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return Bits{Step: step}, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	return Bits{Bits: interleave64(uint32(latOff), uint32(lonOff)), Step: step}, true
}

// EncodeWGS84 encodes over Redis's coordinate ranges.
func EncodeWGS84(lon, lat float64, step uint8) (Bits, bool) {
	return Encode(lonRange, latRange, lon, lat, step)
}

// Decode is geohashDecode: the box a cell covers.
func Decode(lonR, latR Range, h Bits) (Area, bool) {
	if h.IsZero() || latR.Max-latR.Min == 0 || lonR.Max-lonR.Min == 0 {
		return Area{}, false
	}
	sep := deinterleave64(h.Bits)
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.Step)
	return Area{
		Hash: h,
		Lat:  Range{latR.Min + (float64(ilat)*1.0/div)*latScale, latR.Min + (float64(uint64(ilat)+1)*1.0/div)*latScale},
		Lon:  Range{lonR.Min + (float64(ilon)*1.0/div)*lonScale, lonR.Min + (float64(uint64(ilon)+1)*1.0/div)*lonScale},
	}, true
}

// Center is geohashDecodeAreaToLongLat: the middle of the box, clamped to the valid ranges.
func (a Area) Center() (lon, lat float64) {
	lon = (a.Lon.Min + a.Lon.Max) / 2
	lon = math.Max(math.Min(lon, LonMax), LonMin)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = math.Max(math.Min(lat, LatMax), LatMin)
	return lon, lat
}

// Align52 is geohashAlign52Bits: the cell number shifted to 52 bits, as scores hold it.
func Align52(h Bits) uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// Score is GEOADD's score for a position (false outside the indexable ranges).
func Score(lon, lat float64) (uint64, bool) {
	h, ok := EncodeWGS84(lon, lat, StepMax)
	if !ok {
		return 0, false
	}
	return Align52(h), true
}

// DecodeScore is decodeGeohash: the position a score stands for (the centre of its cell).
func DecodeScore(score float64) (lon, lat float64, ok bool) {
	a, ok := Decode(lonRange, latRange, Bits{Bits: scoreBits(score), Step: StepMax})
	if !ok {
		return 0, 0, false
	}
	lon, lat = a.Center()
	return lon, lat, true
}

// scoreBits is C's (uint64_t) cast of a score; out-of-range values saturate rather than
// depend on the platform.
func scoreBits(f float64) uint64 {
	switch {
	case f != f || f <= 0:
		return 0
	case f >= 1<<64:
		return math.MaxUint64
	}
	return uint64(f)
}

// Neighbors are the eight cells around one (GeoHashNeighbors).
type Neighbors struct {
	North, East, West, South, NorthEast, SouthEast, NorthWest, SouthWest Bits
}

func moveX(h *Bits, d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

func moveY(h *Bits, d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= 0x5555555555555555 >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

// NeighborsOf is geohashNeighbors.
func NeighborsOf(h Bits) Neighbors {
	n := Neighbors{h, h, h, h, h, h, h, h}
	moveX(&n.East, 1)
	moveX(&n.West, -1)
	moveY(&n.South, -1)
	moveY(&n.North, 1)
	moveX(&n.NorthWest, -1)
	moveY(&n.NorthWest, 1)
	moveX(&n.SouthWest, -1)
	moveY(&n.SouthWest, -1)
	moveX(&n.NorthEast, 1)
	moveY(&n.NorthEast, 1)
	moveX(&n.SouthEast, 1)
	moveY(&n.SouthEast, -1)
	return n
}
