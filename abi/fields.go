package abi

import (
	"hash/fnv"
	"strings"
)

// FieldsMagic starts a fields table, the form in which a plugin whose manifest says
// "input: fields" is sent an admission review (SPEC.md section 2.2). JSON never starts with a
// zero byte, so a guest tells the two forms apart by the first byte.
const FieldsMagic = "\x00KF\x01"

// Sizes in a fields table: the header (magic, reads hash, entry count) and an entry's fixed part
// (read, tokens, depth, zero); an entry's array indices and value length are four bytes each.
const (
	FieldsHeaderSize = 12
	FieldsEntrySize  = 8
)

// ReadsHash is the hash a fields table carries of the manifest's reads: 32-bit FNV-1a over the
// reads joined by "\n". A guest compares it with the hash of the reads it was written for, so a
// manifest edited out of step with its plugin fails the call instead of being misread.
func ReadsHash(reads []string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(reads, "\n")))
	return h.Sum32()
}
