package persisttest

import (
	"fmt"
	"strconv"

	"github.com/slotdb/slotdb/internal/proctest"
	"github.com/slotdb/slotdb/rdb"
)

// DumpAll reads every key of databases 0..dbs-1 of the server at addr with SCAN, DUMP and
// PEXPIRETIME, decoding each payload with the rdb package.
func DumpAll(addr string, dbs int) ([]Record, error) {
	c, err := proctest.Dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	do := func(args ...string) (any, error) {
		raw, err := c.Do(args...)
		if err != nil {
			return nil, err
		}
		v, err := proctest.Decode(raw)
		if err != nil {
			return nil, err
		}
		if e, ok := v.(proctest.Error); ok {
			return nil, fmt.Errorf("%v: %s", args, e)
		}
		return v, nil
	}
	var out []Record
	for db := 0; db < dbs; db++ {
		if _, err := do("SELECT", strconv.Itoa(db)); err != nil {
			return nil, err
		}
		cursor := "0"
		for {
			v, err := do("SCAN", cursor, "COUNT", "1000")
			if err != nil {
				return nil, err
			}
			a := v.([]any)
			cursor = a[0].(string)
			for _, k := range a[1].([]any) {
				key := k.(string)
				p, err := do("DUMP", key)
				if err != nil {
					return nil, err
				}
				if p == nil {
					continue // expired meanwhile
				}
				o, err := rdb.DecodeDump([]byte(p.(string)))
				if err != nil {
					return nil, fmt.Errorf("DUMP %q: %v", key, err)
				}
				t, err := do("PEXPIRETIME", key)
				if err != nil {
					return nil, err
				}
				out = append(out, FromObject(db, []byte(key), &o, t.(int64)))
			}
			if cursor == "0" {
				break
			}
		}
	}
	Sort(out)
	return out, nil
}
