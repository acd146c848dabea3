// Package config implements slotdb's configuration layer with the exact
// behaviour of Redis 7.0.15: redis.conf parsing (config.c / sds.c),
// the registry of every parameter Redis knows, CONFIG GET / SET / REWRITE
// logic and the typed values the server applies.
package config

// Type is the kind of value a parameter holds, as config.c types it.
type Type uint8

const (
	Bool    Type = iota // yes / no
	Int                 // plain integer (INTEGER_CONFIG)
	Octal               // integer written in octal (unixsocketperm)
	Memory              // bytes, accepts 1k / 1kb / 1mb ... (MEMORY_CONFIG)
	Percent             // memory or "n%" (maxmemory-clients)
	Enum                // one name out of a list, or several (bit flags)
	String              // free text
	Special             // own parser and formatter (save, bind, dir ...)
)

// Flag holds the config.c flags that change how a parameter is handled.
type Flag uint16

const (
	Immutable   Flag = 1 << iota // CONFIG SET refuses it
	Protected                    // CONFIG SET only with enable-protected-configs
	Hidden                       // not matched by CONFIG GET patterns
	MultiArg                     // takes several arguments
	Sensitive                    // value redacted from logs
	DenyLoading                  // CONFIG SET refused while loading
	EmptyIsNull                  // string: "" means unset
	Unsigned                     // numeric: C type is unsigned (bounds compare unsigned)
)

// EnumValue is one accepted name of an Enum parameter.
type EnumValue struct {
	Name  string
	Value int
}

// Param describes one parameter of the registry.
type Param struct {
	Name    string
	Alias   string // second name accepted everywhere (slaveof for replicaof ...)
	Type    Type
	Flags   Flag
	Min     int64 // numeric bounds, inclusive (as C long long)
	Max     int64
	Default string      // the default in redis.conf syntax (as CONFIG GET shows it)
	Enum    []EnumValue // Enum: accepted names in Redis's order
	// Applied reports whether slotdb acts on the value (or stores it for later
	// work that reads it); others are accepted, stored and shown only.
	Applied bool
}

// Modifiable reports whether CONFIG SET may change the parameter.
func (p *Param) Modifiable() bool { return p.Flags&Immutable == 0 }

// Has reports whether all flags in f are set.
func (p *Param) Has(f Flag) bool { return p.Flags&f == f }
