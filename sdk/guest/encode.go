package guest

import "github.com/kapi-dev/kapi/abi"

// appendAdmissionAnswer appends the JSON of an AdmissionReview carrying resp, with abi's encoder:
// byte for byte what encoding/json gives (a test pins that), without reflection, which in a Wasm
// guest costs more than the policy.
func appendAdmissionAnswer(b []byte, resp *abi.AdmissionResponse) []byte {
	answer := abi.AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Response: resp}
	return answer.AppendJSON(b)
}
