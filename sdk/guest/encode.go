package guest

import "github.com/kapi-dev/kapi/abi"

// answerPrefix is how every admission answer starts (an AdmissionReview's apiVersion and kind,
// and its response member), written as one constant: in a Wasm guest that is cheaper than
// encoding the two strings, on every call.
const answerPrefix = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":`

// appendAdmissionAnswer appends the JSON of an AdmissionReview carrying resp, byte for byte what
// encoding/json gives (a test pins that), without reflection, which in a Wasm guest costs more
// than the policy.
func appendAdmissionAnswer(b []byte, resp *abi.AdmissionResponse) []byte {
	b = append(b, answerPrefix...)
	return append(resp.AppendJSON(b), '}')
}
