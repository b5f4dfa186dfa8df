package guest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/kapi-dev/kapi/abi"
)

// decodeSubjectAccessReview decodes a new SubjectAccessReview as encoding/json would, without
// reflection when the review has the shape the host sends (known member names spelled exactly,
// each once, strings of printable ASCII without escapes, booleans): in a Go Wasm guest,
// encoding/json's reflection cost an AlwaysAllow call ten times what the host spent on it.
// Anything else (an unknown or repeated member, a name in another case, an escape, a value of an
// unexpected type) is decoded by encoding/json, so the result never differs from it.
func decodeSubjectAccessReview(req []byte) (*abi.SubjectAccessReview, error) {
	r := new(abi.SubjectAccessReview) // decoded into directly: a copy into the heap costs a Go guest as much as the decoding
	if decodeSARFast(req, r) {
		return r, nil
	}
	*r = abi.SubjectAccessReview{}
	return r, json.Unmarshal(req, r)
}

// decodeSARFast reports whether it decoded req; false means req needs encoding/json. It reads
// req in one pass, member after member, with no callback: in Go's Wasm port an indirect call
// costs more than reading a member.
func decodeSARFast(req []byte, r *abi.SubjectAccessReview) bool {
	d := sarDecoder{doc: req}
	return d.review(r) && d.end()
}

// sarDecoder is a cursor over a review's JSON. The request buffer is reused for the next call
// (see RawValidator), so strings kept in the review must not point into it: the first string
// that is not a constant the decoder knows copies the document once, and every string after it
// is a view of that copy.
//
// Each object is read by a loop of this shape, which returns false for anything the fast path
// leaves to encoding/json (an unknown name falls through the switch with ok false):
//
//	if !d.eat('{') { return false }
//	for first := true; d.member(&first); {
//		var ok bool
//		switch d.name() { case "a": ok = d.str(&x.A) }
//		if !ok { return false }
//	}
//	return !d.bad
type sarDecoder struct {
	doc    []byte
	i      int
	copied bool
	bad    bool // set by member and name when the JSON is not what the fast path reads
}

// sarRequestPrefix is how the host's encoder starts every review it sends; the decoder reads it
// as one constant (most of a review projected to nothing, as an authorizer that reads nothing
// declares).
const sarRequestPrefix = `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"`

func (d *sarDecoder) review(r *abi.SubjectAccessReview) bool {
	var seen uint8
	first := true
	if len(d.doc) >= len(sarRequestPrefix) && string(d.doc[:len(sarRequestPrefix)]) == sarRequestPrefix {
		r.APIVersion, r.Kind = "authorization.k8s.io/v1", "SubjectAccessReview"
		d.i, seen, first = len(sarRequestPrefix), 1|2, false
	} else if !d.eat('{') {
		return false
	}
	for d.member(&first) {
		var ok bool
		switch d.name() {
		case "apiVersion":
			ok = d.once(&seen, 1) && d.str(&r.APIVersion)
		case "kind":
			ok = d.once(&seen, 2) && d.str(&r.Kind)
		case "spec":
			ok = d.once(&seen, 4) && (d.null() || d.spec(&r.Spec))
		case "status":
			ok = d.once(&seen, 8) && (d.null() || d.status(&r.Status))
		}
		if !ok {
			return false
		}
	}
	return !d.bad
}

func (d *sarDecoder) spec(s *abi.SubjectAccessReviewSpec) bool {
	if !d.eat('{') {
		return false
	}
	var seen uint8
	for first := true; d.member(&first); {
		var ok bool
		switch d.name() {
		case "resourceAttributes":
			ok = d.once(&seen, 1)
			if ok && d.null() {
				s.ResourceAttributes = nil
			} else if ok {
				s.ResourceAttributes = &abi.ResourceAttributes{}
				ok = d.resourceAttributes(s.ResourceAttributes)
			}
		case "nonResourceAttributes":
			ok = d.once(&seen, 2)
			if ok && d.null() {
				s.NonResourceAttributes = nil
			} else if ok {
				s.NonResourceAttributes = &abi.NonResourceAttributes{}
				ok = d.nonResourceAttributes(s.NonResourceAttributes)
			}
		case "user":
			ok = d.once(&seen, 4) && d.str(&s.User)
		case "uid":
			ok = d.once(&seen, 8) && d.str(&s.UID)
		case "groups":
			ok = d.once(&seen, 16) && d.strings(&s.Groups)
		case "extra":
			ok = d.once(&seen, 32) && d.extra(&s.Extra)
		}
		if !ok {
			return false
		}
	}
	return !d.bad
}

// The member names of the attribute objects, in the order of stringFields' pointers.
var (
	resourceAttributeNames    = []string{"namespace", "verb", "group", "version", "resource", "subresource", "name"}
	nonResourceAttributeNames = []string{"path", "verb"}
)

func (d *sarDecoder) resourceAttributes(a *abi.ResourceAttributes) bool {
	return d.stringFields(resourceAttributeNames, []*string{&a.Namespace, &a.Verb, &a.Group, &a.Version, &a.Resource, &a.Subresource, &a.Name})
}

func (d *sarDecoder) nonResourceAttributes(a *abi.NonResourceAttributes) bool {
	return d.stringFields(nonResourceAttributeNames, []*string{&a.Path, &a.Verb})
}

// stringFields reads an object whose members are the strings names[i], each into into[i].
func (d *sarDecoder) stringFields(names []string, into []*string) bool {
	if !d.eat('{') {
		return false
	}
	var seen uint8
	for first := true; d.member(&first); {
		name := d.name()
		i := 0
		for i < len(names) && names[i] != name {
			i++
		}
		if i == len(names) || !d.once(&seen, 1<<i) || !d.str(into[i]) {
			return false
		}
	}
	return !d.bad
}

func (d *sarDecoder) status(s *abi.SubjectAccessReviewStatus) bool {
	if !d.eat('{') {
		return false
	}
	var seen uint8
	for first := true; d.member(&first); {
		var ok bool
		switch d.name() {
		case "allowed":
			ok = d.once(&seen, 1) && d.bool(&s.Allowed)
		case "denied":
			ok = d.once(&seen, 2) && d.bool(&s.Denied)
		case "reason":
			ok = d.once(&seen, 4) && d.str(&s.Reason)
		case "evaluationError":
			ok = d.once(&seen, 8) && d.str(&s.EvaluationError)
		}
		if !ok {
			return false
		}
	}
	return !d.bad
}

// extra reads the spec's extra: an object of string lists, none of them null.
func (d *sarDecoder) extra(into *map[string][]string) bool {
	if d.null() {
		*into = nil
		return true
	}
	if !d.eat('{') {
		return false
	}
	m := map[string][]string{}
	*into = m
	for first := true; d.member(&first); {
		key := d.name()
		if _, dup := m[key]; dup || d.bad || d.null() {
			return false
		}
		var list []string
		if !d.strings(&list) {
			return false
		}
		m[d.keep(key)] = list
	}
	return !d.bad
}

// strings reads an array of strings; null is a nil list and [] an empty one, as encoding/json
// gives.
func (d *sarDecoder) strings(into *[]string) bool {
	if d.null() {
		*into = nil
		return true
	}
	if !d.eat('[') {
		return false
	}
	list := []string{}
	if !d.eat(']') {
		for {
			var s string
			if !d.str(&s) {
				return false
			}
			list = append(list, s)
			if d.eat(']') {
				break
			}
			if !d.eat(',') {
				return false
			}
		}
	}
	*into = list
	return true
}

// member reports whether another member of the object being read follows, reading the comma
// before it (first is the loop's, true until the first member); false at the object's end, and
// false with d.bad set when neither a member nor the end comes next.
func (d *sarDecoder) member(first *bool) bool {
	if d.eat('}') {
		return false
	}
	if !*first && !d.eat(',') {
		d.bad = true
		return false
	}
	*first = false
	return true
}

// name reads a member's name and the colon after it, leaving the cursor at its value. The name
// is a view of the document, valid only until the request buffer is reused (see keep); "" with
// d.bad set when there is no plain name.
func (d *sarDecoder) name() string {
	name, ok := d.plain()
	if !ok || !d.eat(':') {
		d.bad = true
		return ""
	}
	return unsafe.String(unsafe.SliceData(name), len(name))
}

// once reports whether the member marked by bit is seen for the first time; a repeated member
// goes to encoding/json, which merges some repeats and replaces others.
func (d *sarDecoder) once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// str reads a string, or null (which leaves into as it is, as encoding/json does).
func (d *sarDecoder) str(into *string) bool {
	if d.null() {
		return true
	}
	inner, ok := d.plain()
	if !ok {
		return false
	}
	switch string(inner) { // the values every review carries, without a copy
	case "authorization.k8s.io/v1":
		*into = "authorization.k8s.io/v1"
	case "SubjectAccessReview":
		*into = "SubjectAccessReview"
	default:
		*into = d.keep(unsafe.String(unsafe.SliceData(inner), len(inner)))
	}
	return true
}

// keep returns s, a view of the document, as a string that outlives the request buffer: a view
// of the decoder's own copy of the document, made the first time it is needed.
func (d *sarDecoder) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if !d.copied {
		at := int(uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(d.doc))))
		d.doc = bytes.Clone(d.doc)
		d.copied = true
		return unsafe.String(&d.doc[at], len(s))
	}
	return s
}

// plain reads a string of printable ASCII without escapes and returns its contents; anything
// else (escapes, control characters, bytes that encoding/json would check as UTF-8) is not read.
func (d *sarDecoder) plain() ([]byte, bool) {
	d.skipSpace()
	if d.i >= len(d.doc) || d.doc[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	end := plainEnd(d.doc, start)
	if end >= len(d.doc) || d.doc[end] != '"' {
		return nil, false
	}
	d.i = end + 1
	return d.doc[start:end], true
}

func (d *sarDecoder) bool(into *bool) bool {
	switch {
	case d.literal("true"):
		*into = true
	case d.literal("false"):
		*into = false
	default:
		return d.null() // null leaves a bool as it is
	}
	return true
}

func (d *sarDecoder) null() bool { return d.literal("null") }

// literal reads word if it comes next, followed by a byte that ends a value.
func (d *sarDecoder) literal(word string) bool {
	d.skipSpace()
	end := d.i + len(word)
	if end > len(d.doc) || string(d.doc[d.i:end]) != word {
		return false
	}
	if end < len(d.doc) {
		switch d.doc[end] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	d.i = end
	return true
}

// eat reads c if it is the next byte that is not a space.
func (d *sarDecoder) eat(c byte) bool {
	d.skipSpace()
	if d.i < len(d.doc) && d.doc[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *sarDecoder) skipSpace() { d.i = skipSpace(d.doc, d.i) }

// end reports whether nothing but spaces follows, as encoding/json requires.
func (d *sarDecoder) end() bool {
	d.skipSpace()
	return d.i == len(d.doc)
}

// plainEnd returns the index of the first byte at or after doc[i] that is a quote, a backslash,
// a control character or not ASCII, or len(doc): one pass finds both a plain string's end and
// whether it is plain.
func plainEnd(doc []byte, i int) int {
	for ; i+8 <= len(doc); i += 8 {
		w := binary.LittleEndian.Uint64(doc[i:])
		if m := stringSpecial(w) | w&highBits; m != 0 {
			return i + firstMarked(m)
		}
	}
	for ; i < len(doc); i++ {
		if c := doc[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
	}
	return i
}

// sarAnswerPrefix is how an answer to the review the host sends starts.
const sarAnswerPrefix = `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":`

// appendSubjectAccessReviewAnswer appends the JSON of r, byte for byte what encoding/json gives
// (a test pins that), without reflection.
func appendSubjectAccessReviewAnswer(b []byte, r *abi.SubjectAccessReview) []byte {
	if r.APIVersion == "authorization.k8s.io/v1" && r.Kind == "SubjectAccessReview" {
		b = append(b, sarAnswerPrefix...) // what the host sends, written as one constant
	} else {
		b = append(b, `{"apiVersion":`...)
		b = abi.AppendJSONString(b, r.APIVersion)
		b = append(b, `,"kind":`...)
		b = abi.AppendJSONString(b, r.Kind)
		b = append(b, `,"spec":{},"status":{"allowed":`...)
	}
	b = strconv.AppendBool(b, r.Status.Allowed)
	if r.Status.Denied {
		b = append(b, `,"denied":true`...)
	}
	if r.Status.Reason != "" {
		b = append(b, `,"reason":`...)
		b = abi.AppendJSONString(b, r.Status.Reason)
	}
	if r.Status.EvaluationError != "" {
		b = append(b, `,"evaluationError":`...)
		b = abi.AppendJSONString(b, r.Status.EvaluationError)
	}
	return append(b, "}}"...)
}
