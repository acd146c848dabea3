package engine

import (
	"github.com/maypok86/otter/v2"
	"github.com/slotdb/slotdb/internal/clock"
)

// metaCache holds decoded metadata records (and so inline string values), including "absent"
// entries so that writes of new keys and misses skip Pebble. It is write-through: entries change
// only under the key's stripe lock, after the batch that changed the key has committed.
//
// Beside it, stamps keeps the access stamps (access.go) of keys whose record left the cache
// (evicted, or too big to cache) or was never in it (loaded from an RDB with IDLE/FREQ): a
// bounded table, so a key's idle time and counter survive a trip through Pebble while there
// is room, and fall back to the startup default when there is not.
type metaCache struct {
	c      *otter.Cache[cacheKey, *Meta]
	stamps *otter.Cache[cacheKey, *accessStamp]
}

type cacheKey struct {
	db  byte
	key string
}

// absent is the cached "no such key" entry.
var absent = &Meta{}

// stampShare is the fraction of the cache budget the side stamps table may use;
// stampOverhead is what one entry costs beside its key.
const (
	stampShare    = 16
	stampOverhead = 48
)

func newMetaCache(bytes int64) *metaCache {
	m := &metaCache{}
	m.stamps = otter.Must(&otter.Options[cacheKey, *accessStamp]{
		MaximumWeight: uint64(max(bytes/stampShare, 1<<20)),
		Clock:         clock.Otter{},
		Weigher: func(k cacheKey, _ *accessStamp) uint32 {
			return uint32(min(len(k.key)+stampOverhead, 1<<31))
		},
	})
	m.c = otter.Must(&otter.Options[cacheKey, *Meta]{
		MaximumWeight: uint64(max(bytes, 1<<20)),
		Clock:         clock.Otter{},
		Weigher: func(k cacheKey, m *Meta) uint32 {
			return uint32(min(len(k.key)+m.size(), 1<<31))
		},
		// An evicted record takes its stamp to the side table, synchronously, so that the
		// next load of the key (under its stripe lock) finds it.
		OnAtomicDeletion: func(ev otter.DeletionEvent[cacheKey, *Meta]) {
			if ev.Cause.IsEviction() && ev.Value.acc != nil {
				m.stamps.Set(ev.Key, ev.Value.acc)
			}
		},
	})
	return m
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
		if meta.acc != nil {
			m.stamps.Set(cacheKey{db, string(key)}, meta.acc)
		}
		return
	}
	m.c.Set(cacheKey{db, string(key)}, meta)
}

// attachStamp gives m, just decoded from Pebble and not yet visible to anyone else, the stamp
// the side table kept for the key, or a new one with the default value (def).
func (m *metaCache) attachStamp(db byte, key []byte, meta *Meta, def func() *accessStamp) {
	if s, ok := m.stamps.GetIfPresent(cacheKey{db, string(key)}); ok {
		meta.acc = s
		return
	}
	meta.acc = def()
}

// putStamp records a stamp for a key whose record is not cached (RDB load).
func (m *metaCache) putStamp(db byte, key []byte, s *accessStamp) {
	m.stamps.Set(cacheKey{db, string(key)}, s)
}

// stampOf is the stamp in memory for key, or nil.
func (m *metaCache) stampOf(db byte, key []byte) *accessStamp {
	if meta, ok := m.get(db, key); ok && meta != absent {
		return meta.acc
	}
	s, _ := m.stamps.GetIfPresent(cacheKey{db, string(key)})
	return s
}

func (m *metaCache) resize(bytes int64) {
	m.c.SetMaximum(uint64(max(bytes, 1<<20)))
	m.stamps.SetMaximum(uint64(max(bytes/stampShare, 1<<20)))
}

// clear empties the record cache; stamps stay (they describe keys, not records, and a stale
// one is replaced whenever its key is written).
func (m *metaCache) clear() { m.c.InvalidateAll() }

// clearStamps forgets every stamp (a bulk load into an empty store starts afresh).
func (m *metaCache) clearStamps() { m.stamps.InvalidateAll() }

func (m *metaCache) close() {
	m.c.StopAllGoroutines()
	m.stamps.StopAllGoroutines()
}
