package abi

import (
	"encoding/base64"
	"strconv"
)

// The authentication and authorization reviews are encoded by hand for the reason encode.go gives
// for the admission messages: the host sends one per request to every Wasm or process plugin, and
// encoding/json's reflection was a good part of the host's cost of such a call. The output is byte
// for byte what json.Marshal writes; encode_reviews_test.go pins that.

// AppendJSON appends the review's JSON to b, exactly as json.Marshal writes it.
func (r *SubjectAccessReview) AppendJSON(b []byte) []byte {
	return appendReview(b, r.APIVersion, r.Kind, &r.Spec, &r.Status)
}

// appendReview writes the shape TokenReview and SubjectAccessReview share: apiVersion, kind,
// spec and status.
func appendReview[S, T interface{ appendJSON([]byte) []byte }](b []byte, apiVersion, kind string, spec S, status T) []byte {
	b = append(b, `{"apiVersion":`...)
	b = AppendJSONString(b, apiVersion)
	b = append(b, `,"kind":`...)
	b = AppendJSONString(b, kind)
	b = append(b, `,"spec":`...)
	b = spec.appendJSON(b)
	b = append(b, `,"status":`...)
	b = status.appendJSON(b)
	return append(b, '}')
}

func (s *SubjectAccessReviewSpec) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	if a := s.ResourceAttributes; a != nil {
		b = appendMemberName(b, open, "resourceAttributes")
		b = a.appendJSON(b)
	}
	if a := s.NonResourceAttributes; a != nil {
		b = appendMemberName(b, open, "nonResourceAttributes")
		b = a.appendJSON(b)
	}
	if s.User != "" {
		b = appendMemberName(b, open, "user")
		b = AppendJSONString(b, s.User)
	}
	if len(s.Groups) > 0 {
		b = appendMemberName(b, open, "groups")
		b = appendJSONStrings(b, s.Groups)
	}
	if len(s.Extra) > 0 {
		b = appendMemberName(b, open, "extra")
		b = appendJSONStringLists(b, s.Extra)
	}
	if s.UID != "" {
		b = appendMemberName(b, open, "uid")
		b = AppendJSONString(b, s.UID)
	}
	return append(b, '}')
}

func (a *ResourceAttributes) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	b = appendOptionalString(b, open, "namespace", a.Namespace)
	b = appendOptionalString(b, open, "verb", a.Verb)
	b = appendOptionalString(b, open, "group", a.Group)
	b = appendOptionalString(b, open, "version", a.Version)
	b = appendOptionalString(b, open, "resource", a.Resource)
	b = appendOptionalString(b, open, "subresource", a.Subresource)
	b = appendOptionalString(b, open, "name", a.Name)
	return append(b, '}')
}

func (a *NonResourceAttributes) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	b = appendOptionalString(b, open, "path", a.Path)
	b = appendOptionalString(b, open, "verb", a.Verb)
	return append(b, '}')
}

func (st *SubjectAccessReviewStatus) appendJSON(b []byte) []byte {
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, st.Allowed)
	if st.Denied {
		b = append(b, `,"denied":true`...)
	}
	if st.Reason != "" {
		b = append(b, `,"reason":`...)
		b = AppendJSONString(b, st.Reason)
	}
	if st.EvaluationError != "" {
		b = append(b, `,"evaluationError":`...)
		b = AppendJSONString(b, st.EvaluationError)
	}
	return append(b, '}')
}

// AppendJSON appends the review's JSON to b, exactly as json.Marshal writes it.
func (r *TokenReview) AppendJSON(b []byte) []byte {
	return appendReview(b, r.APIVersion, r.Kind, &r.Spec, &r.Status)
}

func (s *TokenReviewSpec) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	if s.Token != "" {
		b = appendMemberName(b, open, "token")
		b = AppendJSONString(b, s.Token)
	}
	if len(s.Audiences) > 0 {
		b = appendMemberName(b, open, "audiences")
		b = appendJSONStrings(b, s.Audiences)
	}
	if len(s.Headers) > 0 {
		b = appendMemberName(b, open, "headers")
		b = appendJSONStringLists(b, s.Headers)
	}
	if len(s.ClientCertificates) > 0 {
		b = appendMemberName(b, open, "clientCertificates")
		b = append(b, '[')
		for i, der := range s.ClientCertificates {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONBytes(b, der)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (st *TokenReviewStatus) appendJSON(b []byte) []byte {
	b = append(b, `{"authenticated":`...)
	b = strconv.AppendBool(b, st.Authenticated)
	// omitempty does not omit a struct: encoding/json always writes the user.
	b = append(b, `,"user":`...)
	b = st.User.appendJSON(b)
	if len(st.Audiences) > 0 {
		b = append(b, `,"audiences":`...)
		b = appendJSONStrings(b, st.Audiences)
	}
	if st.Error != "" {
		b = append(b, `,"error":`...)
		b = AppendJSONString(b, st.Error)
	}
	return append(b, '}')
}

// appendOptionalString appends the member name: s to an object whose members began at open,
// unless s is empty (an omitempty string).
func appendOptionalString(b []byte, open int, name, s string) []byte {
	if s == "" {
		return b
	}
	b = appendMemberName(b, open, name)
	return AppendJSONString(b, s)
}

// appendJSONStringLists appends m as a JSON object of string arrays, keys in encoding/json's
// order; a nil list is null.
func appendJSONStringLists(b []byte, m map[string][]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONStrings(b, m[k])
	}
	return append(b, '}')
}

// appendJSONBytes appends p as encoding/json writes a []byte: a base64 string, or null for nil.
func appendJSONBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}
