package pluginapi

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/kapi-dev/kapi/abi"
)

// Fields is the fields table of a manifest's reads (input: fields, abi/SPEC.md section 2.2): the
// values the reads reach, each with the read it is on and the array indices on its way, so that
// a guest reads a few values instead of scanning JSON. It finds the same values as the
// Projection of the reads copies whole. A Fields is not changed by Append, so it may serve
// concurrent calls.
type Fields struct {
	root projNode
	// header is the table's magic and reads hash; Append adds the entry count.
	header [8]byte
}

// NewFields compiles a manifest's reads into their fields table. It fails naming the first
// pointer that is not a JSON pointer, and when there are more reads than an entry can number.
func NewFields(reads []string) (*Fields, error) {
	if len(reads) > math.MaxUint16 {
		return nil, errors.New("reads: more than 65535 paths")
	}
	f := &Fields{}
	if err := compilePaths(&f.root, reads, 0); err != nil {
		return nil, err
	}
	copy(f.header[:4], abi.FieldsMagic)
	binary.LittleEndian.PutUint32(f.header[4:], abi.ReadsHash(reads))
	return f, nil
}

// Append appends the fields table of doc, a JSON object, to dst.
func (f *Fields) Append(dst, doc []byte) ([]byte, error) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return dst, errMalformed
	}
	start := len(dst)
	w := fieldsWalk{out: append(append(dst, f.header[:]...), 0, 0, 0, 0)}
	end, ok := w.object(&f.root, doc, i)
	if !ok || skipSpace(doc, end) != len(doc) || w.tooBig {
		return dst, errMalformed
	}
	binary.LittleEndian.PutUint32(w.out[start+8:], w.count)
	return w.out, nil
}

// fieldsWalk is one Append's state: the table so far, its entries, and the indices of the array
// elements the walk is in.
type fieldsWalk struct {
	out     []byte
	count   uint32
	indices []uint32
	// tooBig is set when a value or an index does not fit the table's 32-bit lengths.
	tooBig bool
}

// value walks the value at doc[i] along n, as projNode.project does: into an object or an array
// a path goes on through, after its marker, else it is an entry.
func (w *fieldsWalk) value(n *projNode, doc []byte, i int) (end int, ok bool) {
	switch {
	case !n.whole && doc[i] == '{':
		w.entry(n, doc[i:i+1]) // the object's marker
		return w.object(n, doc, i)
	case !n.whole && doc[i] == '[':
		if each := n.element(); each != nil {
			w.entry(n, doc[i:i+1]) // the array's marker
			return w.array(each, doc, i)
		}
	}
	if end, ok = skipValue(doc, i); ok {
		w.entry(n, doc[i:end])
	}
	return end, ok
}

func (w *fieldsWalk) object(n *projNode, doc []byte, i int) (int, bool) {
	i, more, ok := firstItem(doc, i, '}')
	for ok && more {
		name, v, found := memberAt(doc, i)
		if !found {
			return 0, false
		}
		var end int
		if c := n.member(name); c != nil {
			end, ok = w.value(c, doc, v)
		} else {
			end, ok = skipValue(doc, v)
		}
		if ok {
			i, more, ok = nextItem(doc, end, '}')
		}
	}
	return i, ok
}

func (w *fieldsWalk) array(n *projNode, doc []byte, i int) (int, bool) {
	depth := len(w.indices)
	w.indices = append(w.indices, 0)
	i, more, ok := firstItem(doc, i, ']')
	for ; ok && more; w.indices[depth]++ {
		var end int
		if end, ok = w.value(n, doc, i); ok {
			i, more, ok = nextItem(doc, end, ']')
		}
	}
	w.indices = w.indices[:depth]
	return i, ok
}

// entry appends the value at n: on the path that ends there, or, where the paths through n
// cannot go on, on the first of them. A marker's value is the bracket that opens its object or
// array.
func (w *fieldsWalk) entry(n *projNode, value []byte) {
	read := n.first
	if n.whole {
		read = n.ends
	}
	if uint64(len(value)) > math.MaxUint32 || len(w.indices) > math.MaxUint16 {
		w.tooBig = true
		return
	}
	w.out = binary.LittleEndian.AppendUint16(w.out, uint16(read))
	w.out = binary.LittleEndian.AppendUint16(w.out, uint16(n.tokens))
	w.out = binary.LittleEndian.AppendUint16(w.out, uint16(len(w.indices)))
	w.out = append(w.out, 0, 0)
	for _, idx := range w.indices {
		w.out = binary.LittleEndian.AppendUint32(w.out, idx)
	}
	w.out = binary.LittleEndian.AppendUint32(w.out, uint32(len(value)))
	w.out = append(w.out, value...)
	w.count++
}
