package abi

import (
	"encoding/base64"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The admission messages are encoded by hand, not by encoding/json, for two reasons. On the host,
// json.Marshal validates and compacts every json.RawMessage member (the object, the old object,
// the options), which is most of the cost of encoding a review although the host built those
// members with its own JSON encoder; here they are copied as they are. In a Wasm guest,
// encoding/json's reflection costs more than a typical policy. The output is byte for byte what
// json.Marshal writes, given RawMessage members as json.Marshal writes them (compact, with <, >, &,
// U+2028 and U+2029 escaped); encode_test.go pins that.

// AppendJSONString appends s to b as a JSON string, exactly as encoding/json writes it: ", \ and
// control characters escaped (\b, \f, \n, \r, \t or \u00XX), <, > and & as \u003c, \u003e and
// \u0026, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid UTF-8 as \ufffd.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainJSON[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// plainJSON marks the bytes AppendJSONString copies as they are: printable ASCII but for ", \, <,
// > and &. One table lookup per byte is what keeps the common string cheap in a Go Wasm guest,
// where each comparison in a chain of them is a branch through the function's jump table.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendEscapedASCII appends the escape encoding/json writes for an ASCII byte it does not copy.
func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// AppendJSON appends the review's JSON to b: what json.Marshal writes, without validating or
// compacting the request's RawMessage members, which are copied as they are and so must hold
// valid JSON.
func (r *AdmissionReview) AppendJSON(b []byte) []byte {
	b = append(b, `{"apiVersion":`...)
	b = AppendJSONString(b, r.APIVersion)
	b = append(b, `,"kind":`...)
	b = AppendJSONString(b, r.Kind)
	if r.Request != nil {
		b = append(b, `,"request":`...)
		b = r.Request.appendJSON(b)
	}
	if r.Response != nil {
		b = append(b, `,"response":`...)
		b = r.Response.AppendJSON(b)
	}
	return append(b, '}')
}

// encodedSizeHint is room for the review's JSON: its RawMessage members plus enough for the rest
// of a typical review, so that encoding it allocates once.
func (r *AdmissionReview) encodedSizeHint() int {
	n := 1024
	if req := r.Request; req != nil {
		n += len(req.Object) + len(req.OldObject) + len(req.Options)
	}
	return n
}

func (req *AdmissionRequest) appendJSON(b []byte) []byte {
	b = append(b, `{"uid":`...)
	b = AppendJSONString(b, req.UID)
	b = append(b, `,"kind":`...)
	b = req.Kind.appendJSON(b)
	b = append(b, `,"resource":`...)
	b = req.Resource.appendJSON(b)
	if req.SubResource != "" {
		b = append(b, `,"subResource":`...)
		b = AppendJSONString(b, req.SubResource)
	}
	if req.RequestKind != nil {
		b = append(b, `,"requestKind":`...)
		b = req.RequestKind.appendJSON(b)
	}
	if req.RequestResource != nil {
		b = append(b, `,"requestResource":`...)
		b = req.RequestResource.appendJSON(b)
	}
	if req.RequestSubResource != "" {
		b = append(b, `,"requestSubResource":`...)
		b = AppendJSONString(b, req.RequestSubResource)
	}
	if req.Name != "" {
		b = append(b, `,"name":`...)
		b = AppendJSONString(b, req.Name)
	}
	if req.Namespace != "" {
		b = append(b, `,"namespace":`...)
		b = AppendJSONString(b, req.Namespace)
	}
	b = append(b, `,"operation":`...)
	b = AppendJSONString(b, req.Operation)
	b = append(b, `,"userInfo":`...)
	b = req.UserInfo.appendJSON(b)
	if len(req.Object) > 0 {
		b = append(b, `,"object":`...)
		b = append(b, req.Object...)
	}
	if len(req.OldObject) > 0 {
		b = append(b, `,"oldObject":`...)
		b = append(b, req.OldObject...)
	}
	if req.DryRun != nil {
		b = append(b, `,"dryRun":`...)
		b = strconv.AppendBool(b, *req.DryRun)
	}
	if len(req.Options) > 0 {
		b = append(b, `,"options":`...)
		b = append(b, req.Options...)
	}
	return append(b, '}')
}

// AppendJSON appends the response's JSON to b, as json.Marshal writes it.
func (resp *AdmissionResponse) AppendJSON(b []byte) []byte {
	b = append(b, `{"uid":`...)
	b = AppendJSONString(b, resp.UID)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, resp.Allowed)
	if resp.Result != nil {
		b = append(b, `,"status":`...)
		b = resp.Result.appendJSON(b)
	}
	if len(resp.Patch) > 0 {
		b = append(b, `,"patch":"`...)
		b = base64.StdEncoding.AppendEncode(b, resp.Patch)
		b = append(b, '"')
	}
	if resp.PatchType != nil {
		b = append(b, `,"patchType":`...)
		b = AppendJSONString(b, *resp.PatchType)
	}
	if len(resp.AuditAnnotations) > 0 {
		b = append(b, `,"auditAnnotations":{`...)
		for i, k := range sortedKeys(resp.AuditAnnotations) {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, k)
			b = append(b, ':')
			b = AppendJSONString(b, resp.AuditAnnotations[k])
		}
		b = append(b, '}')
	}
	if len(resp.Warnings) > 0 {
		b = append(b, `,"warnings":`...)
		b = appendJSONStrings(b, resp.Warnings)
	}
	return append(b, '}')
}

func (st *Status) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	if st.Status != "" {
		b = appendMemberName(b, open, "status")
		b = AppendJSONString(b, st.Status)
	}
	if st.Message != "" {
		b = appendMemberName(b, open, "message")
		b = AppendJSONString(b, st.Message)
	}
	if st.Reason != "" {
		b = appendMemberName(b, open, "reason")
		b = AppendJSONString(b, st.Reason)
	}
	if st.Code != 0 {
		b = appendMemberName(b, open, "code")
		b = strconv.AppendInt(b, int64(st.Code), 10)
	}
	return append(b, '}')
}

func (u *UserInfo) appendJSON(b []byte) []byte {
	b = append(b, '{')
	open := len(b)
	if u.Username != "" {
		b = appendMemberName(b, open, "username")
		b = AppendJSONString(b, u.Username)
	}
	if u.UID != "" {
		b = appendMemberName(b, open, "uid")
		b = AppendJSONString(b, u.UID)
	}
	if len(u.Groups) > 0 {
		b = appendMemberName(b, open, "groups")
		b = appendJSONStrings(b, u.Groups)
	}
	if len(u.Extra) > 0 {
		b = appendMemberName(b, open, "extra")
		b = appendJSONStringLists(b, u.Extra)
	}
	return append(b, '}')
}

func (k *GroupVersionKind) appendJSON(b []byte) []byte {
	b = append(b, `{"group":`...)
	b = AppendJSONString(b, k.Group)
	b = append(b, `,"version":`...)
	b = AppendJSONString(b, k.Version)
	b = append(b, `,"kind":`...)
	b = AppendJSONString(b, k.Kind)
	return append(b, '}')
}

func (r *GroupVersionResource) appendJSON(b []byte) []byte {
	b = append(b, `{"group":`...)
	b = AppendJSONString(b, r.Group)
	b = append(b, `,"version":`...)
	b = AppendJSONString(b, r.Version)
	b = append(b, `,"resource":`...)
	b = AppendJSONString(b, r.Resource)
	return append(b, '}')
}

// appendMemberName appends `"name":` to an object whose members began at open (just after its
// '{'), preceded by a comma unless it is the first member.
func appendMemberName(b []byte, open int, name string) []byte {
	if len(b) > open {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `":`...)
}

// appendJSONStrings appends ss as a JSON array of strings; nil is null, as encoding/json writes it.
func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s)
	}
	return append(b, ']')
}

// sortedKeys returns m's keys in the order encoding/json writes them (byte order).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
