package server

import (
	"github.com/slotdb/slotdb/script"
)

// LoadFunctionLibraries installs the function libraries of an RDB file (its FUNCTION2
// records) as Redis's rdbLoad does, and saves them with the others. flush replaces every
// library (a replica's full sync: the master's set wins); otherwise the file's libraries are
// added, replacing same-named ones (loading on start). A library that does not compile fails
// the whole set, as it fails Redis's load.
func (s *Server) LoadFunctionLibraries(codes [][]byte, flush bool) error {
	if len(codes) == 0 && !flush {
		return nil
	}
	list := make([]string, len(codes))
	for i, c := range codes {
		list[i] = string(c)
	}
	policy := script.RestoreReplace
	if flush {
		policy = script.RestoreFlush
	}
	if err := s.scripts().funcs.Restore(list, policy); err != nil {
		return err
	}
	s.saveFunctions()
	return nil
}
