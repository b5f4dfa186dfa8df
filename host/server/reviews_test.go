package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/admission"
	"github.com/kapi-dev/kapi/host/authn"
	"github.com/kapi-dev/kapi/host/authz"
	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/host/rest"
	"github.com/kapi-dev/kapi/plugins"
	"github.com/kapi-dev/kapi/registry"
)

func TestReviewResources(t *testing.T) {
	newDeny, _ := plugins.Lookup("AlwaysDeny")
	deny := newDeny()
	union := authz.NewUnion(authz.Named{Name: "AlwaysDeny", Authorizer: deny.(abi.Authorizer)})
	reg := registry.New()
	tokens, _ := plugins.Lookup("tokenfile")
	tf := tokens()
	if err := tf.Provision(context.Background(), []byte(`{"tokens":"sekret,bob,7,\"ops\"\n"}`), nil); err != nil {
		t.Fatal(err)
	}
	authnUnion := authn.NewUnion(true, authn.Named{Name: "tokenfile", Authenticator: tf.(abi.Authenticator)})
	for _, e := range reviewEntries(authnUnion, union) {
		reg.Add(e)
	}
	h := filters.WithRequestInfo(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := &abi.UserInfo{Username: "alice", Groups: []string{"dev", "system:authenticated"}}
		if r.Header.Get("X-Test-Admin") != "" {
			user = &abi.UserInfo{Username: "root", Groups: []string{"system:masters"}}
		}
		rest.NewHandler(reg, admission.NewChain(nil, nil), rest.Options{}).ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), user)))
	}))
	post := func(path, body string, admin bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if admin {
			req.Header.Set("X-Test-Admin", "1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := post("/apis/authentication.k8s.io/v1/selfsubjectreviews", `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`, false)
	var ssr authenticationv1.SelfSubjectReview
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &ssr) != nil || ssr.Status.UserInfo.Username != "alice" || len(ssr.Status.UserInfo.Groups) != 2 {
		t.Fatalf("whoami: %d %s", rec.Code, rec.Body.String())
	}

	for _, tc := range []struct {
		token string
		code  int
		user  string
	}{{"sekret", 201, "bob"}, {"wrong", 201, ""}, {"", 400, ""}} {
		rec := post("/apis/authentication.k8s.io/v1/tokenreviews", `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"`+tc.token+`"}}`, true)
		var tr authenticationv1.TokenReview
		if rec.Code != tc.code {
			t.Fatalf("token %q: %d %s", tc.token, rec.Code, rec.Body.String())
		}
		if tc.code == 201 && (json.Unmarshal(rec.Body.Bytes(), &tr) != nil || tr.Status.Authenticated != (tc.user != "") ||
			tr.Status.User.Username != tc.user || tr.Status.Error != "" || tr.Spec.Token != "") {
			t.Fatalf("token %q: %s", tc.token, rec.Body.String())
		}
	}

	cases := []struct {
		name    string
		path    string
		body    string
		admin   bool
		code    int
		allowed bool
		reason  string
	}{
		{"self, denied", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"list","resource":"pods","namespace":"x"}}}`,
			false, 201, false, "Everything is forbidden."},
		{"self, masters allowed", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"nonResourceAttributes":{"verb":"get","path":"/healthz"}}}`,
			true, 201, true, ""},
		{"self, no attributes", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{}}`,
			false, 422, false, ""},
		{"other user", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob","groups":["system:masters"],"resourceAttributes":{"verb":"delete","resource":"nodes"}}}`,
			false, 201, true, ""},
		{"other user missing", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"verb":"delete","resource":"nodes"}}}`,
			false, 422, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(tc.path, tc.body, tc.admin)
			if rec.Code != tc.code {
				t.Fatalf("code %d: %s", rec.Code, rec.Body.String())
			}
			if tc.code != 201 {
				return
			}
			var out struct {
				Status authorizationv1.SubjectAccessReviewStatus `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if out.Status.Allowed != tc.allowed || out.Status.Reason != tc.reason {
				t.Fatalf("status %+v", out.Status)
			}
		})
	}

	req := httptest.NewRequest("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 405 {
		t.Fatalf("list of reviews: %d %s", rec.Code, rec.Body.String())
	}
}
