package abi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func boolPtr(b bool) *bool { return &b }

func strPtr(s string) *string { return &s }

// goldenCases are one sample of every message that crosses the ABI. Their JSON, exactly as it goes
// on the wire (compact, one line, then a newline in the file), is pinned byte for byte in
// testdata/<name>.json: changing an encoding breaks this test, which is the point.
func goldenCases() []struct {
	name string
	msg  any
	zero func() any
} {
	podJSON := json.RawMessage(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}`)
	return []struct {
		name string
		msg  any
		zero func() any
	}{
		{"tokenreview-request", NewTokenReview(TokenReviewSpec{
			Token:              "abc.def",
			Audiences:          []string{"https://kapi.local"},
			Headers:            map[string][]string{"Authorization": {"Bearer abc.def"}, "User-Agent": {"kubectl/v1.34"}},
			ClientCertificates: [][]byte{{0x30, 0x82, 0x01, 0x0a}},
		}), func() any { return new(TokenReview) }},
		{"tokenreview-answer", &TokenReview{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview",
			Status: TokenReviewStatus{Authenticated: true, Audiences: []string{"https://kapi.local"}, User: UserInfo{
				Username: "alice", UID: "42", Groups: []string{"dev", "system:authenticated"},
				Extra: map[string][]string{"scopes": {"read"}},
			}}}, func() any { return new(TokenReview) }},
		{"subjectaccessreview-request", NewSubjectAccessReview(SubjectAccessReviewSpec{
			ResourceAttributes: &ResourceAttributes{Namespace: "default", Verb: "get", Group: "apps", Version: "v1", Resource: "deployments", Name: "web"},
			User:               "alice", Groups: []string{"dev"}, UID: "42",
		}), func() any { return new(SubjectAccessReview) }},
		{"subjectaccessreview-nonresource-request", NewSubjectAccessReview(SubjectAccessReviewSpec{
			NonResourceAttributes: &NonResourceAttributes{Path: "/healthz", Verb: "get"}, User: "bob",
		}), func() any { return new(SubjectAccessReview) }},
		{"subjectaccessreview-answer", &SubjectAccessReview{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview",
			Status: SubjectAccessReviewStatus{Allowed: false, Denied: true, Reason: "alice may not read deployments"}},
			func() any { return new(SubjectAccessReview) }},
		{"admissionreview-request", NewAdmissionReview(&AdmissionRequest{
			UID:       "705ab4f5-6393-11e8-b7cc-42010a800002",
			Kind:      GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  GroupVersionResource{Version: "v1", Resource: "pods"},
			Name:      "web",
			Namespace: "default",
			Operation: "CREATE",
			UserInfo:  UserInfo{Username: "alice", Groups: []string{"dev"}},
			Object:    podJSON,
			DryRun:    boolPtr(false),
			Options:   json.RawMessage(`{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}`),
		}), func() any { return new(AdmissionReview) }},
		{"admissionreview-answer-patch", &AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview",
			Response: &AdmissionResponse{
				UID: "705ab4f5-6393-11e8-b7cc-42010a800002", Allowed: true,
				Patch:            []byte(`[{"op":"add","path":"/metadata/labels","value":{"team":"none"}}]`),
				PatchType:        strPtr(PatchTypeJSONPatch),
				AuditAnnotations: map[string]string{"defaulted": "team"},
			}}, func() any { return new(AdmissionReview) }},
		{"admissionreview-answer-denied", &AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview",
			Response: &AdmissionResponse{
				UID: "705ab4f5-6393-11e8-b7cc-42010a800002", Allowed: false,
				Result:   &Status{Status: "Failure", Message: `image "nginx" has no tag or uses :latest`, Reason: "Forbidden", Code: 403},
				Warnings: []string{"pin your images"},
			}}, func() any { return new(AdmissionReview) }},
		{"error-answer", &ErrorAnswer{Error: "backend unreachable"}, func() any { return new(ErrorAnswer) }},
		{"object-request", &ObjectRequest{Resource: GroupVersionResource{Version: "v1", Resource: "configmaps"}, Namespace: "kube-system", Name: "policy"},
			func() any { return new(ObjectRequest) }},
		{"http-request", &HTTPRequest{Method: "POST", URL: "https://auth.example.com:8443/review", Headers: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)},
			func() any { return new(HTTPRequest) }},
		{"http-response", &HTTPResponse{StatusCode: 200, Headers: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)},
			func() any { return new(HTTPResponse) }},
	}
}

func TestGoldenWireBytes(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.name+".json")
			got, err := json.Marshal(tc.msg)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			got = append(got, '\n')
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoding of %s changed:\n got: %s\nwant: %s", tc.name, got, want)
			}

			// Decoding the golden bytes gives back the sample, so the mapping is one to one.
			decoded := tc.zero()
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(decoded); err != nil {
				t.Fatalf("decoding golden file: %v", err)
			}
			// Encoding the decoded value gives the same bytes again.
			reenc, _ := json.Marshal(decoded)
			orig, _ := json.Marshal(tc.msg)
			if !bytes.Equal(reenc, orig) {
				t.Errorf("decode(golden) != sample:\n got: %s\nwant: %s", reenc, orig)
			}
		})
	}
}

func TestPackedVersion(t *testing.T) {
	if PackedVersion != 0x00010002 {
		t.Fatalf("PackedVersion = %#x, SPEC says 1.2 is 0x00010002", PackedVersion)
	}
	if got := UnpackVersion(PackedVersion); got != Version {
		t.Fatalf("UnpackVersion(PackedVersion) = %q, want %q", got, Version)
	}
	if got := UnpackVersion(0x00020003); got != "2.3" {
		t.Fatalf("UnpackVersion(0x20003) = %q", got)
	}
	p, l := UnpackPtrLen(PackPtrLen(0xdeadbeef, 7))
	if p != 0xdeadbeef || l != 7 {
		t.Fatalf("pack/unpack round trip gave %#x,%d", p, l)
	}
}

func TestCallExport(t *testing.T) {
	for k, want := range map[Kind]string{KindAuthenticator: "kapi_authenticate", KindAuthorizer: "kapi_authorize",
		KindMutatingAdmission: "kapi_admit", KindValidatingAdmission: "kapi_validate", "Other": ""} {
		if got := CallExport(k); got != want {
			t.Errorf("CallExport(%s) = %q, want %q", k, got, want)
		}
	}
}

// TestReadsHash pins the hash to 32-bit FNV-1a's published values, as SPEC.md section 2.2 defines
// it, so that a guest in another language can compute it.
func TestReadsHash(t *testing.T) {
	for _, c := range []struct {
		reads []string
		want  uint32
	}{
		{nil, 0x811c9dc5},           // FNV-1a of ""
		{[]string{"a"}, 0xe40c292c}, // of "a"
		{[]string{"foobar"}, 0xbf9cf968},
	} {
		if got := ReadsHash(c.reads); got != c.want {
			t.Errorf("ReadsHash(%q) = %#x, want %#x", c.reads, got, c.want)
		}
	}
	if ReadsHash([]string{"/a", "/b"}) != ReadsHash([]string{"/a\n/b"}) {
		t.Error("the reads are not joined by a newline")
	}
}
