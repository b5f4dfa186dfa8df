package guest

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/kapi-dev/kapi/abi"
)

// appendAdmissionAnswer appends the JSON of an AdmissionReview carrying resp, byte for byte what
// encoding/json gives (a test pins that), without reflection: in a Wasm guest encoding/json's
// reflection costs more than the policy.
func appendAdmissionAnswer(b []byte, resp *abi.AdmissionResponse) []byte {
	b = append(b, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":`...)
	b = appendString(b, resp.UID)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, resp.Allowed)
	if st := resp.Result; st != nil {
		b = append(b, `,"status":{`...)
		first := true
		field := func(name string) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `":`...)
		}
		if st.Status != "" {
			field("status")
			b = appendString(b, st.Status)
		}
		if st.Message != "" {
			field("message")
			b = appendString(b, st.Message)
		}
		if st.Reason != "" {
			field("reason")
			b = appendString(b, st.Reason)
		}
		if st.Code != 0 {
			field("code")
			b = strconv.AppendInt(b, int64(st.Code), 10)
		}
		b = append(b, '}')
	}
	if len(resp.Patch) > 0 {
		b = append(b, `,"patch":"`...)
		b = base64.StdEncoding.AppendEncode(b, resp.Patch)
		b = append(b, '"')
	}
	if resp.PatchType != nil {
		b = append(b, `,"patchType":`...)
		b = appendString(b, *resp.PatchType)
	}
	if len(resp.AuditAnnotations) > 0 {
		b = append(b, `,"auditAnnotations":{`...)
		keys := make([]string, 0, len(resp.AuditAnnotations))
		for k := range resp.AuditAnnotations {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, resp.AuditAnnotations[k])
		}
		b = append(b, '}')
	}
	if len(resp.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range resp.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, w)
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

// appendString appends s as a JSON string exactly as encoding/json writes it: plain printable
// ASCII is copied, anything else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
