package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/slotdb/slotdb/engine"
	"github.com/slotdb/slotdb/rdb"
)

// functions sends a source's function libraries to every master (a cluster does not share
// them: each node holds its own), one FUNCTION RESTORE per library. With --replace a
// same-named library is replaced; otherwise one the target already has is reported and
// skipped, as existing keys are, so a re-run is safe. Libraries are not counted as keys.
func (im *importer) functions(src string, codes [][]byte) error {
	if len(codes) == 0 {
		return nil
	}
	for _, addr := range im.topo.masters {
		c, err := dial(addr)
		if err != nil {
			return err
		}
		for _, code := range codes {
			name := rdb.LibraryName(code)
			args := []string{"FUNCTION", "RESTORE", string(rdb.EncodeFunctionsDump([][]byte{code}))}
			if im.replace {
				args = append(args, "REPLACE")
			}
			_, err := c.do(args...)
			e, isReply := err.(respError)
			switch {
			case err == nil:
			case isReply && strings.Contains(string(e), "already exists"):
				fmt.Fprintf(os.Stderr, "%s: library '%s' already exists on %s: skipped (--replace replaces it)\n", src, name, addr)
			case isReply:
				im.p.failed.Add(1)
				im.fails = append(im.fails, fmt.Sprintf("library '%s' on %s: %s", name, addr, e))
			default:
				c.Close()
				return fmt.Errorf("%s: FUNCTION RESTORE: %w", addr, err)
			}
		}
		c.Close()
	}
	return nil
}

// scratchFunctions returns the libraries an AOF replay left in the scratch store (the
// server keeps them as a FUNCTION DUMP payload under its "functions" marker).
func scratchFunctions(eng *engine.Engine) ([][]byte, error) {
	payload, ok, err := eng.Marker("functions")
	if err != nil || !ok || len(payload) == 0 {
		return nil, err
	}
	codes, err := rdb.DecodeFunctionsDump(payload)
	if err != nil {
		return nil, fmt.Errorf("the replayed function libraries: %w", err)
	}
	return codes, nil
}
