package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/host/health"
)

// recorder stands in for discovery, OpenAPI and REST, writing which method the router chose.
type recorder struct{}

func (recorder) ServeAPI(w http.ResponseWriter, r *http.Request)  { fmt.Fprint(w, "api") }
func (recorder) ServeAPIs(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "apis") }
func (recorder) ServeGroupNamed(w http.ResponseWriter, r *http.Request, g string) {
	fmt.Fprintf(w, "group %s", g)
}
func (recorder) ServeGroupVersion(w http.ResponseWriter, r *http.Request, g, v string) {
	fmt.Fprintf(w, "groupversion %q %s", g, v)
}
func (recorder) ServeV2(w http.ResponseWriter, r *http.Request)      { fmt.Fprint(w, "v2") }
func (recorder) ServeV3Index(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "v3 index") }
func (recorder) ServeV3(w http.ResponseWriter, r *http.Request, p string) {
	fmt.Fprintf(w, "v3 %s", p)
}

func TestRouter(t *testing.T) {
	ep := health.NewEndpoint("healthz", health.Ping)
	h := filters.WithRequestInfo(newRouter(routes{
		healthz: ep, livez: ep, readyz: ep,
		discovery: recorder{}, openapi: recorder{},
		rest: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "rest %s", r.Method) }),
	}))
	cases := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/api", 200, "api"},
		{"GET", "/api/v1", 200, `groupversion "" v1`},
		{"GET", "/api/v1/", 200, `groupversion "" v1`},
		{"GET", "/apis", 200, "apis"},
		{"GET", "/apis/apps", 200, "group apps"},
		{"GET", "/apis/apps/v1", 200, `groupversion "apps" v1`},
		{"GET", "/api/v1/namespaces/a/pods", 200, "rest GET"},
		{"POST", "/apis/apps/v1/namespaces/a/deployments", 200, "rest POST"},
		{"PATCH", "/apis/apps/v1/namespaces/a/deployments/x", 200, "rest PATCH"},
		{"DELETE", "/api/v1/namespaces/a/pods", 200, "rest DELETE"},
		{"POST", "/apis/apps", 404, "404 page not found\n"},
		{"GET", "/openapi/v2", 200, "v2"},
		{"GET", "/openapi/v3", 200, "v3 index"},
		{"GET", "/openapi/v3/apis/apps/v1", 200, "v3 apis/apps/v1"},
		{"GET", "/healthz/ping", 200, "ok"},
		{"GET", "/livez", 200, "ok"},
		{"GET", "/unknown", 404, "404 page not found\n"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code || rec.Body.String() != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.code, tc.body)
		}
	}
}

func TestRouterServesProfilingOnlyWhenAsked(t *testing.T) {
	for _, profiling := range []bool{true, false} {
		h := newRouter(routes{profiling: profiling})
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[profiling]; rec.Code != want {
				t.Errorf("profiling=%v GET %s: %d, want %d", profiling, path, rec.Code, want)
			}
		}
	}
}
