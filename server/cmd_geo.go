package server

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/internal/geohash"
)

// Geo commands (geo.c, Redis 7.0.15): positions are sorted-set members whose scores are
// 52-bit geohash cells (internal/geohash).

func init() {
	register("geoadd", cmdGeoAdd)
	register("geopos", cmdGeoPos)
	register("geodist", cmdGeoDist)
	register("geohash", cmdGeoHash)
	register("georadius", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 1, geoCoords) })
	register("georadius_ro", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 1, geoCoords|geoNoStore) })
	register("georadiusbymember", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 1, geoMember) })
	register("georadiusbymember_ro", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 1, geoMember|geoNoStore) })
	register("geosearch", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 1, geoSearch) })
	register("geosearchstore", func(c *Client, a [][]byte) { georadiusGeneric(c, a, 2, geoSearch|geoSearchStore) })
}

// Search variants (georadiusGeneric's flags).
const (
	geoCoords      = 1 << iota // around coordinates
	geoMember                  // around a member
	geoNoStore                 // no STORE / STOREDIST
	geoSearch                  // GEOSEARCH arguments
	geoSearchStore             // GEOSEARCHSTORE: STOREDIST only
)

// cFormatF is C's printf("%f").
func cFormatF(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// humanDouble is ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros.
func humanDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// writeHumanDouble is addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3.
func (c *Client) writeHumanDouble(f float64) {
	if c.w.Proto == 2 {
		c.w.BulkString(humanDouble(f))
		return
	}
	c.w.Raw([]byte("," + humanDouble(f) + "\r\n"))
}

// distance is addReplyDoubleDistance: "%.4f" as a bulk string in both protocols.
func (c *Client) writeDistance(d float64) { c.w.BulkString(strconv.FormatFloat(d, 'f', 4, 64)) }

// parseLonLat is extractLongLatOrReply; the error is the reply.
func parseLonLat(lon, lat []byte) (float64, float64, error) {
	x, ok := parseDouble(lon)
	if !ok {
		return 0, 0, replyError(errNotFloat)
	}
	y, ok := parseDouble(lat)
	if !ok {
		return 0, 0, replyError(errNotFloat)
	}
	if x < geohash.LonMin || x > geohash.LonMax || y < geohash.LatMin || y > geohash.LatMax {
		return 0, 0, replyError("ERR invalid longitude,latitude pair " + cFormatF(x) + "," + cFormatF(y))
	}
	return x, y, nil
}

// parseUnit is extractUnitOrReply: meters per unit.
func parseUnit(u []byte) (float64, error) {
	switch {
	case eqFold(u, "m"):
		return 1, nil
	case eqFold(u, "km"):
		return 1000, nil
	case eqFold(u, "ft"):
		return 0.3048, nil
	case eqFold(u, "mi"):
		return 1609.34, nil
	}
	return 0, replyError("ERR unsupported unit provided. please use M, KM, FT, MI")
}

// parseDistance is extractDistanceOrReply: radius, then unit.
func parseDistance(r, u []byte) (radius, conv float64, err error) {
	radius, ok := parseDouble(r)
	if !ok {
		return 0, 0, replyError("ERR need numeric radius")
	}
	if radius < 0 {
		return 0, 0, replyError("ERR radius cannot be negative")
	}
	conv, err = parseUnit(u)
	return radius, conv, err
}

// cmdGeoAdd is GEOADD key [NX|XX] [CH] lon lat member ...: ZADD with geohash scores.
func cmdGeoAdd(c *Client, args [][]byte) {
	xx, nx := false, false
	longIdx := 2
	for ; longIdx < len(args); longIdx++ {
		a := args[longIdx]
		if eqFold(a, "nx") {
			nx = true
		} else if eqFold(a, "xx") {
			xx = true
		} else if !eqFold(a, "ch") {
			break
		}
	}
	if (len(args)-longIdx)%3 != 0 || (xx && nx) {
		c.w.Error(errSyntax)
		return
	}
	zargs := make([][]byte, 0, longIdx+(len(args)-longIdx)/3*2)
	zargs = append(zargs, []byte("zadd"))
	zargs = append(zargs, args[1:longIdx]...)
	for i := longIdx; i+2 < len(args); i += 3 {
		lon, lat, err := parseLonLat(args[i], args[i+1])
		if err != nil {
			c.w.Error(err.Error())
			return
		}
		score, _ := geohash.Score(lon, lat)
		zargs = append(zargs, strconv.AppendUint(nil, score, 10), args[i+2])
	}
	zaddGeneric(c, zargs, 2, false)
}

// geoScores reads members' scores from key (nil set when the key is missing).
func (c *Client) geoView(key []byte, fn func(z *engine.ZSet) error) {
	c.zview([][]byte{key}, func(tx *engine.Tx) error {
		z, err := openZSet(tx, key, c.zsetLimits())
		if err != nil {
			return err
		}
		return fn(z)
	})
}

func cmdGeoPos(c *Client, args [][]byte) {
	c.geoView(args[1], func(z *engine.ZSet) error {
		c.w.Array(len(args) - 2)
		for _, m := range args[2:] {
			var score float64
			found := false
			if z != nil {
				var err error
				if score, found, err = z.Score(m); err != nil {
					return err
				}
			}
			lon, lat, ok := geohash.DecodeScore(score)
			if !found || !ok {
				c.w.NullArray()
				continue
			}
			c.w.Array(2)
			c.writeHumanDouble(lon)
			c.writeHumanDouble(lat)
		}
		return nil
	})
}

func cmdGeoDist(c *Client, args [][]byte) {
	toMeter := 1.0
	if len(args) == 5 {
		var err error
		if toMeter, err = parseUnit(args[4]); err != nil {
			c.w.Error(err.Error())
			return
		}
	} else if len(args) > 5 {
		c.w.Error(errSyntax)
		return
	}
	c.geoView(args[1], func(z *engine.ZSet) error {
		if z == nil {
			c.w.Null()
			return nil
		}
		s1, ok1, err := z.Score(args[2])
		if err != nil {
			return err
		}
		s2, ok2, err := z.Score(args[3])
		if err != nil {
			return err
		}
		if !ok1 || !ok2 {
			c.w.Null()
			return nil
		}
		lon1, lat1, okA := geohash.DecodeScore(s1)
		lon2, lat2, okB := geohash.DecodeScore(s2)
		if !okA || !okB {
			c.w.Null()
			return nil
		}
		c.writeDistance(geohash.Distance(lon1, lat1, lon2, lat2) / toMeter)
		return nil
	})
}

func cmdGeoHash(c *Client, args [][]byte) {
	c.geoView(args[1], func(z *engine.ZSet) error {
		c.w.Array(len(args) - 2)
		for _, m := range args[2:] {
			if z == nil {
				c.w.Null()
				continue
			}
			score, found, err := z.Score(m)
			if err != nil {
				return err
			}
			s, ok := geohash.String(score)
			if !found || !ok {
				c.w.Null()
				continue
			}
			c.w.BulkString(s)
		}
		return nil
	})
}

// geoPoint is one search result.
type geoPoint struct {
	member   []byte
	score    float64
	lon, lat float64
	dist     float64
}

// memberPosition is longLatFromMember.
func memberPosition(z *engine.ZSet, member []byte) (float64, float64, error) {
	score, found, err := z.Score(member)
	if err != nil {
		return 0, 0, err
	}
	lon, lat, ok := geohash.DecodeScore(score)
	if !found || !ok {
		return 0, 0, replyError("ERR could not decode requested zset member")
	}
	return lon, lat, nil
}

// georadiusGeneric is georadiusGeneric: GEORADIUS[BYMEMBER][_RO], GEOSEARCH[STORE].
func georadiusGeneric(c *Client, args [][]byte, srcIdx int, flags int) {
	src := args[srcIdx]
	var storeKey []byte
	if flags&geoSearchStore != 0 {
		storeKey = args[1]
	}
	// STORE's key is known only after parsing: lock every argument that could be one.
	lockKeys := [][]byte{src}
	if flags&geoSearchStore != 0 {
		lockKeys = append(lockKeys, args[1])
	} else if flags&(geoNoStore|geoSearch) == 0 {
		for i := srcIdx + 1; i+1 < len(args); i++ {
			if eqFold(args[i], "store") || eqFold(args[i], "storedist") {
				lockKeys = append(lockKeys, args[i+1])
			}
		}
	}
	lim := c.zsetLimits()
	work := func(tx *engine.Tx) error {
		z, err := openZSet(tx, src, lim)
		if err != nil {
			return err
		}
		var shape geohash.Shape
		var baseArgs int
		switch {
		case flags&geoCoords != 0:
			baseArgs = 6
			if shape.Lon, shape.Lat, err = parseLonLat(args[2], args[3]); err != nil {
				return err
			}
			if shape.Radius, shape.Conversion, err = parseDistance(args[4], args[5]); err != nil {
				return err
			}
		case flags&geoMember != 0 && z == nil:
			baseArgs = 5
		case flags&geoMember != 0:
			baseArgs = 5
			if shape.Lon, shape.Lat, err = memberPosition(z, args[2]); err != nil {
				return err
			}
			if shape.Radius, shape.Conversion, err = parseDistance(args[3], args[4]); err != nil {
				return err
			}
		default:
			baseArgs = 2
			if flags&geoSearchStore != 0 {
				baseArgs = 3
			}
		}
		withDist, withHash, withCoord := false, false, false
		fromMember, fromLoc, byRadius, byBox := false, false, false, false
		sort := 0 // 0 none, 1 asc, 2 desc
		any := false
		var count int64
		storeDist := false
		remaining := len(args) - baseArgs
		for i := 0; i < remaining; i++ {
			a := args[baseArgs+i]
			switch {
			case eqFold(a, "withdist"):
				withDist = true
			case eqFold(a, "withhash"):
				withHash = true
			case eqFold(a, "withcoord"):
				withCoord = true
			case eqFold(a, "any"):
				any = true
			case eqFold(a, "asc"):
				sort = 1
			case eqFold(a, "desc"):
				sort = 2
			case eqFold(a, "count") && i+1 < remaining:
				n, ok := parseInt(args[baseArgs+i+1])
				if !ok {
					return replyError(errNotInt)
				}
				if n <= 0 {
					return replyError("ERR COUNT must be > 0")
				}
				count = n
				i++
			case (eqFold(a, "store") || eqFold(a, "storedist")) && i+1 < remaining &&
				flags&geoNoStore == 0 && flags&geoSearch == 0:
				storeKey = args[baseArgs+i+1]
				storeDist = eqFold(a, "storedist")
				i++
			case eqFold(a, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
				storeDist = true
			case eqFold(a, "frommember") && i+1 < remaining && flags&geoSearch != 0 && !fromLoc:
				if z != nil {
					if shape.Lon, shape.Lat, err = memberPosition(z, args[baseArgs+i+1]); err != nil {
						return err
					}
				}
				fromMember = true
				i++
			case eqFold(a, "fromlonlat") && i+2 < remaining && flags&geoSearch != 0 && !fromMember:
				if shape.Lon, shape.Lat, err = parseLonLat(args[baseArgs+i+1], args[baseArgs+i+2]); err != nil {
					return err
				}
				fromLoc = true
				i += 2
			case eqFold(a, "byradius") && i+2 < remaining && flags&geoSearch != 0 && !byBox:
				if shape.Radius, shape.Conversion, err = parseDistance(args[baseArgs+i+1], args[baseArgs+i+2]); err != nil {
					return err
				}
				shape.Box = false
				byRadius = true
				i += 2
			case eqFold(a, "bybox") && i+3 < remaining && flags&geoSearch != 0 && !byRadius:
				w, ok := parseDouble(args[baseArgs+i+1])
				if !ok {
					return replyError("ERR need numeric width")
				}
				h, ok := parseDouble(args[baseArgs+i+2])
				if !ok {
					return replyError("ERR need numeric height")
				}
				if h < 0 || w < 0 {
					return replyError("ERR height or width cannot be negative")
				}
				if shape.Conversion, err = parseUnit(args[baseArgs+i+3]); err != nil {
					return err
				}
				shape.Width, shape.Height, shape.Box = w, h, true
				byBox = true
				i += 3
			default:
				return replyError(errSyntax)
			}
		}
		if storeKey != nil && (withDist || withHash || withCoord) {
			if flags&geoSearchStore != 0 {
				return replyError("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
			}
			return replyError("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		}
		if flags&geoSearch != 0 && !(fromMember || fromLoc) {
			return replyError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		}
		if flags&geoSearch != 0 && !(byRadius || byBox) {
			return replyError("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		}
		if any && count == 0 {
			return replyError("ERR the ANY argument requires COUNT argument")
		}
		if z == nil {
			if storeKey != nil {
				if _, err := tx.Delete(storeKey); err != nil {
					return err
				}
				c.w.Int(0)
			} else {
				c.w.Array(0)
			}
			return nil
		}
		if count != 0 && sort == 0 && !any {
			sort = 1
		}
		var limit int64
		if any {
			limit = count
		}
		pts, err := geoMembersInShape(z, &shape, limit)
		if err != nil {
			return err
		}
		if len(pts) == 0 && storeKey == nil {
			c.w.Array(0)
			return nil
		}
		returned := len(pts)
		if count != 0 && int64(returned) > count {
			returned = int(count)
		}
		switch sort {
		case 1:
			slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmpFloat(a.dist, b.dist) })
		case 2:
			slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmpFloat(b.dist, a.dist) })
		}
		pts = pts[:returned]
		for i := range pts {
			pts[i].dist /= shape.Conversion
		}
		if storeKey == nil {
			opts := 0
			for _, b := range []bool{withDist, withCoord, withHash} {
				if b {
					opts++
				}
			}
			c.w.Array(len(pts))
			for _, p := range pts {
				if opts > 0 {
					c.w.Array(opts + 1)
				}
				c.w.Bulk(p.member)
				if withDist {
					c.writeDistance(p.dist)
				}
				if withHash {
					c.w.Int(int64(p.score))
				}
				if withCoord {
					c.w.Array(2)
					c.writeHumanDouble(p.lon)
					c.writeHumanDouble(p.lat)
				}
			}
			return nil
		}
		ms := make([]engine.ZMember, len(pts))
		for i, p := range pts {
			ms[i] = engine.ZMember{Member: p.member, Score: p.score}
			if storeDist {
				ms[i].Score = p.dist
			}
		}
		sortZMembers(ms)
		n, err := storeZMembers(tx, storeKey, ms, lim)
		if err == nil {
			c.w.Int(n)
		}
		return err
	}
	if len(lockKeys) > 1 {
		c.zupdate(lockKeys, work)
	} else {
		c.zview(lockKeys, work)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// geoMembersInShape is membersOfAllNeighbors: the members of the nine cells that lie in the
// shape, in the order Redis finds them; with limit, it stops once it has that many.
func geoMembersInShape(z *engine.ZSet, shape *geohash.Shape, limit int64) ([]geoPoint, error) {
	areas := shape.Areas()
	var pts []geoPoint
	last := -1
	for i, a := range areas {
		if a.IsZero() {
			continue
		}
		// With huge radii adjacent cells can be the same: skip repeats of the previous one.
		// (Redis compares only after a neighbour was processed, never with the centre cell.)
		if last > 0 && a == areas[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit {
			break
		}
		lo, hi := geohash.ScoreRange(a)
		r := engine.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}
		err := z.RangeByScore(r, false, 0, func(m []byte, s float64) bool {
			lon, lat, ok := geohash.DecodeScore(s)
			if ok {
				if d, in := shape.Contains(lon, lat); in {
					pts = append(pts, geoPoint{member: append([]byte(nil), m...), score: s, lon: lon, lat: lat, dist: d})
				}
			}
			return !(len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit)
		})
		if err != nil {
			return nil, err
		}
		last = i
	}
	return pts, nil
}
