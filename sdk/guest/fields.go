package guest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/kapi-dev/kapi/abi"
)

// Fields is an admission review as its fields table (input: fields, abi/SPEC.md section 2.2):
// the values the manifest's reads reach, found by the host, in the review's order. A policy
// reads them one entry at a time, with no JSON to scan, which is what makes a Go guest cheap:
//
//	for f.Next() {
//		switch f.Read() {
//		case readOperation:
//			operation, _ = f.Text()
//		case readImage:
//			images[f.Index(0)], _ = f.Text()
//		}
//	}
//	if err := f.Err(); err != nil { ... }
//
// A Fields and its values are valid only during the call.
type Fields struct {
	table []byte
	pos   int
	left  uint32
	// tokens[r] is the number of reference tokens of read r.
	tokens []int
	err    error

	// The current entry.
	read, depth, at int
	indices         []byte
	value           []byte
}

// Reads is the compiled form of a plugin's reads: their hash and lengths, made once.
type Reads struct {
	hash   uint32
	tokens []int
}

// CompileReads compiles a plugin's reads, its manifest's reads in their order.
func CompileReads(reads []string) *Reads {
	r := &Reads{hash: abi.ReadsHash(reads)}
	for _, ptr := range reads {
		r.tokens = append(r.tokens, strings.Count(ptr, "/"))
	}
	return r
}

// NewFields reads the header of table, a fields table of the reads r; it fails when the table
// was made for other reads (the manifest's reads differ from the plugin's).
func NewFields(table []byte, r *Reads) (*Fields, error) {
	f := &Fields{}
	return f, f.reset(table, r)
}

func (f *Fields) reset(table []byte, r *Reads) error {
	*f = Fields{table: table, tokens: r.tokens, pos: abi.FieldsHeaderSize}
	switch {
	case len(table) < abi.FieldsHeaderSize || string(table[:4]) != abi.FieldsMagic:
		f.err = errors.New("not a fields table")
	case binary.LittleEndian.Uint32(table[4:]) != r.hash:
		f.err = errors.New("the fields table is of other reads than the plugin's: the manifest's reads must be the plugin's, in its order")
	default:
		f.left = binary.LittleEndian.Uint32(table[8:])
	}
	return f.err
}

// Next moves to the next entry, reporting whether there is one. At the end, Err says whether
// the table was whole. It checks an entry's bounds once and reads its fixed part in one load: in
// a Go Wasm guest every branch costs.
func (f *Fields) Next() bool {
	if f.left == 0 {
		return false
	}
	rest := f.table[f.pos:]
	if len(rest) < abi.FieldsEntrySize+4 {
		return f.fail()
	}
	fixed := binary.LittleEndian.Uint64(rest)
	read, at, depth := int(uint16(fixed)), int(uint16(fixed>>16)), int(uint16(fixed>>32))
	head := abi.FieldsEntrySize + 4*depth + 4
	if read >= len(f.tokens) || len(rest) < head {
		return f.fail()
	}
	n := int(binary.LittleEndian.Uint32(rest[head-4:]))
	if n > len(rest)-head {
		return f.fail()
	}
	f.read, f.at, f.depth = read, at, depth
	f.indices, f.value = rest[abi.FieldsEntrySize:head-4], rest[head:head+n]
	f.pos += head + n
	f.left--
	return true
}

func (f *Fields) fail() bool {
	f.left, f.err = 0, fmt.Errorf("malformed fields table at byte %d", f.pos)
	return false
}

// Err is the table's problem, if it was malformed; nil once Next has read every entry of a
// whole one.
func (f *Fields) Err() error { return f.err }

// Read is the index, in the plugin's reads, of the path the entry is on (the lowest, where the
// paths of several reads cannot go on; see Whole).
func (f *Fields) Read() int { return f.read }

// Whole reports whether the entry's value is where its read's path ends. If not, the entry is a
// marker (see Marker), or the path could not go on at this value (a string where the path names
// a member, an array where it names an index, null): Tokens says how far it got.
func (f *Fields) Whole() bool { return f.at == f.tokens[f.read] }

// Tokens is how many of the read's reference tokens lead to the value.
func (f *Fields) Tokens() int { return f.at }

// Marker reports whether the entry marks an object or an array the path goes into (Value is its
// opening bracket): what is in it follows. Every element of an array on a path is seen this way,
// or as a value where the path cannot go on, even when it holds nothing the reads name.
func (f *Fields) Marker() bool { return len(f.value) == 1 && (f.value[0] == '{' || f.value[0] == '[') }

// Depth is the number of array indices on the entry's way.
func (f *Fields) Depth() int { return f.depth }

// Index is the index of the element taken at the k-th "*" of the path, outermost first.
func (f *Fields) Index(k int) int { return int(binary.LittleEndian.Uint32(f.indices[4*k:])) }

// Value is the entry's JSON value, byte for byte as in the review (a string with its quotes),
// or a marker's bracket.
func (f *Fields) Value() []byte { return f.value }

// Text is the entry's value as a string, a view of the table (see View), and whether it is a
// JSON string; "" and false for anything else.
func (f *Fields) Text() (string, bool) { return View(f.value) }
