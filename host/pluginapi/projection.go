package pluginapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kapi-dev/kapi/abi"
)

// A Projection is the part of a review a plugin reads: its manifest's reads (abi/SPEC.md section
// 2.1), compiled into a tree of member names. Append copies a review's JSON down to the values on
// those paths, so a guest that reads a dozen fields of a 4 KB Pod review is handed a few hundred
// bytes instead of the whole review. A Projection is not changed by Append, so it may serve
// concurrent calls.
type Projection struct {
	root projNode
	// typeMetaOnly says the projection keeps nothing but a review's apiVersion and kind (an
	// authenticator or authorizer that reads nothing), which the Caller writes without encoding
	// the review.
	typeMetaOnly bool
}

// projNode is one step of a path: the member it matches ("*": every element of an array) and
// the steps after it. whole says a path ends here, so the value is copied as it is. The fields
// table (fields.go) also numbers the paths: tokens is the node's depth, ends the lowest index of
// a path that ends here (-1: none) and first the lowest index of a path through or ending here.
type projNode struct {
	name     string
	whole    bool
	children []*projNode

	tokens, ends, first int
}

// compilePaths builds the tree of paths, a path's index being its place in paths less offset
// (the always-read paths of a projection come first, at negative indices). It fails naming the
// first pointer that is not a JSON pointer.
func compilePaths(root *projNode, paths []string, offset int) error {
	root.ends, root.first = -1, -1
	for i, ptr := range paths {
		tokens, err := parsePointer(ptr)
		if err != nil {
			return fmt.Errorf("reads[%d]: %w", i-offset, err)
		}
		n := root
		for _, tok := range tokens {
			n = n.child(tok)
			if n.first < 0 {
				n.first = i - offset
			}
		}
		n.whole = true
		if n.ends < 0 {
			n.ends = i - offset
		}
	}
	return nil
}

// alwaysRead are the paths every projection of a review of that kind keeps: the review's own
// apiVersion and kind, and an admission request's uid, which its answer must echo.
func alwaysRead(kind abi.Kind) []string {
	paths := []string{"/apiVersion", "/kind"}
	if kind == abi.KindMutatingAdmission || kind == abi.KindValidatingAdmission {
		paths = append(paths, "/request/uid")
	}
	return paths
}

// NewProjection compiles the reads of a plugin of the given kind. It fails naming the first
// pointer that is not a JSON pointer.
func NewProjection(kind abi.Kind, reads []string) (*Projection, error) {
	p := &Projection{}
	always := alwaysRead(kind)
	if err := compilePaths(&p.root, append(always, reads...), len(always)); err != nil {
		return nil, err
	}
	p.typeMetaOnly = len(p.root.children) == 2
	for _, c := range p.root.children {
		p.typeMetaOnly = p.typeMetaOnly && c.whole && len(c.children) == 0
	}
	return p, nil
}

func (n *projNode) child(name string) *projNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	c := &projNode{name: name, tokens: n.tokens + 1, ends: -1, first: -1}
	n.children = append(n.children, c)
	return c
}

// parsePointer splits an RFC 6901 JSON pointer into its unescaped reference tokens. The empty
// pointer (the whole document) is refused: a plugin that reads everything declares no reads.
func parsePointer(ptr string) ([]string, error) {
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("%q must be a JSON pointer starting with \"/\"", ptr)
	}
	tokens := strings.Split(ptr[1:], "/")
	for i, tok := range tokens {
		if !strings.Contains(tok, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(tok); j++ {
			if tok[j] != '~' {
				b.WriteByte(tok[j])
				continue
			}
			if j+1 == len(tok) || (tok[j+1] != '0' && tok[j+1] != '1') {
				return nil, fmt.Errorf("%q: \"~\" must be followed by 0 or 1 (RFC 6901)", ptr)
			}
			b.WriteByte("~/"[tok[j+1]-'0'])
			j++
		}
		tokens[i] = b.String()
	}
	return tokens, nil
}

var errMalformed = errors.New("malformed JSON")

// Append appends the projection of doc, a JSON object, to dst: the members on the projection's
// paths, in the document's order. A value is copied byte for byte where a path ends, and also
// where a path cannot go on (a string, a number, null, an array where a member is named), so a
// plugin sees a value of an unexpected type as it is. An array on a path through "*" keeps its
// length and order, so an index means the same element in the projection as in doc.
func (p *Projection) Append(dst, doc []byte) ([]byte, error) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return dst, errMalformed
	}
	out, end, ok := p.root.project(dst, doc, i)
	if !ok || skipSpace(doc, end) != len(doc) {
		return dst, errMalformed
	}
	return out, nil
}

// project appends the projection of the value at doc[i] and returns where that value ends.
func (n *projNode) project(dst, doc []byte, i int) (out []byte, end int, ok bool) {
	switch {
	case !n.whole && doc[i] == '{':
		return n.projectObject(dst, doc, i)
	case !n.whole && doc[i] == '[':
		if each := n.element(); each != nil {
			return each.projectArray(dst, doc, i)
		}
	}
	if end, ok = skipValue(doc, i); !ok {
		return dst, 0, false
	}
	return append(dst, doc[i:end]...), end, true
}

// projectObject appends the object at doc[i] with only the members n names.
func (n *projNode) projectObject(dst, doc []byte, i int) ([]byte, int, bool) {
	dst = append(dst, '{')
	first := true
	i, more, ok := firstItem(doc, i, '}')
	for ok && more {
		name, v, found := memberAt(doc, i)
		if !found {
			return dst, 0, false
		}
		var end int
		if c := n.member(name); c != nil {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, name...)
			dst = append(dst, ':')
			dst, end, ok = c.project(dst, doc, v)
		} else {
			end, ok = skipValue(doc, v)
		}
		if ok {
			i, more, ok = nextItem(doc, end, '}')
		}
	}
	return append(dst, '}'), i, ok
}

// projectArray appends the array at doc[i] with each element projected by n.
func (n *projNode) projectArray(dst, doc []byte, i int) ([]byte, int, bool) {
	dst = append(dst, '[')
	i, more, ok := firstItem(doc, i, ']')
	for first := true; ok && more; first = false {
		if !first {
			dst = append(dst, ',')
		}
		var end int
		if dst, end, ok = n.project(dst, doc, i); ok {
			i, more, ok = nextItem(doc, end, ']')
		}
	}
	return append(dst, ']'), i, ok
}

// firstItem enters the object or array opening at doc[i]: more says an item starts at next,
// else next is past the empty container's close.
func firstItem(doc []byte, i int, close byte) (next int, more, ok bool) {
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == close {
		return i + 1, false, true
	}
	return i, i < len(doc), i < len(doc)
}

// nextItem reads what follows an item of an object or array, whose value ends at doc[end]: a
// comma (more: the next item starts at next) or the container's close (next is past it).
func nextItem(doc []byte, end int, close byte) (next int, more, ok bool) {
	i := skipSpace(doc, end)
	if i < len(doc) && doc[i] == close {
		return i + 1, false, true
	}
	if i >= len(doc) || doc[i] != ',' {
		return 0, false, false
	}
	i = skipSpace(doc, i+1)
	return i, true, i < len(doc)
}

// memberAt reads the name of the object member at doc[i] and the colon after it: the quoted
// name, and where the value starts.
func memberAt(doc []byte, i int) (name []byte, value int, ok bool) {
	if doc[i] != '"' {
		return nil, 0, false
	}
	end, ok := skipString(doc, i)
	if !ok {
		return nil, 0, false
	}
	v := skipSpace(doc, end)
	if v >= len(doc) || doc[v] != ':' {
		return nil, 0, false
	}
	if v = skipSpace(doc, v+1); v >= len(doc) {
		return nil, 0, false
	}
	return doc[i:end], v, true
}

// element returns the child that matches every element of an array.
func (n *projNode) element() *projNode {
	for _, c := range n.children {
		if c.name == "*" {
			return c
		}
	}
	return nil
}

// member returns the child named by an object member's quoted name.
func (n *projNode) member(quoted []byte) *projNode {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		var name string
		if json.Unmarshal(quoted, &name) != nil {
			return nil
		}
		inner = []byte(name)
	}
	for _, c := range n.children {
		if c.name == string(inner) {
			return c
		}
	}
	return nil
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string opening at doc[i].
func skipString(doc []byte, i int) (int, bool) {
	for i++; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// structural marks the bytes skipValue stops at inside an object or array; the others are
// passed over in one tight loop, strings included, which beats a call per string on
// Kubernetes objects' many short strings.
var structural = [256]bool{'"': true, '\\': true, '{': true, '[': true, '}': true, ']': true}

// skipValue returns the index after the value starting at doc[i]. It checks the nesting of
// brackets, not the grammar inside: the host encoded the review, so it is JSON.
func skipValue(doc []byte, i int) (int, bool) {
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		depth, inString := 0, false
		for ; i < len(doc); i++ {
			c := doc[i]
			if !structural[c] {
				continue
			}
			switch {
			case c == '\\':
				i++
			case c == '"':
				inString = !inString
			case inString:
			case c == '{' || c == '[':
				depth++
			default: // } or ]
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	start := i // a number, true, false or null
	for i < len(doc) {
		switch doc[i] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}
