package guest

import "bytes"

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
	root queryNode
}

type queryNode struct {
	// name is the member name this node matches ("*": every element of an array).
	name string
	// path is the index of the path that ends here, or -1.
	path     int
	children []*queryNode
}

// NewQuery compiles paths. Each is a list of object member names, and "*" for every element
// of an array; a path may be a prefix of another (its value is given after those inside it).
func NewQuery(paths ...[]string) *Query {
	q := &Query{root: queryNode{path: -1}}
	for i, path := range paths {
		n := &q.root
		for _, name := range path {
			var next *queryNode
			for _, c := range n.children {
				if c.name == name {
					next = c
					break
				}
			}
			if next == nil {
				next = &queryNode{name: name, path: -1}
				n.children = append(n.children, next)
			}
			n = next
		}
		n.path = i
	}
	return q
}

// Scan calls fn with each value found at one of q's paths, in the order of the document (a
// value containing others after them), with the path's index in NewQuery's arguments. A path
// through a value of another type (an array where an object member is named, say) finds
// nothing. Scan reports whether doc is well-formed as far as it had to read it to find the
// values; it stops at the first malformation.
func (q *Query) Scan(doc []byte, fn func(path int, value []byte)) bool {
	i := skipSpace(doc, 0)
	_, ok := q.root.scan(doc, i, fn)
	return ok
}

// scan reads the value starting at doc[i] and returns where it ends.
func (n *queryNode) scan(doc []byte, i int, fn func(int, []byte)) (int, bool) {
	if i >= len(doc) {
		return 0, false
	}
	var end int
	var ok bool
	switch {
	case len(n.children) > 0 && doc[i] == '{':
		end, ok = n.scanItems(doc, i, '}', fn)
	case len(n.children) > 0 && doc[i] == '[':
		end, ok = n.scanItems(doc, i, ']', fn)
	default:
		end, ok = skipValue(doc, i)
	}
	if ok && n.path >= 0 {
		fn(n.path, doc[i:end])
	}
	return end, ok
}

// scanItems reads the members or elements of the object or array opening at doc[i], descending
// into those a child names and skipping the others.
func (n *queryNode) scanItems(doc []byte, i int, close byte, fn func(int, []byte)) (int, bool) {
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == close {
		return i + 1, true
	}
	for i < len(doc) {
		var child *queryNode
		value := i
		if close == '}' {
			name, v, ok := memberName(doc, i)
			if !ok {
				return 0, false
			}
			value = v
			child = n.member(name)
		} else {
			child = n.member(nil)
		}
		var end int
		var ok bool
		if child != nil {
			end, ok = child.scan(doc, value, fn)
		} else {
			end, ok = skipValue(doc, value)
		}
		if !ok {
			return 0, false
		}
		i = skipSpace(doc, end)
		switch {
		case i >= len(doc):
			return 0, false
		case doc[i] == close:
			return i + 1, true
		case doc[i] != ',':
			return 0, false
		}
		i = skipSpace(doc, i+1)
	}
	return 0, false
}

// member returns the child for an object member's quoted name, or for an array element when
// quoted is nil.
func (n *queryNode) member(quoted []byte) *queryNode {
	if quoted == nil {
		for _, c := range n.children {
			if c.name == "*" {
				return c
			}
		}
		return nil
	}
	inner := quoted[1 : len(quoted)-1]
	for _, c := range n.children {
		if c.name == string(inner) && c.name != "*" {
			return c
		}
	}
	if bytes.IndexByte(inner, '\\') < 0 {
		return nil
	}
	name, ok := Unquote(quoted) // an escaped name: rare, and allowed to cost
	if !ok {
		return nil
	}
	for _, c := range n.children {
		if c.name == name && c.name != "*" {
			return c
		}
	}
	return nil
}
