package guest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

func TestAppendAdmissionAnswerMatchesEncodingJSON(t *testing.T) {
	jp := abi.PatchTypeJSONPatch
	cases := []abi.AdmissionResponse{
		{},
		{UID: "u", Allowed: true},
		{UID: "u", Result: &abi.Status{}},
		{UID: "u", Result: &abi.Status{Status: "Failure", Message: `image "x:latest" <bad> & "worse"`, Reason: "Forbidden", Code: 403}},
		{UID: "u", Result: &abi.Status{Message: "ünïcode\n\ttabs \u2028 \x01"}},
		{UID: "u", Allowed: true, Patch: []byte(`[{"op":"add","path":"/a","value":1}]`), PatchType: &jp},
		{UID: "u", Allowed: true, AuditAnnotations: map[string]string{"z": "1", "a": "2", "m<": "&"}},
		{UID: "u", Allowed: true, Warnings: []string{"one", "two \"quoted\""}},
	}
	for _, resp := range cases {
		want, err := json.Marshal(&abi.AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Response: &resp})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAdmissionAnswer(nil, &resp); !bytes.Equal(got, want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}
