package rdb

// Object type bytes (RDB_TYPE_*).
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5
	TypeModule           = 6
	TypeModule2          = 7
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19
	TypeSetListpack      = 20
	TypeStreamListpacks3 = 21
)

// Opcodes.
const (
	opFunction2    = 245
	opFunctionPre  = 246
	opModuleAux    = 247
	opIdle         = 248
	opFreq         = 249
	opAux          = 250
	opResizeDB     = 251
	opExpireTimeMs = 252
	opExpireTime   = 253
	opSelectDB     = 254
	opEOF          = 255
)

// Versions this package reads and writes.
const (
	MinVersion     = 1
	MaxVersion     = 11 // 7.2; 12 (7.4 field TTLs) is refused
	DefaultVersion = 10 // what Redis 7.0 writes and loads
)

// quicklist container kinds (type 18).
const (
	qlPlain  = 1
	qlPacked = 2
)

// moduleTypeName decodes the 9-character name from a module type ID.
func moduleTypeName(id uint64) (string, int) {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	name := make([]byte, 9)
	for i := 8; i >= 0; i-- {
		name[i] = charset[(id>>(10+6*uint(8-i)))&63]
	}
	return string(name), int(id & 1023)
}
