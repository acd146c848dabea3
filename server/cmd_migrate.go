package server

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// MIGRATE (cluster.c migrateCommand of 7.0.15): the keys are serialized as DUMP payloads and
// sent as one pipeline of RESTORE (RESTORE-ASKING in cluster mode) over a cached connection
// to the target; each key the target acknowledged is deleted here unless COPY was given.
//
// Redis is single-threaded, so nothing touches the keys while it waits for the target. Here
// the keys' stripe locks are held from the serialization to the local delete, which gives the
// same guarantee to the clients of those keys and leaves every other key served.

func init() {
	register("migrate", cmdMigrate)
}

const (
	errMigrateKeysArg = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	errMigrateConnect = "IOERR error or timeout connecting to the client"
	// migrateChunk is how much of the pipeline one timed write sends, as Redis's 64K chunks.
	migrateChunk = 64 * 1024
	// migrateLineMax is the reply line buffer of connSyncReadLine (1024 with the NUL).
	migrateLineMax = 1023
)

// migrateArgs is a parsed MIGRATE.
type migrateArgs struct {
	host, port     string
	keys           [][]byte
	db             int64
	timeout        time.Duration
	copy, replace  bool
	user, password []byte // password nil: no AUTH
}

func cmdMigrate(c *Client, args [][]byte) {
	a, ok := parseMigrate(c, args)
	if !ok {
		return
	}
	// lookupKeyRead for each key: expired keys go, hits and misses are counted.
	var keys [][]byte
	for _, k := range a.keys {
		m, ok := c.lookup(k)
		if !ok {
			return
		}
		if m != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		c.w.Simple("NOKEY")
		return
	}
	a.keys = keys
	var reply string
	ok = c.update(keys, func(tx *engine.Tx) error {
		var err error
		reply, err = c.s.migrate(c, tx, &a)
		return err
	})
	if !ok {
		return
	}
	if reply == "OK" {
		c.w.OK()
		return
	}
	c.w.Error(reply)
}

// parseMigrate reads the options in Redis's order: options first (their syntax errors win),
// then the timeout, then the db.
func parseMigrate(c *Client, args [][]byte) (migrateArgs, bool) {
	a := migrateArgs{host: string(args[1]), port: string(args[2])}
	first, num := 3, 1
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "copy"):
			a.copy = true
		case eqFold(args[j], "replace"):
			a.replace = true
		case eqFold(args[j], "auth"):
			if more < 1 {
				c.w.Error(errSyntax)
				return a, false
			}
			j++
			a.password = args[j]
		case eqFold(args[j], "auth2"):
			if more < 2 {
				c.w.Error(errSyntax)
				return a, false
			}
			a.user, a.password = args[j+1], args[j+2]
			j += 2
		case eqFold(args[j], "keys"):
			if len(args[3]) != 0 {
				c.w.Error(errMigrateKeysArg)
				return a, false
			}
			first, num = j+1, len(args)-j-1
			j = len(args)
		default:
			c.w.Error(errSyntax)
			return a, false
		}
	}
	timeout, ok := parseInt(args[5])
	if !ok {
		c.w.Error(errNotInt)
		return a, false
	}
	if a.db, ok = parseInt(args[4]); !ok {
		c.w.Error(errNotInt)
		return a, false
	}
	if timeout <= 0 {
		timeout = 1000
	}
	a.timeout = time.Duration(min(timeout, int64(1<<62)/int64(time.Millisecond))) * time.Millisecond
	a.keys = args[first : first+num]
	return a, true
}

// migratePayload is one key ready to send.
type migratePayload struct {
	key     []byte
	ttl     int64
	payload []byte
}

// migrate runs the exchange with the target for keys held by tx, deletes the acknowledged
// keys in tx (unless COPY) and returns the reply: "OK" or the error text.
func (s *Server) migrate(c *Client, tx *engine.Tx, a *migrateArgs) (string, error) {
	var items []migratePayload
	for _, k := range a.keys {
		m, err := tx.Get(k)
		if err != nil {
			return "", err
		}
		if m == nil { // expired or deleted since the lookup: skipped, as Redis skips it
			continue
		}
		ttl := int64(0)
		if m.ExpireAt != 0 {
			ttl = max(m.ExpireAt-tx.Now(), 1)
		}
		o, err := tx.ReadObject(k, m)
		if err != nil {
			return "", err
		}
		items = append(items, migratePayload{key: k, ttl: ttl, payload: rdb.EncodeDump(o)})
	}
	restore := "RESTORE"
	if s.cluster != nil {
		restore = "RESTORE-ASKING"
	}
	mayRetry := true
	for {
		cs, err := s.migrateSockets().get(a.host, a.port, a.timeout)
		if err != nil {
			// Redis connects without blocking and only waits for the socket to be writable:
			// a refused connection shows up as a failed write (retried once), only a
			// timeout or an unresolvable address as a failed connect.
			if connectFailed(err) {
				return errMigrateConnect, nil
			}
			if mayRetry {
				mayRetry = false
				continue
			}
			return "IOERR error or timeout writing to target instance", nil
		}
		res := cs.exchange(a, restore, items)
		// Acknowledged keys are gone here whatever else happened, as Redis deletes them as
		// it reads each reply.
		if !a.copy && len(res.acked) > 0 {
			// Replicas see the move as DEL of the keys the target took (argv rewritten in Redis).
			del := [][]byte{[]byte("DEL")}
			for _, i := range res.acked {
				if _, err := tx.Delete(items[i].key); err != nil {
					cs.release()
					return "", err
				}
				del = append(del, items[i].key)
			}
			tx.Propagate(del...)
		}
		if res.targetErr != "" {
			if res.socketErr {
				s.migrateSockets().drop(a.host, a.port, cs)
			}
			cs.release()
			return "ERR Target instance replied with error: " + res.targetErr, nil
		}
		if !res.socketErr {
			cs.lastDB = a.db
			cs.release()
			return "OK", nil
		}
		s.migrateSockets().drop(a.host, a.port, cs)
		cs.release()
		// Retry once on a fresh connection when nothing was processed and it was no timeout:
		// the cached connection was most likely closed by the peer.
		if mayRetry && !res.timedOut && len(res.acked) == 0 && !res.readAny {
			mayRetry = false
			continue
		}
		if res.writeErr {
			return "IOERR error or timeout writing to target instance", nil
		}
		return "IOERR error or timeout reading to target instance", nil
	}
}

// migrateResult is what one exchange with the target produced.
type migrateResult struct {
	acked     []int  // indexes of the keys the target restored
	targetErr string // the first error line from the target, without its '-'
	socketErr bool
	writeErr  bool
	timedOut  bool
	readAny   bool // at least one RESTORE reply was read
}

// exchange writes AUTH, SELECT (when the connection's db differs) and the RESTOREs as one
// pipeline, then reads the replies line by line.
func (cs *migrateSocket) exchange(a *migrateArgs, restore string, items []migratePayload) (res migrateResult) {
	var buf []byte
	if a.password != nil {
		if a.user != nil {
			buf = appendCommand(buf, []byte("AUTH"), a.user, a.password)
		} else {
			buf = appendCommand(buf, []byte("AUTH"), a.password)
		}
	}
	sel := cs.lastDB != a.db
	if sel {
		buf = appendCommand(buf, []byte("SELECT"), strconv.AppendInt(nil, a.db, 10))
	}
	for _, it := range items {
		args := [][]byte{[]byte(restore), it.key, strconv.AppendInt(nil, it.ttl, 10), it.payload}
		if a.replace {
			args = append(args, []byte("REPLACE"))
		}
		buf = appendCommand(buf, args...)
	}
	fail := func(err error) migrateResult {
		res.socketErr = true
		res.timedOut = isTimeout(err)
		return res
	}
	for pos := 0; pos < len(buf); {
		n := min(len(buf)-pos, migrateChunk)
		cs.conn.SetWriteDeadline(time.Now().Add(a.timeout))
		w, err := cs.conn.Write(buf[pos : pos+n])
		if err != nil || w != n {
			res.writeErr = true
			return fail(err)
		}
		pos += n
	}
	var authLine, selLine string
	var err error
	if a.password != nil {
		if authLine, err = cs.readLine(a.timeout); err != nil {
			return fail(err)
		}
	}
	if sel {
		if selLine, err = cs.readLine(a.timeout); err != nil {
			return fail(err)
		}
	}
	cs.lastDB = -1 // until the whole exchange succeeded
	for i := range items {
		line, err := cs.readLine(a.timeout)
		if err != nil {
			return fail(err)
		}
		res.readAny = true
		if authLine != "" && authLine[0] == '-' || selLine != "" && selLine[0] == '-' || line[0] == '-' {
			if res.targetErr == "" {
				switch {
				case authLine != "" && authLine[0] == '-':
					res.targetErr = authLine[1:]
				case selLine != "" && selLine[0] == '-':
					res.targetErr = selLine[1:]
				default:
					res.targetErr = line[1:]
				}
			}
			continue
		}
		res.acked = append(res.acked, i)
	}
	return res
}

// readLine is connSyncReadLine: one line without its CRLF, at most migrateLineMax bytes kept,
// within timeout. An empty line is an error, as a zero-length read is for Redis.
func (cs *migrateSocket) readLine(timeout time.Duration) (string, error) {
	cs.conn.SetReadDeadline(time.Now().Add(timeout))
	var line []byte
	for {
		part, err := cs.rd.ReadSlice('\n')
		if len(line) < migrateLineMax {
			line = append(line, part[:min(len(part), migrateLineMax-len(line))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return "", errors.New("empty reply line")
	}
	return string(line), nil
}

// connectFailed tells a connect that Redis's connBlockingConnect reports (timeout, bad
// address) from one whose socket was made and failed afterwards (refused, unreachable).
func connectFailed(err error) bool {
	var dns *net.DNSError
	var addr *net.AddrError
	return isTimeout(err) || errors.As(err, &dns) || errors.As(err, &addr)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// appendCommand appends args as a RESP array of bulk strings.
func appendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
