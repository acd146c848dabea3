package geohash

import "math"

func degRad(a float64) float64 { return a * dr }
func radDeg(a float64) float64 { return a / dr }

// EstimateSteps is geohashEstimateStepsByRadius: the cell precision whose nine cells cover a
// search of that radius around latitude lat.
func EstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2 // make sure the range is included in most of the base cases
	// Wider cells towards the poles.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// LatDistance is geohashGetLatDistance: meters between two latitudes.
func LatDistance(lat1, lat2 float64) float64 {
	return earthRadiusInMeters * math.Abs(degRad(lat2)-degRad(lat1))
}

// Distance is geohashGetDistance: the haversine distance in meters.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := sin((lon2r - lon1r) / 2)
	// Same longitude: the cheap formula, as Redis takes it.
	if v == 0 {
		return LatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := sin((lat2r - lat1r) / 2)
	a := u*u + cos(lat1r)*cos(lat2r)*v*v
	return 2.0 * earthRadiusInMeters * asin(math.Sqrt(a))
}

// Shape is a search area (GeoShape): a circle of Radius or a Width x Height box around
// (Lon, Lat), in units of Conversion meters.
type Shape struct {
	Box                   bool
	Lon, Lat              float64
	Radius, Width, Height float64
	Conversion            float64
}

// Bounds is geohashBoundingBox: min lon, min lat, max lon, max lat.
func (s *Shape) Bounds() [4]float64 {
	h, w := s.Radius, s.Radius
	if s.Box {
		h, w = s.Height/2, s.Width/2
	}
	h *= s.Conversion
	w *= s.Conversion
	latDelta := radDeg(h / earthRadiusInMeters)
	lonDeltaTop := radDeg(w / earthRadiusInMeters / cos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(w / earthRadiusInMeters / cos(degRad(s.Lat-latDelta)))
	var b [4]float64
	// The hemispheres bend the box's sides opposite ways: take the wider edge.
	if s.Lat < 0 {
		b[0], b[2] = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		b[0], b[2] = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	b[1], b[3] = s.Lat-latDelta, s.Lat+latDelta
	return b
}

// Areas is geohashCalculateAreasByShapeWGS84 as membersOfAllNeighbors visits it: the centre
// cell, then north, south, east, west, north-east, north-west, south-east, south-west; cells
// that cannot hold a match are zero.
func (s *Shape) Areas() [9]Bits {
	b := s.Bounds()
	minLon, minLat, maxLon, maxLat := b[0], b[1], b[2], b[3]
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	radius *= s.Conversion
	steps := EstimateSteps(radius, s.Lat)
	hash, _ := EncodeWGS84(s.Lon, s.Lat, steps)
	n := NeighborsOf(hash)
	area, _ := Decode(lonRange, latRange, hash)

	// Near a cell's edge the estimated step may leave part of the shape uncovered.
	decrease := false
	north, _ := Decode(lonRange, latRange, n.North)
	south, _ := Decode(lonRange, latRange, n.South)
	east, _ := Decode(lonRange, latRange, n.East)
	west, _ := Decode(lonRange, latRange, n.West)
	if north.Lat.Max < maxLat || south.Lat.Min > minLat || east.Lon.Max < maxLon || west.Lon.Min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = EncodeWGS84(s.Lon, s.Lat, steps)
		n = NeighborsOf(hash)
		area, _ = Decode(lonRange, latRange, hash)
	}
	// Drop the cells that are useless.
	if steps >= 2 {
		if area.Lat.Min < minLat {
			n.South, n.SouthWest, n.SouthEast = Bits{}, Bits{}, Bits{}
		}
		if area.Lat.Max > maxLat {
			n.North, n.NorthEast, n.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.Min < minLon {
			n.West, n.SouthWest, n.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.Max > maxLon {
			n.East, n.SouthEast, n.NorthEast = Bits{}, Bits{}, Bits{}
		}
	}
	return [9]Bits{hash, n.North, n.South, n.East, n.West, n.NorthEast, n.NorthWest, n.SouthEast, n.SouthWest}
}

// ScoreRange is scoresOfGeoHashBox: the scores [min, max) of the points in cell h.
func ScoreRange(h Bits) (min, max uint64) {
	min = Align52(h)
	h.Bits++
	return min, Align52(h)
}

// Contains is geoWithinShape for a decoded point: whether it lies in the shape, and its
// distance in meters from the centre.
func (s *Shape) Contains(lon, lat float64) (float64, bool) {
	if !s.Box {
		d := Distance(s.Lon, s.Lat, lon, lat)
		return d, d <= s.Radius*s.Conversion
	}
	// geohashGetDistanceIfInRectangle: latitude first, it is cheaper.
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if LatDistance(lat, s.Lat) > h/2 {
		return 0, false
	}
	if Distance(lon, lat, s.Lon, lat) > w/2 {
		return 0, false
	}
	return Distance(s.Lon, s.Lat, lon, lat), true
}

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// String is GEOHASH's 11-character string for a score: the position re-encoded over the
// standard [-90, 90] latitude range, the eleventh character always '0'.
func String(score float64) (string, bool) {
	lon, lat, ok := DecodeScore(score)
	if !ok {
		return "", false
	}
	h, _ := Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, 26)
	var buf [11]byte
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-uint(i+1)*5)) & 0x1f
		}
		buf[i] = alphabet[idx]
	}
	return string(buf[:]), true
}
