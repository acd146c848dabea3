package geohash

import "math"

// Redis computes distances with glibc's sin, cos and asin, which are correctly rounded in
// practice; Go's math package is not (it is often one ulp off), and one ulp shows in stored
// distances (GEOSEARCHSTORE STOREDIST prints 17 digits). These versions evaluate in
// double-double arithmetic (about 106 bits) and round once.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p, e)
}

func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	// r = a - q1*b, exactly enough
	p := q1 * b
	e := math.FMA(q1, b, -p)
	r := ddAdd(a, dd{-p, -e})
	q2 := r.hi / b
	return quickTwoSum(q1, q2)
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddAdd(a, ddNeg(ddMul(dd{q1, 0}, b)))
	q2 := r.hi / b.hi
	r = ddAdd(r, ddNeg(ddMul(dd{q2, 0}, b)))
	q3 := r.hi / b.hi
	return ddAdd(quickTwoSum(q1, q2), dd{q3, 0})
}

// Pi and Pi/2 as double-doubles.
var (
	ddPi     = dd{3.141592653589793116e+00, 1.224646799147353207e-16}
	ddHalfPi = dd{1.570796326794896558e+00, 6.123233995736766036e-17}
)

// sinTaylor is sin(x) for |x| <= pi/4 + a little.
func sinTaylor(x dd) dd {
	x2 := ddMul(x, x)
	term := x
	sum := x
	for n := 1; n < 30; n++ {
		term = ddDivF(ddMul(term, x2), -float64((2*n)*(2*n+1)))
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36*math.Abs(sum.hi) {
			break
		}
	}
	return sum
}

// cosTaylor is cos(x) for |x| <= pi/4 + a little.
func cosTaylor(x dd) dd {
	x2 := ddMul(x, x)
	term := dd{1, 0}
	sum := dd{1, 0}
	for n := 1; n < 30; n++ {
		term = ddDivF(ddMul(term, x2), -float64((2*n-1)*(2*n)))
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return sum
}

// ddSin is sin(x) for |x| <= pi (all that the geo formulas need), in double-double.
func ddSin(x float64) dd {
	neg := x < 0
	y := dd{math.Abs(x), 0}
	if y.hi > math.Pi/2 {
		y = ddAdd(ddPi, ddNeg(y)) // sin(pi - y) = sin(y)
	}
	var r dd
	if y.hi <= math.Pi/4 {
		r = sinTaylor(y)
	} else {
		r = cosTaylor(ddAdd(ddHalfPi, ddNeg(y)))
	}
	if neg {
		r = ddNeg(r)
	}
	return r
}

// ddCos is cos(x) for |x| <= pi.
func ddCos(x float64) dd {
	y := dd{math.Abs(x), 0}
	if y.hi <= math.Pi/4 {
		return cosTaylor(y)
	}
	// cos(y) = sin(pi/2 - y), with pi/2 - y in [-pi/2, pi/4).
	z := ddAdd(ddHalfPi, ddNeg(y))
	if math.Abs(z.hi) <= math.Pi/4 {
		return sinTaylor(z)
	}
	// y > 3pi/4: cos(y) = -cos(pi - y)
	return ddNeg(cosTaylor(ddAdd(ddPi, ddNeg(y))))
}

// sin, cos and asin are the correctly rounded functions the geo formulas use; outside
// [-pi, pi] (never reached from valid coordinates) they fall back to Go's.
func sin(x float64) float64 {
	if !(math.Abs(x) <= math.Pi) {
		return math.Sin(x)
	}
	r := ddSin(x)
	return r.hi + r.lo
}

func cos(x float64) float64 {
	if !(math.Abs(x) <= math.Pi) {
		return math.Cos(x)
	}
	r := ddCos(x)
	return r.hi + r.lo
}

// asin refines Go's estimate with one Newton step in double-double:
// x - (sin(x) - y) / cos(x).
func asin(y float64) float64 {
	g := math.Asin(y)
	if math.IsNaN(g) || y == 0 {
		return g
	}
	c := ddCos(g)
	if c.hi == 0 {
		return g
	}
	f := ddAdd(ddSin(g), dd{-y, 0})
	r := ddAdd(dd{g, 0}, ddNeg(ddDiv(f, c)))
	return r.hi + r.lo
}
