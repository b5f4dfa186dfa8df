package filters

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/authn"
	"github.com/kapi-dev/kapi/host/authz"
	"github.com/kapi-dev/kapi/host/metrics"
	"github.com/kapi-dev/kapi/host/request"
)

func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("body is not a Status: %v: %q", err, rec.Body.String())
	}
	return st
}

func TestPanicRecovery(t *testing.T) {
	h := WithPanicRecovery(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/pods", nil))
	if rec.Code != 500 {
		t.Fatalf("code %d", rec.Code)
	}
	st := decodeStatus(t, rec)
	if st.Reason != metav1.StatusReasonInternalError || !strings.Contains(st.Message, "This request caused apiserver to panic") {
		t.Fatalf("status %+v", st)
	}

	// ErrAbortHandler goes on up to net/http.
	abort := WithPanicRecovery(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
}

func TestPanicRecoveryKeepsServing(t *testing.T) {
	srv := httptest.NewServer(WithPanicRecovery(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = w.Write([]byte("fine"))
	})))
	defer srv.Close()
	for _, p := range []string{"/panic", "/ok", "/panic", "/ok"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		resp.Body.Close()
		want := 200
		if p == "/panic" {
			want = 500
		}
		if resp.StatusCode != want {
			t.Fatalf("%s: code %d, want %d", p, resp.StatusCode, want)
		}
	}
}

func TestRequestBookkeeping(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var gotID string
	var gotTime time.Time
	h := WithRequestBookkeeping(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID = request.AuditIDFrom(r.Context())
		gotTime, _ = request.ReceivedFrom(r.Context())
	}), func() time.Time { return when })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api", nil))
	if gotID == "" || rec.Header().Get("Audit-ID") != gotID {
		t.Fatalf("generated audit ID %q, header %q", gotID, rec.Header().Get("Audit-ID"))
	}
	if !gotTime.Equal(when) {
		t.Fatalf("received %v", gotTime)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-cache, private" {
		t.Fatalf("Cache-Control %q", got)
	}

	req := httptest.NewRequest("GET", "/api", nil)
	req.Header.Set("Audit-ID", "client-chosen")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if gotID != "client-chosen" || rec.Header().Get("Audit-ID") != "client-chosen" {
		t.Fatalf("client's audit ID not kept: ctx %q header %q", gotID, rec.Header().Get("Audit-ID"))
	}
}

// withInfo runs the RequestInfo filter in front of h, as the chain does.
func withInfo(h http.Handler) http.Handler { return WithRequestInfo(h) }

func TestMaxInFlight(t *testing.T) {
	m := metrics.New()
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	h := withInfo(WithMaxInFlightLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}), 1, 1, m))

	var wg sync.WaitGroup
	start := func(method, url string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, url, nil))
		}()
		<-entered
	}
	// One read-only and one mutating request hold their only slots; a watch is not counted.
	start("GET", "/api/v1/pods")
	start("POST", "/api/v1/namespaces/a/pods")
	start("GET", "/api/v1/pods?watch=true")

	cases := []struct {
		method, url string
		code        int
	}{
		{"GET", "/api/v1/namespaces/a/configmaps/x", 429},
		{"DELETE", "/api/v1/namespaces/a/configmaps/x", 429},
		{"GET", "/healthz", 429},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.url, nil))
		if rec.Code != tc.code {
			t.Fatalf("%s %s: code %d, want %d", tc.method, tc.url, rec.Code, tc.code)
		}
		st := decodeStatus(t, rec)
		if st.Reason != metav1.StatusReasonTooManyRequests || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("%s %s: reason %q Retry-After %q", tc.method, tc.url, st.Reason, rec.Header().Get("Retry-After"))
		}
	}
	// Another watch still gets through.
	start("GET", "/api/v1/watch/configmaps")
	close(release)
	wg.Wait()

	// With the slots free again, requests pass.
	release = make(chan struct{})
	close(release)
	rec := httptest.NewRecorder()
	go func() { <-entered }()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/pods", nil))
	if rec.Code != 200 {
		t.Fatalf("after release: code %d", rec.Code)
	}
}

func TestTimeout(t *testing.T) {
	cases := []struct {
		name string
		url  string
		code int
	}{
		{"server bound", "/api/v1/namespaces/a/configmaps/x", 504},
		{"client asks less", "/api/v1/namespaces/a/configmaps/x?timeout=1ms", 504},
		{"bad timeout", "/api/v1/namespaces/a/configmaps/x?timeout=soon", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			filterReturned := make(chan struct{})
			lateWrite := make(chan error, 1)
			slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
				// A handler that keeps writing after the filter answered must not reach the
				// client, and learns that it timed out.
				<-filterReturned
				w.Header().Set("X-Late", "yes")
				_, err := w.Write([]byte("late"))
				lateWrite <- err
			})
			h := withInfo(WithTimeout(slow, 20*time.Millisecond))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			close(filterReturned)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d", rec.Code, tc.code)
			}
			st := decodeStatus(t, rec)
			if tc.code != 504 {
				return
			}
			if st.Reason != metav1.StatusReasonTimeout || !strings.Contains(st.Message, "request did not complete within the allotted timeout") {
				t.Fatalf("status %+v", st)
			}
			if err := <-lateWrite; !errors.Is(err, http.ErrHandlerTimeout) {
				t.Fatalf("late write returned %v, want http.ErrHandlerTimeout", err)
			}
			if rec.Header().Get("X-Late") != "" || strings.Contains(rec.Body.String(), "late") {
				t.Fatalf("late write reached the client: %q", rec.Body.String())
			}
		})
	}
}

func TestTimeoutAbortsAStartedAnswer(t *testing.T) {
	h := withInfo(WithTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The handler answers at once; the bound only has to outlast one goroutine switch.
		_, _ = w.Write([]byte("partial"))
		<-r.Context().Done()
	}), time.Second))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/namespaces/a/configmaps/x", nil))
}

func TestTimeoutSkipsWatchesAndPassesFastAnswers(t *testing.T) {
	h := withInfo(WithTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Deadline(); ok {
			w.Header().Set("X-Deadline", "yes")
		}
		w.WriteHeader(201)
		_, _ = w.Write([]byte("made"))
	}), time.Minute))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/namespaces/a/configmaps", nil))
	if rec.Code != 201 || rec.Body.String() != "made" || rec.Header().Get("X-Deadline") != "yes" {
		t.Fatalf("fast answer: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/configmaps?watch=1", nil))
	if rec.Header().Get("X-Deadline") != "" {
		t.Fatal("a watch got a deadline")
	}
}

func TestTimeoutPropagatesPanics(t *testing.T) {
	h := WithPanicRecovery(withInfo(WithTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("inner")
	}), time.Minute)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/pods", nil))
	if rec.Code != 500 {
		t.Fatalf("code %d", rec.Code)
	}
}

// tokens is a test authenticator recognising fixed bearer tokens.
type tokens map[string]abi.UserInfo

func (tk tokens) Authenticate(_ context.Context, rv *abi.TokenReview) (abi.TokenReviewStatus, error) {
	if u, ok := tk[rv.Spec.Token]; ok {
		return abi.TokenReviewStatus{Authenticated: true, User: u}, nil
	}
	return abi.TokenReviewStatus{}, nil
}

type failing struct{}

func (failing) Authenticate(context.Context, *abi.TokenReview) (abi.TokenReviewStatus, error) {
	return abi.TokenReviewStatus{}, errors.New("backend down")
}

func TestAuthentication(t *testing.T) {
	known := tokens{"good": {Username: "alice", Groups: []string{"dev"}}}
	cases := []struct {
		name      string
		anonymous bool
		auths     []authn.Named
		header    string
		code      int
		user      string
		groups    []string
	}{
		{"token", true, []authn.Named{{Name: "tokens", Authenticator: known}}, "Bearer good", 200, "alice", []string{"dev", "system:authenticated"}},
		{"scheme case-insensitive", false, []authn.Named{{Name: "tokens", Authenticator: known}}, "bearer good", 200, "alice", []string{"dev", "system:authenticated"}},
		{"no credentials, anonymous", true, []authn.Named{{Name: "tokens", Authenticator: known}}, "", 200, "system:anonymous", []string{"system:unauthenticated"}},
		{"no credentials, no anonymous", false, []authn.Named{{Name: "tokens", Authenticator: known}}, "", 401, "", nil},
		{"bad token is not anonymous", true, []authn.Named{{Name: "tokens", Authenticator: known}}, "Bearer bad", 401, "", nil},
		{"error does not stop the union", true, []authn.Named{{Name: "broken", Authenticator: failing{}}, {Name: "tokens", Authenticator: known}}, "Bearer good", 200, "alice", []string{"dev", "system:authenticated"}},
		{"error is not anonymous", true, []authn.Named{{Name: "broken", Authenticator: failing{}}}, "", 401, "", nil},
		{"basic auth is no bearer", true, []authn.Named{{Name: "tokens", Authenticator: known}}, "Basic Zm9vOmJhcg==", 200, "system:anonymous", []string{"system:unauthenticated"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *abi.UserInfo
			var sawAuthz string
			h := WithAuthentication(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = request.UserFrom(r.Context())
				sawAuthz = r.Header.Get("Authorization")
			}), authn.NewUnion(tc.anonymous, tc.auths...))
			req := httptest.NewRequest("GET", "/api/v1/pods", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d", rec.Code, tc.code)
			}
			if tc.code == 401 {
				st := decodeStatus(t, rec)
				if st.Reason != metav1.StatusReasonUnauthorized || st.Message != "Unauthorized" {
					t.Fatalf("status %+v", st)
				}
				return
			}
			if got == nil || got.Username != tc.user || strings.Join(got.Groups, ",") != strings.Join(tc.groups, ",") {
				t.Fatalf("user %+v, want %s %v", got, tc.user, tc.groups)
			}
			if sawAuthz != "" {
				t.Fatal("Authorization header still there after authentication")
			}
		})
	}
}

// decide is a test authorizer answering the same for everything.
type decide abi.SubjectAccessReviewStatus

func (d decide) Authorize(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return abi.SubjectAccessReviewStatus(d), nil
}

type brokenAuthz struct{}

func (brokenAuthz) Authorize(context.Context, *abi.SubjectAccessReview) (abi.SubjectAccessReviewStatus, error) {
	return abi.SubjectAccessReviewStatus{}, errors.New("policy store down")
}

func TestAuthorization(t *testing.T) {
	alice := &abi.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}}
	admin := &abi.UserInfo{Username: "root", Groups: []string{"system:masters"}}
	noOpinion := decide{Reason: "no rule"}
	cases := []struct {
		name    string
		method  string
		url     string
		user    *abi.UserInfo
		authz   []authz.Named
		code    int
		message string
	}{
		{"allowed", "GET", "/api/v1/namespaces/y/configmaps", alice, []authz.Named{{Name: "a", Authorizer: decide{Allowed: true}}}, 200, ""},
		{"namespaced list forbidden", "GET", "/api/v1/namespaces/y/configmaps", alice, []authz.Named{{Name: "deny", Authorizer: decide{}}}, 403,
			`configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "y"`},
		{"named subresource with reasons", "PUT", "/apis/apps/v1/namespaces/y/deployments/web/scale", alice, []authz.Named{{Name: "a", Authorizer: noOpinion}, {Name: "b", Authorizer: decide{Reason: "nope"}}}, 403,
			`deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments/scale" in API group "apps" in the namespace "y": no rule` + "\nnope"},
		{"cluster scope", "POST", "/api/v1/namespaces", alice, nil, 403,
			`namespaces is forbidden: User "alice" cannot create resource "namespaces" in API group "" at the cluster scope`},
		{"non-resource", "GET", "/healthz/<x>", alice, nil, 403,
			`forbidden: User "alice" cannot get path "/healthz/&lt;x&gt;"`},
		{"deny stops the union", "GET", "/api/v1/pods", alice, []authz.Named{{Name: "d", Authorizer: decide{Denied: true, Reason: "blocked"}}, {Name: "a", Authorizer: decide{Allowed: true}}}, 403,
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope: blocked`},
		{"masters before authorizers", "DELETE", "/api/v1/namespaces/x", admin, []authz.Named{{Name: "d", Authorizer: decide{Denied: true}}}, 200, ""},
		{"error without decision is 500", "GET", "/api/v1/pods", alice, []authz.Named{{Name: "broken", Authorizer: brokenAuthz{}}}, 500, ""},
		{"error then allow is allowed", "GET", "/api/v1/pods", alice, []authz.Named{{Name: "broken", Authorizer: brokenAuthz{}}, {Name: "a", Authorizer: decide{Allowed: true}}}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := withInfo(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				WithAuthorization(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), authz.NewUnion(tc.authz...)).
					ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), tc.user)))
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.url, nil))
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.code, rec.Body.String())
			}
			if tc.code == 403 {
				st := decodeStatus(t, rec)
				if st.Reason != metav1.StatusReasonForbidden || st.Message != tc.message {
					t.Fatalf("message\n%q\nwant\n%q", st.Message, tc.message)
				}
			}
		})
	}
}

func TestMetricsFilterCountsRejections(t *testing.T) {
	m := metrics.New()
	h := WithRequestBookkeeping(withInfo(WithMetrics(
		WithAuthentication(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), authn.NewUnion(false)), m, time.Now)), time.Now)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/namespaces/a/pods", nil))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := `apiserver_request_total{code="401",component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 1`
	if !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}

func TestMetricsFilterCountsPanicsAs500(t *testing.T) {
	m := metrics.New()
	h := WithPanicRecovery(withInfo(WithMetrics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }), m, time.Now)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/pods", nil))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := `apiserver_request_total{code="500",component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 1`
	if !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}
