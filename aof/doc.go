// Package aof reads and writes Redis append-only files as Redis 7.0.15 does
// (persistence-formats.md section 6). It is a pure codec: no Pebble, no
// sockets.
//
// Reading. A Reader decodes one file: an optional RDB part (detected by the
// "REDIS" magic at offset 0, handed to the caller's RDBFunc, which must
// consume exactly the RDB bytes through the EOF opcode and CRC) followed by
// RESP commands. LoadFile and LoadDir drive Readers over a single-file AOF or
// a Redis 7 multi-part directory (manifest; base, then incr files in order;
// history files never loaded).
//
// Delivery. Commands come out as Entries in file order: one Entry per plain
// command, or one Entry holding a whole MULTI/EXEC transaction (Txn true,
// MULTI and EXEC themselves left out), never half of one. "#" annotation
// lines (#TS:) are skipped.
//
// SELECT policy: SELECT is passed through as an ordinary command, and the
// reader also tracks it: every Command carries DB, the database it applies to
// (for SELECT itself, the database it selects). As in Redis, every file
// starts in db 0 (Redis replays each file with a fresh client), so an applier
// that tracks SELECT itself must reset to 0 when Entry.File changes.
//
// Truncation follows aof-load-truncated: with Options.LoadTruncated the
// incomplete last command, or a MULTI left without EXEC at end of file, is
// dropped and described by a Truncation (ValidLen = length to truncate the
// file to); without it, that is an *Error wrapping ErrUnexpectedEOF. Any other
// malformation is an *Error wrapping ErrBadFormat, with file and offset. A
// failing RDB part is always fatal (the RDBFunc's error is wrapped).
//
// Command names and arguments are not validated beyond SELECT, MULTI and
// EXEC: unknown commands are the applier's business (Redis refuses them).
//
// Writing. AppendCommand and Encoder produce the RESP form Redis logs.
// DirWriter writes a multi-part directory (base .aof or caller-written .rdb,
// an incr file, the manifest in Redis 7.0's exact format), each file through
// a temp file, fsync and rename, then a directory fsync.
package aof
