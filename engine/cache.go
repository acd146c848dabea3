package engine

import (
	"github.com/maypok86/otter/v2"
	"github.com/slotdb/slotdb/internal/clock"
)

// metaCache holds decoded metadata records (and so inline string values), including "absent"
// entries so that writes of new keys and misses skip Pebble. It is write-through: entries change
// only under the key's stripe lock, after the batch that changed the key has committed.
type metaCache struct {
	c *otter.Cache[cacheKey, *Meta]
}

type cacheKey struct {
	db  byte
	key string
}

// absent is the cached "no such key" entry.
var absent = &Meta{}

func newMetaCache(bytes int64) *metaCache {
	c := otter.Must(&otter.Options[cacheKey, *Meta]{
		MaximumWeight: uint64(max(bytes, 1<<20)),
		Clock:         clock.Otter{},
		Weigher: func(k cacheKey, m *Meta) uint32 {
			return uint32(min(len(k.key)+m.size(), 1<<31))
		},
	})
	return &metaCache{c: c}
}

func (m *metaCache) get(db byte, key []byte) (*Meta, bool) {
	return m.c.GetIfPresent(cacheKey{db, string(key)})
}

func (m *metaCache) put(db byte, key []byte, meta *Meta) {
	if meta == nil {
		meta = absent
	}
	// Big values are not worth the cache's room; Pebble's block cache still has them.
	if meta.size() > 64<<10 {
		m.c.Invalidate(cacheKey{db, string(key)})
		return
	}
	m.c.Set(cacheKey{db, string(key)}, meta)
}

func (m *metaCache) resize(bytes int64) { m.c.SetMaximum(uint64(max(bytes, 1<<20))) }
func (m *metaCache) clear()             { m.c.InvalidateAll() }
func (m *metaCache) close()             { m.c.StopAllGoroutines() }
