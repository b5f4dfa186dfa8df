package guest

import (
	"encoding/binary"
)

// Query is a set of paths read from a JSON document in one pass. Scan descends only along the
// paths and skips everything else, so it reads each byte of the document once, where a Seek,
// Lookup or Members per path (or per level of nesting) reads the containers on the way once for
// every level. It is what makes a policy that reads a dozen fields of a 4 KB review cheap in a
// Wasm guest. Make it once (in init or Provision) and use it for every call: a Query is not
// changed by Scan, so it may serve concurrent Scans.
//
//	var q = guest.NewQuery(
//		[]string{"request", "uid"},
//		[]string{"request", "object", "spec", "containers", "*", "image"},
//	)
//
//	q.Scan(review, func(path int, value []byte) { ... })
type Query struct {
	// nodes is the paths' tree, flattened: nodes[0] is the top of the document, and a node's
	// named children are contiguous.
	nodes []queryNode
	// slots are the nodes' hash tables of their named children (see queryNode.slot0).
	slots []int32
}

type queryNode struct {
	// name is the member name this node matches, and word its first eight bytes as a
	// little-endian number (zero-padded), which Scan compares first: for most names that is the
	// whole comparison, made without a call.
	name string
	word uint64
	// path is the index of the path that ends here, or -1.
	path int
	// inner says the node has children, so Scan descends into its value.
	inner bool
	// named are the children matching object members: nodes[named0:namedEnd].
	named0, namedEnd int
	// star is the child matching every array element ("*"), or 0 for none (the top is no one's
	// child).
	star int
	// A member name is looked up among the named children in a perfect hash table of their
	// first words and lengths: slots[slot0+slotOf(word, len)] is the first child that can match
	// (0: none), and sameKey the next with the same word and length (names longer than eight
	// bytes may share both), so matching a member costs the same with one child or twenty.
	slot0   int
	mul     uint64
	shift   uint
	sameKey int
}

// slotOf hashes a member name's first word and length into one of the node's slots.
func (n *queryNode) slotOf(word uint64, size int) int {
	return int((word ^ uint64(size)) * n.mul >> n.shift)
}

// NewQuery compiles paths. Each is a list of object member names, and "*" for every element
// of an array; a path may be a prefix of another (its value is given after those inside it).
func NewQuery(paths ...[]string) *Query {
	type trie struct {
		name     string
		path     int
		children []*trie
	}
	root := &trie{path: -1}
	for i, path := range paths {
		t := root
		for _, name := range path {
			var next *trie
			for _, c := range t.children {
				if c.name == name {
					next = c
					break
				}
			}
			if next == nil {
				next = &trie{name: name, path: -1}
				t.children = append(t.children, next)
			}
			t = next
		}
		t.path = i
	}
	// Breadth first, so that each node's named children are added side by side; order[k] is
	// the trie node of q.nodes[k].
	q := &Query{nodes: []queryNode{{path: root.path}}}
	order := []*trie{root}
	for k := 0; k < len(order); k++ {
		q.nodes[k].inner = len(order[k].children) > 0
		q.nodes[k].named0 = len(q.nodes)
		for _, c := range order[k].children {
			if c.name != "*" {
				order = append(order, c)
				q.nodes = append(q.nodes, queryNode{name: c.name, word: nameWord(c.name), path: c.path})
			}
		}
		q.nodes[k].namedEnd = len(q.nodes)
		for _, c := range order[k].children {
			if c.name == "*" {
				q.nodes[k].star = len(q.nodes)
				order = append(order, c)
				q.nodes = append(q.nodes, queryNode{name: c.name, path: c.path})
			}
		}
	}
	for k := range q.nodes {
		q.hashNamed(k)
	}
	return q
}

// hashNamed builds node k's table of named children: the smallest power of two at least twice
// their number, with the first multiplier (of a fixed sequence) that gives each its own slot.
func (q *Query) hashNamed(k int) {
	n := &q.nodes[k]
	count := n.namedEnd - n.named0
	if count == 0 {
		return
	}
	seed := uint64(0x9e3779b97f4a7c15)
	for bits := uint(1); ; bits++ {
		if 1<<bits < 2*count {
			continue
		}
		slots := make([]int32, 1<<bits)
		for try := 0; try < 64; try++ {
			seed += 0x9e3779b97f4a7c15 // splitmix64's sequence, made odd below
			n.mul, n.shift = (seed^seed>>31)*0xbf58476d1ce4e5b9|1, 64-bits
			clear(slots)
			unique := true
			for c := n.named0; c < n.namedEnd && unique; c++ {
				cn := &q.nodes[c]
				s := n.slotOf(cn.word, len(cn.name))
				first := &q.nodes[slots[s]]
				switch {
				case slots[s] == 0:
					slots[s] = int32(c)
				case first.word != cn.word || len(first.name) != len(cn.name):
					unique = false
				}
			}
			if unique {
				for c := n.named0; c < n.namedEnd; c++ { // chain the children sharing a slot
					cn := &q.nodes[c]
					if first := int(slots[n.slotOf(cn.word, len(cn.name))]); first != c {
						cn.sameKey, q.nodes[first].sameKey = q.nodes[first].sameKey, c
					}
				}
				n.slot0 = len(q.slots)
				q.slots = append(q.slots, slots...)
				return
			}
		}
	}
}

// nameWord returns the first eight bytes of name as a little-endian number, zero-padded.
func nameWord[T string | []byte](name T) uint64 {
	var w uint64
	for k := min(len(name), 8) - 1; k >= 0; k-- {
		w = w<<8 | uint64(name[k])
	}
	return w
}

// Scan calls fn with each value found at one of q's paths, in the order of the document (a
// value containing others after them), with the path's index in NewQuery's arguments. A path
// through a value of another type (an array where an object member is named, say) finds
// nothing. Scan reports whether doc is well-formed as far as it had to read it to find the
// values; it stops at the first malformation.
//
// Scan reads eight bytes at a time where it can, descends (a call) only into values that paths
// go through, and gives a value a path ends at to fn once skipped: in a Go Wasm guest (wazero
// 1.12) a call costs about 7 ns and every taken branch goes through the function's dispatch
// table, so the fewer of either per byte, the faster.
func (q *Query) Scan(doc []byte, fn func(path int, value []byte)) bool {
	_, ok := q.scan(0, doc, skipSpace(doc, 0), fn)
	return ok
}

// scan reads the value starting at doc[i], which node n matches, and returns where it ends.
func (q *Query) scan(n int, doc []byte, i int, fn func(int, []byte)) (int, bool) {
	if i >= len(doc) {
		return 0, false
	}
	node := &q.nodes[n]
	var end int
	var ok bool
	switch {
	case doc[i] == '{' && node.namedEnd > node.named0:
		end, ok = q.scanObject(node, doc, i, fn)
	case doc[i] == '[' && node.star != 0:
		end, ok = q.scanArray(node.star, doc, i, fn)
	default:
		end, ok = skipValue(doc, i)
	}
	if ok && node.path >= 0 {
		fn(node.path, doc[i:end])
	}
	return end, ok
}

// scanArray reads the elements of the array opening at doc[i], each of which node star matches.
func (q *Query) scanArray(star int, doc []byte, i int, fn func(int, []byte)) (int, bool) {
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == ']' {
		return i + 1, true
	}
	for {
		end, ok := q.scan(star, doc, i, fn)
		if !ok {
			return 0, false
		}
		i = skipSpace(doc, end)
		switch {
		case i >= len(doc):
			return 0, false
		case doc[i] == ']':
			return i + 1, true
		case doc[i] != ',':
			return 0, false
		}
		i = skipSpace(doc, i+1)
	}
}

// scanObject reads the members of the object opening at doc[i], descending into those a child
// of node names and skipping the others. It leaves reading names and strings to nameEnd and
// skipString rather than doing it inline: in Go's wasm port all of a function's branches go
// through one dispatch table, and a scanObject with short names and strings read inline (no
// call) measured three times slower than this one.
func (q *Query) scanObject(node *queryNode, doc []byte, i int, fn func(int, []byte)) (int, bool) {
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return i + 1, true
	}
	for {
		// The name: from the quote at doc[i] to the quote at doc[e].
		if i >= len(doc) || doc[i] != '"' {
			return 0, false
		}
		e, escaped := nameEnd(doc, i+1)
		if e >= len(doc) {
			return 0, false
		}
		child := 0
		if escaped {
			child = q.escapedMember(node, doc[i:e+1])
		} else {
			s, size := i+1, e-i-1
			var w uint64
			if s+8 <= len(doc) {
				w = binary.LittleEndian.Uint64(doc[s:]) & (^uint64(0) >> (64 - 8*min(size, 8)))
			} else {
				w = nameWord(doc[s:e])
			}
			for c := int(q.slots[node.slot0+node.slotOf(w, size)]); c != 0; c = q.nodes[c].sameKey {
				if cn := &q.nodes[c]; cn.word == w && len(cn.name) == size && (size <= 8 || cn.name[8:] == string(doc[s+8:e])) {
					child = c
					break
				}
			}
		}
		i = e + 1
		if i < len(doc) && doc[i] <= ' ' {
			i = spaceEnd(doc, i)
		}
		if i >= len(doc) || doc[i] != ':' {
			return 0, false
		}
		i++
		if i < len(doc) && doc[i] <= ' ' {
			i = spaceEnd(doc, i)
		}
		// The value: skipped here unless the child has children (a value a path ends at is
		// skipped too, then given to fn), because a call costs more than skipping a short string.
		var ok bool
		start := i
		switch {
		case i >= len(doc):
			return 0, false
		case child != 0 && q.nodes[child].inner:
			i, ok = q.scan(child, doc, i, fn)
			child = 0 // scan gave the value to fn
		case doc[i] == '"':
			i, ok = skipString(doc, i)
		case doc[i] == '{' || doc[i] == '[':
			i, ok = skipContainer(doc, i)
		default:
			i, ok = skipLiteral(doc, i)
		}
		if !ok {
			return 0, false
		}
		if child != 0 && q.nodes[child].path >= 0 {
			fn(q.nodes[child].path, doc[start:i])
		}
		if i < len(doc) && doc[i] <= ' ' {
			i = spaceEnd(doc, i)
		}
		switch {
		case i >= len(doc):
			return 0, false
		case doc[i] == '}':
			return i + 1, true
		case doc[i] != ',':
			return 0, false
		}
		i++
		if i < len(doc) && doc[i] <= ' ' {
			i = spaceEnd(doc, i)
		}
	}
}

// escapedMember returns the named child of node matching a quoted member name with escapes, or 0.
// Names with escapes are rare, and allowed to cost.
func (q *Query) escapedMember(node *queryNode, quoted []byte) int {
	name, ok := Unquote(quoted)
	if !ok {
		return 0
	}
	for c := node.named0; c < node.namedEnd; c++ {
		if q.nodes[c].name == name {
			return c
		}
	}
	return 0
}

// nameEnd returns the index of the '"' that ends the member name whose first byte is doc[i], or
// len(doc), and whether the name has escapes.
func nameEnd(doc []byte, i int) (int, bool) {
	escaped := false
	for ; ; i += 2 { // over a backslash and the byte it escapes
		i = quoteOrBackslash(doc, i)
		if i >= len(doc) || doc[i] == '"' {
			return min(i, len(doc)), escaped
		}
		escaped = true
	}
}

// spaceEnd is skipSpace, kept out of scanObject (which calls it only at whitespace, which the
// host's encoder never writes): inlined there four times, its loops made scanObject larger, and
// in Go's wasm port every branch of a larger function costs more.
//
//go:noinline
func spaceEnd(doc []byte, i int) int { return skipSpace(doc, i) }
