package guest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unsafe"

	"github.com/kapi-dev/kapi/abi"
)

// decodeSubjectAccessReview decodes a SubjectAccessReview as encoding/json would, without
// reflection when the review has the shape the host sends (known member names spelled exactly,
// strings without escapes, booleans): in a Go Wasm guest, encoding/json's reflection cost an
// AlwaysAllow call ten times what the host spent on it. Anything else (an unknown member, a
// name in another case, an escaped string, a value of an unexpected type) is decoded by
// encoding/json, so the result never differs from it.
//
// The strings it decodes share one copy of the request (they are views of it, which nothing
// changes): an allocation per string was most of what decoding cost a Go guest.
func decodeSubjectAccessReview(req []byte, r *abi.SubjectAccessReview) error {
	var fast abi.SubjectAccessReview
	if decodeSARFast(bytes.Clone(req), &fast) {
		*r = fast
		return nil
	}
	return json.Unmarshal(req, r)
}

// decodeSARFast reports whether it decoded req; false means req needs encoding/json.
func decodeSARFast(req []byte, r *abi.SubjectAccessReview) bool {
	ok := true
	whole := Members(req, func(name, value []byte) bool {
		switch {
		case isNull(value):
		case MemberIs(name, "apiVersion"):
			ok = plainString(value, &r.APIVersion)
		case MemberIs(name, "kind"):
			ok = plainString(value, &r.Kind)
		case MemberIs(name, "spec"):
			ok = decodeSARSpec(value, &r.Spec)
		case MemberIs(name, "status"):
			ok = decodeSARStatus(value, &r.Status)
		default:
			ok = false
		}
		return ok
	})
	return whole && ok && wholeValue(req)
}

func decodeSARSpec(raw []byte, s *abi.SubjectAccessReviewSpec) bool {
	ok := true
	whole := Members(raw, func(name, value []byte) bool {
		null := isNull(value)
		switch {
		case MemberIs(name, "resourceAttributes"):
			if null {
				s.ResourceAttributes = nil
			} else {
				if s.ResourceAttributes == nil { // encoding/json fills an existing one
					s.ResourceAttributes = &abi.ResourceAttributes{}
				}
				a := s.ResourceAttributes
				ok = stringMembers(value, func(name []byte) *string {
					switch string(name) {
					case `"namespace"`:
						return &a.Namespace
					case `"verb"`:
						return &a.Verb
					case `"group"`:
						return &a.Group
					case `"version"`:
						return &a.Version
					case `"resource"`:
						return &a.Resource
					case `"subresource"`:
						return &a.Subresource
					case `"name"`:
						return &a.Name
					}
					return nil
				})
			}
		case MemberIs(name, "nonResourceAttributes"):
			if null {
				s.NonResourceAttributes = nil
			} else {
				if s.NonResourceAttributes == nil {
					s.NonResourceAttributes = &abi.NonResourceAttributes{}
				}
				a := s.NonResourceAttributes
				ok = stringMembers(value, func(name []byte) *string {
					switch string(name) {
					case `"path"`:
						return &a.Path
					case `"verb"`:
						return &a.Verb
					}
					return nil
				})
			}
		case null:
			// a string left as it is, or an unknown member
			ok = !MemberIs(name, "groups") && !MemberIs(name, "extra")
		case MemberIs(name, "user"):
			ok = plainString(value, &s.User)
		case MemberIs(name, "uid"):
			ok = plainString(value, &s.UID)
		case MemberIs(name, "groups"):
			s.Groups, ok = stringList(value)
		case MemberIs(name, "extra"):
			if s.Extra == nil {
				s.Extra = map[string][]string{}
			}
			ok = Members(value, func(key, list []byte) bool {
				var k string
				if !plainString(key, &k) || isNull(list) {
					ok = false
					return false
				}
				s.Extra[k], ok = stringList(list)
				return ok
			}) && ok
		default:
			ok = false
		}
		return ok
	})
	return whole && ok
}

func decodeSARStatus(raw []byte, s *abi.SubjectAccessReviewStatus) bool {
	ok := true
	whole := Members(raw, func(name, value []byte) bool {
		switch {
		case isNull(value):
		case MemberIs(name, "allowed"):
			s.Allowed, ok = plainBool(value)
		case MemberIs(name, "denied"):
			s.Denied, ok = plainBool(value)
		case MemberIs(name, "reason"):
			ok = plainString(value, &s.Reason)
		case MemberIs(name, "evaluationError"):
			ok = plainString(value, &s.EvaluationError)
		default:
			ok = false
		}
		return ok
	})
	return whole && ok
}

// stringMembers decodes an object of string members into the fields field names (by their quoted
// name); an unknown name is not decoded here.
func stringMembers(raw []byte, field func(quoted []byte) *string) bool {
	ok := true
	whole := Members(raw, func(name, value []byte) bool {
		f := field(name)
		switch {
		case f == nil:
			ok = false
		case isNull(value):
		default:
			ok = plainString(value, f)
		}
		return ok
	})
	return whole && ok
}

// stringList decodes an array of strings; null is a nil list.
func stringList(raw []byte) ([]string, bool) {
	if isNull(raw) {
		return nil, true
	}
	list := []string{} // encoding/json's answer for []
	ok := true
	whole := Elements(raw, func(elem []byte) bool {
		var s string
		if ok = plainString(elem, &s); ok {
			list = append(list, s)
		}
		return ok
	})
	return list, whole && ok
}

// plainString decodes a JSON string without escapes, as a view of raw's bytes (see
// decodeSubjectAccessReview).
func plainString(raw []byte, into *string) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return false // escapes and non-ASCII (which encoding/json validates) go the slow way
		}
	}
	*into = unsafe.String(unsafe.SliceData(raw[1:]), len(inner))
	return true
}

func plainBool(raw []byte) (v, ok bool) {
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func isNull(raw []byte) bool { return string(raw) == "null" }

// wholeValue reports whether doc is one value with nothing but spaces after it, as
// encoding/json requires.
func wholeValue(doc []byte) bool {
	start := skipSpace(doc, 0)
	end, ok := skipValue(doc, start)
	return ok && skipSpace(doc, end) == len(doc)
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
