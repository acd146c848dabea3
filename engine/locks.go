package engine

import (
	"hash/maphash"
	"slices"
	"sync"
)

// stripes serialise commands on the same key: a key hashes to one of a fixed set of mutexes.
// Multi-key commands lock their stripes in index order, so they cannot deadlock.
type stripes struct {
	seed maphash.Seed
	mu   [4096]sync.RWMutex
}

func newStripes() *stripes { return &stripes{seed: maphash.MakeSeed()} }

func (s *stripes) index(db byte, key []byte) int {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteByte(db)
	h.Write(key)
	return int(h.Sum64() % uint64(len(s.mu)))
}

// lockSet is the sorted, de-duplicated set of stripes a command holds.
type lockSet []int

func (s *stripes) set(db byte, keys [][]byte) lockSet {
	ls := make(lockSet, 0, len(keys))
	for _, k := range keys {
		ls = append(ls, s.index(db, k))
	}
	slices.Sort(ls)
	return slices.Compact(ls)
}

func (s *stripes) lock(ls lockSet) {
	for _, i := range ls {
		s.mu[i].Lock()
	}
}

func (s *stripes) unlock(ls lockSet) {
	for j := len(ls) - 1; j >= 0; j-- {
		s.mu[ls[j]].Unlock()
	}
}
