package pluginapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

// callKind calls the Caller's method of a kind and returns its answer as JSON.
func callKind(ctx context.Context, c *Caller, kind abi.Kind) (string, error) {
	var got any
	var err error
	switch kind {
	case abi.KindAuthenticator:
		got, err = c.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "t"}))
	case abi.KindAuthorizer:
		got, err = c.Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "u"}))
	case abi.KindMutatingAdmission:
		got, err = c.Admit(ctx, abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "1", Operation: "CREATE"}))
	case abi.KindValidatingAdmission:
		got, err = c.Validate(ctx, abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "1", Operation: "CREATE"}))
	}
	b, _ := json.Marshal(got)
	return string(b), err
}

func TestCallerDecodesTheAnswerEnvelope(t *testing.T) {
	authn, authz := abi.KindAuthenticator, abi.KindAuthorizer
	mutating, validating := abi.KindMutatingAdmission, abi.KindValidatingAdmission
	tests := []struct {
		name    string
		kind    abi.Kind
		answer  string
		want    string        // the answer, when the call succeeds
		reason  FailureReason // the CallError's reason, when it fails
		wantErr string
	}{
		{"status", authn, `{"status":{"authenticated":true,"user":{"username":"a"}}}`,
			`{"authenticated":true,"user":{"username":"a"}}`, "", ""},
		{"status ignores response", authz, `{"response":7,"status":{"allowed":true}}`,
			`{"allowed":true}`, "", ""},
		{"response", mutating, `{"response":{"uid":"1","allowed":true}}`,
			`{"uid":"1","allowed":true}`, "", ""},
		{"response ignores status", validating, `{"status":7,"response":{"uid":"1","allowed":false}}`,
			`{"uid":"1","allowed":false}`, "", ""},
		{"error envelope", authn, `{"error":"token store down"}`,
			"", ReasonError, `plugin "p": error: token store down`},
		{"error beats the answer", mutating, `{"error":"no","response":{"uid":"1","allowed":true}}`,
			"", ReasonError, `plugin "p": error: no`},
		{"empty error", authz, `{"error":""}`,
			"", ReasonError, `plugin "p": error: plugin answered with an empty error`},
		{"no status", authz, `{}`,
			"", ReasonMalformed, `plugin "p": malformed: answer has no status`},
		{"no response", validating, `{"status":{}}`,
			"", ReasonMalformed, `plugin "p": malformed: answer has no response`},
		{"not JSON", mutating, `ok`,
			"", ReasonMalformed, `plugin "p": malformed: answer is not the expected JSON: invalid character 'o' looking for beginning of value (answer starts "ok")`},
		{"status of the wrong type", authn, `{"status":"yes"}`,
			"", ReasonMalformed, `plugin "p": malformed: answer is not the expected JSON: json: cannot unmarshal string into Go struct field .status of type abi.TokenReviewStatus (answer starts "{\"status\":\"yes\"}")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testCaller(t, nil, func(_ context.Context, kind abi.Kind, _ []byte) ([]byte, error) {
				if kind != tc.kind {
					t.Errorf("round trip for kind %s, want %s", kind, tc.kind)
				}
				return []byte(tc.answer), nil
			})
			got, err := callKind(context.Background(), c, tc.kind)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Errorf("answer %s, %v\nwant %s", got, err, tc.want)
				}
				return
			}
			var ce *CallError
			if !errors.As(err, &ce) || ce.Reason != tc.reason || err.Error() != tc.wantErr {
				t.Errorf("error %v\nwant %s (reason %s)", err, tc.wantErr, tc.reason)
			}
		})
	}
}

func TestCallerSendsTheReviewAndPassesRoundTripErrorsOn(t *testing.T) {
	failed := &CallError{Plugin: "p", Reason: ReasonTrap, Err: errors.New("unreachable")}
	for _, kind := range []abi.Kind{abi.KindAuthenticator, abi.KindAuthorizer, abi.KindMutatingAdmission, abi.KindValidatingAdmission} {
		t.Run(string(kind), func(t *testing.T) {
			var sent []byte
			c := testCaller(t, nil, func(_ context.Context, _ abi.Kind, request []byte) ([]byte, error) {
				sent = bytes.Clone(request) // the Caller reuses its buffer once the call returns
				return nil, failed
			})
			if _, err := callKind(context.Background(), c, kind); err != failed {
				t.Errorf("error %v, want the round trip's own", err)
			}
			var review struct {
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal(sent, &review); err != nil || review.Kind == "" {
				t.Errorf("request %s is not a review: %v", sent, err)
			}
		})
	}
}

// TestCallerSendsReviewsAsEncodingJSONWrites pins that TokenReviews and SubjectAccessReviews go
// out as json.Marshal writes them, a long review before a short one so that a reused buffer
// holding stale bytes would show, with and without a projection after the encoding.
func TestCallerSendsReviewsAsEncodingJSONWrites(t *testing.T) {
	long := strings.Repeat("<long & escaped>", 64)
	reviews := []any{
		abi.NewTokenReview(abi.TokenReviewSpec{Token: long, Audiences: []string{"a"},
			Headers: map[string][]string{"B": {long}, "A": nil}, ClientCertificates: [][]byte{{0x30, 0x82}, nil}}),
		abi.NewTokenReview(abi.TokenReviewSpec{Token: "t"}),
		abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: long, Groups: []string{"g"}, Extra: map[string][]string{"k": {long}},
			ResourceAttributes: &abi.ResourceAttributes{Verb: "get", Resource: "pods"}}),
		abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{NonResourceAttributes: &abi.NonResourceAttributes{Path: "/healthz"}}),
	}
	reviews = append(reviews, &abi.SubjectAccessReview{APIVersion: `"odd"`, Kind: "ü"}) // written by the type-meta shortcut
	for _, reads := range [][]string{nil, {"/spec"}, {}} {
		var sent []byte
		rt := func(_ context.Context, _ abi.Kind, request []byte) ([]byte, error) {
			sent = bytes.Clone(request)
			return []byte(`{"status":{}}`), nil
		}
		for _, review := range reviews {
			var err error
			switch r := review.(type) {
			case *abi.TokenReview:
				_, err = testCallerOf(t, abi.KindAuthenticator, reads, rt).Authenticate(context.Background(), r)
			case *abi.SubjectAccessReview:
				_, err = testCallerOf(t, abi.KindAuthorizer, reads, rt).Authorize(context.Background(), r)
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(review)
			switch {
			case reads == nil:
			case len(reads) == 0: // only apiVersion and kind, the first two members
				want = append(want[:bytes.Index(want, []byte(`,"spec":`))], '}')
			default: // the status, the review's last member, is not read
				want = append(want[:bytes.LastIndex(want, []byte(`,"status":`))], '}')
			}
			if !bytes.Equal(sent, want) {
				t.Errorf("reads %q: sent %s\nwant %s", reads, sent, want)
			}
		}
	}
}

func TestCallerEncodesAnAdmissionReviewOnce(t *testing.T) {
	review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "1", Operation: "CREATE"})
	encoded, err := review.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	c := testCaller(t, nil, func(_ context.Context, _ abi.Kind, request []byte) ([]byte, error) {
		if &request[0] != &encoded[0] {
			t.Error("the request is not the review's shared encoding")
		}
		return []byte(`{"response":{"uid":"1","allowed":true}}`), nil
	})
	for _, call := range []func(context.Context, *abi.AdmissionReview) (abi.AdmissionResponse, error){c.Admit, c.Validate} {
		if _, err := call(context.Background(), review); err != nil {
			t.Fatal(err)
		}
	}
}

// testCaller returns the Caller of a validating admission plugin "p" whose manifest has the
// given reads.
func testCaller(t *testing.T, reads []string, rt RoundTrip) *Caller {
	t.Helper()
	return testCallerOf(t, abi.KindValidatingAdmission, reads, rt)
}

// testCallerOf returns the Caller of a plugin "p" of the given kind whose manifest has the
// given reads.
func testCallerOf(t *testing.T, kind abi.Kind, reads []string, rt RoundTrip) *Caller {
	t.Helper()
	c, err := NewCaller(&Manifest{Name: "p", Kind: kind, Reads: reads}, rt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallerSendsTheProjectionTheManifestReads(t *testing.T) {
	review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "1", Operation: "CREATE", Namespace: "ns",
		Object: json.RawMessage(`{"kind":"Pod","metadata":{"name":"a","labels":{"x":"y"}}}`)})
	c := testCaller(t, []string{"/request/object/metadata/labels"}, func(_ context.Context, _ abi.Kind, request []byte) ([]byte, error) {
		want := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","object":{"metadata":{"labels":{"x":"y"}}}}}`
		if string(request) != want {
			t.Errorf("sent %s\nwant %s", request, want)
		}
		return []byte(`{"response":{"uid":"1","allowed":true}}`), nil
	})
	for range 2 { // the second call reuses the first one's buffer
		if resp, err := c.Validate(context.Background(), review); err != nil || !resp.Allowed {
			t.Fatalf("%+v, %v", resp, err)
		}
	}
}

func TestCallerSendsTheFieldsTableWhenTheManifestSaysSo(t *testing.T) {
	review := abi.NewAdmissionReview(&abi.AdmissionRequest{UID: "1", Operation: "CREATE", Namespace: "ns",
		Object: json.RawMessage(`{"kind":"Pod","metadata":{"name":"a","labels":{"x":"y"}}}`)})
	reads := []string{"/request/operation", "/request/object/metadata/labels"}
	m := &Manifest{Name: "p", Kind: abi.KindValidatingAdmission, ABIVersion: "1.2", Entry: "p.wasm", Reads: reads, Input: InputFields}
	m.SetDefaults()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := NewCaller(m, func(_ context.Context, _ abi.Kind, request []byte) ([]byte, error) {
		if got, want := fmt.Sprint(parseFields(t, request, reads)), `[(0, 1, [], {) (0, 2, [], "CREATE") (1, 2, [], {) (1, 3, [], {) (1, 4, [], {"x":"y"})]`; got != want {
			t.Errorf("sent %s\nwant %s", got, want)
		}
		return []byte(`{"response":{"uid":"1","allowed":true}}`), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Validate(context.Background(), review); err != nil || !resp.Allowed {
		t.Fatalf("%+v, %v", resp, err)
	}
}
