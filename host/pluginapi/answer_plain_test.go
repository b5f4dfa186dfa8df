package pluginapi

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

var plainAdmissionSamples = []string{
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":true}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":false}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true,"patch":"W3sib3AiOiJhZGQifV0=","patchType":"JSONPatch"}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true,"patch":"!!","patchType":"JSONPatch"}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"\u0041","allowed":true}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"ü","allowed":true}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true,"warnings":["w"]}}`,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true}} `,
	`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true}}}`,
	`{"error":"no"}`,
}

var plainAuthorizationSamples = []string{
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":true}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":false}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":false,"denied":true}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{},"status":{"allowed":true}}x`,
}

// TestPlainAnswersMatchEncodingJSON checks that an answer the plain readers accept decodes to
// what encoding/json gives, and that the SDK's usual answers are accepted.
func TestPlainAnswersMatchEncodingJSON(t *testing.T) {
	for _, s := range plainAdmissionSamples {
		checkPlainAdmission(t, s)
	}
	for _, s := range plainAuthorizationSamples {
		checkPlainAuthorization(t, s)
	}
	for _, s := range []string{plainAdmissionSamples[0], plainAdmissionSamples[1], plainAdmissionSamples[2]} {
		if _, ok := plainAdmissionAnswer([]byte(s)); !ok {
			t.Errorf("plainAdmissionAnswer refused %s", s)
		}
	}
	for _, s := range plainAuthorizationSamples[:2] {
		if _, ok := plainAuthorizationAnswer([]byte(s)); !ok {
			t.Errorf("plainAuthorizationAnswer refused %s", s)
		}
	}
}

func FuzzPlainAdmissionAnswer(f *testing.F) {
	for _, s := range plainAdmissionSamples {
		f.Add(s)
	}
	f.Fuzz(checkPlainAdmission)
}

func FuzzPlainAuthorizationAnswer(f *testing.F) {
	for _, s := range plainAuthorizationSamples {
		f.Add(s)
	}
	f.Fuzz(checkPlainAuthorization)
}

func checkPlainAdmission(t *testing.T, answer string) {
	got, ok := plainAdmissionAnswer([]byte(answer))
	if !ok {
		return
	}
	var want struct {
		Error    *string                `json:"error"`
		Response *abi.AdmissionResponse `json:"response"`
	}
	if err := json.Unmarshal([]byte(answer), &want); err != nil || want.Error != nil || want.Response == nil || !reflect.DeepEqual(got, *want.Response) {
		t.Errorf("plainAdmissionAnswer(%s) = %+v, encoding/json gives %+v, %v", answer, got, want.Response, err)
	}
}

func checkPlainAuthorization(t *testing.T, answer string) {
	got, ok := plainAuthorizationAnswer([]byte(answer))
	if !ok {
		return
	}
	var want struct {
		Error  *string                        `json:"error"`
		Status *abi.SubjectAccessReviewStatus `json:"status"`
	}
	if err := json.Unmarshal([]byte(answer), &want); err != nil || want.Error != nil || want.Status == nil || got != *want.Status {
		t.Errorf("plainAuthorizationAnswer(%s) = %+v, encoding/json gives %+v, %v", answer, got, want.Status, err)
	}
}
