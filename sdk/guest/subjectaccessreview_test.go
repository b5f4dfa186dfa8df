package guest

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

var sarSamples = []string{
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"namespace":"team-a","verb":"create","version":"v1","resource":"configmaps"},"user":"alice","groups":["system:authenticated"]},"status":{"allowed":false}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"},"user":"bob","extra":{"scopes":["a","b"],"none":[]},"uid":"7"},"status":{"allowed":true,"denied":false,"reason":"r","evaluationError":"e"}}`,
	` { "spec" : { "groups" : [ ] , "user" : null , "resourceAttributes" : null } } `,
	`{"spec":{"resourceAttributes":{"name":"a"},"resourceAttributes":{"verb":"get"}}}`,
	`{"spec":{"User":"case"}}`,
	`{"spec":{"user":"esc\u0061ped"}}`,
	`{"spec":{"user":"ünïcode"}}`,
	`{"spec":{"groups":["a",1]}}`,
	`{"spec":{"groups":null,"extra":null}}`,
	`{"spec":{"extra":{"k":null}}}`,
	`{"unknown":{"deep":[1,2,{"x":null}]},"kind":"K"}`,
	`{"status":{"allowed":"yes"}}`,
	`{"spec":{}} trailing`,
	`{"spec":{},}`,
	`[]`,
	`null`,
	``,
}

// TestDecodeSubjectAccessReviewMatchesEncodingJSON checks the reflection-free decoder against
// encoding/json, including the shapes it leaves to encoding/json.
func TestDecodeSubjectAccessReviewMatchesEncodingJSON(t *testing.T) {
	golden, err := os.ReadFile("../../abi/testdata/subjectaccessreview-request.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range append(sarSamples, string(bytes.TrimSpace(golden))) {
		checkSARDecode(t, []byte(in))
	}
	var fast abi.SubjectAccessReview
	if !decodeSARFast([]byte(sarSamples[0]), &fast) || !decodeSARFast([]byte(sarSamples[1]), &fast) {
		t.Error("the host's usual review shapes were not decoded without encoding/json")
	}
}

func FuzzDecodeSubjectAccessReview(f *testing.F) {
	for _, s := range sarSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkSARDecode(t, []byte(in)) })
}

func checkSARDecode(t *testing.T, in []byte) {
	t.Helper()
	var want abi.SubjectAccessReview
	got, gotErr := decodeSubjectAccessReview(in)
	wantErr := json.Unmarshal(in, &want)
	if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && !reflect.DeepEqual(*got, want)) {
		t.Errorf("decoding %s:\n got %+v, %v\nwant %+v, %v", in, got, gotErr, want, wantErr)
	}
}

func TestAppendSubjectAccessReviewAnswerMatchesEncodingJSON(t *testing.T) {
	for _, st := range []abi.SubjectAccessReviewStatus{
		{},
		{Allowed: true},
		{Denied: true, Reason: "alice may not read deployments"},
		{Reason: `<"quoted"> & ü`, EvaluationError: "broken\n"},
	} {
		r := abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{})
		r.Status = st
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSubjectAccessReviewAnswer(nil, r); !bytes.Equal(got, want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}
