package filters

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/host/request"
)

func TestNewRequestInfo(t *testing.T) {
	type want struct {
		resource                                         bool
		verb, prefix, group, version, ns, res, sub, name string
		parts                                            []string
	}
	cases := []struct {
		method, url string
		want        want
	}{
		// Cases kube-apiserver's own RequestInfoFactory tests pin.
		{"GET", "/api/v1/namespaces", want{true, "list", "api", "", "v1", "", "namespaces", "", "", []string{"namespaces"}}},
		{"GET", "/api/v1/namespaces/other", want{true, "get", "api", "", "v1", "other", "namespaces", "", "other", []string{"namespaces", "other"}}},
		{"GET", "/api/v1/namespaces/other/pods", want{true, "list", "api", "", "v1", "other", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/namespaces/other/pods/foo", want{true, "get", "api", "", "v1", "other", "pods", "", "foo", []string{"pods", "foo"}}},
		{"HEAD", "/api/v1/namespaces/other/pods/foo", want{true, "get", "api", "", "v1", "other", "pods", "", "foo", []string{"pods", "foo"}}},
		{"GET", "/api/v1/pods", want{true, "list", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/namespaces/other/pods/foo/status", want{true, "get", "api", "", "v1", "other", "pods", "status", "foo", []string{"pods", "foo", "status"}}},
		{"PUT", "/api/v1/namespaces/other/pods/foo/status", want{true, "update", "api", "", "v1", "other", "pods", "status", "foo", []string{"pods", "foo", "status"}}},
		{"GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", want{true, "get", "api", "", "v1", "other", "pods", "proxy", "foo", []string{"pods", "foo", "proxy", "subpath"}}},
		{"PUT", "/api/v1/namespaces/other/finalize", want{true, "update", "api", "", "v1", "other", "namespaces", "finalize", "other", []string{"namespaces", "other", "finalize"}}},
		{"PUT", "/api/v1/namespaces/other/status", want{true, "update", "api", "", "v1", "other", "namespaces", "status", "other", []string{"namespaces", "other", "status"}}},
		{"GET", "/api/v1/watch/pods", want{true, "watch", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/pods?watch=true", want{true, "watch", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/pods?watch=1", want{true, "watch", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/pods?watch=false", want{true, "list", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/pods?watch=0", want{true, "list", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/pods?watch=true&limit=abc", want{true, "watch", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/watch/namespaces/other/pods", want{true, "watch", "api", "", "v1", "other", "pods", "", "", []string{"pods"}}},
		{"GET", "/api/v1/watch/namespaces/other/pods/foo", want{true, "watch", "api", "", "v1", "other", "pods", "", "foo", []string{"pods", "foo"}}},
		{"GET", "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3Dfoo", want{true, "list", "api", "", "v1", "other", "pods", "", "foo", []string{"pods"}}},
		{"GET", "/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3DBad%2FName", want{true, "list", "api", "", "v1", "other", "pods", "", "", []string{"pods"}}},
		{"POST", "/api/v1/namespaces/other/pods", want{true, "create", "api", "", "v1", "other", "pods", "", "", []string{"pods"}}},
		{"PATCH", "/api/v1/namespaces/other/pods/foo", want{true, "patch", "api", "", "v1", "other", "pods", "", "foo", []string{"pods", "foo"}}},
		{"DELETE", "/api/v1/namespaces/other/pods/foo", want{true, "delete", "api", "", "v1", "other", "pods", "", "foo", []string{"pods", "foo"}}},
		{"DELETE", "/api/v1/namespaces/other/pods", want{true, "deletecollection", "api", "", "v1", "other", "pods", "", "", []string{"pods"}}},
		{"GET", "/apis/apps/v1/namespaces/ns/deployments/web/scale", want{true, "get", "apis", "apps", "v1", "ns", "deployments", "scale", "web", []string{"deployments", "web", "scale"}}},
		{"GET", "/apis/apps/v1/watch/deployments", want{true, "watch", "apis", "apps", "v1", "", "deployments", "", "", []string{"deployments"}}},
		{"GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", want{true, "get", "apis", "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", "admin", []string{"clusterroles", "admin"}}},
		{"OPTIONS", "/api/v1/pods", want{true, "", "api", "", "v1", "", "pods", "", "", []string{"pods"}}},
		// Non-resource paths keep the lower-cased method as verb.
		{"GET", "/api", want{false, "get", "", "", "", "", "", "", "", nil}},
		{"GET", "/api/v1", want{false, "get", "", "", "", "", "", "", "", nil}},
		{"GET", "/apis", want{false, "get", "", "", "", "", "", "", "", nil}},
		{"GET", "/apis/apps", want{false, "get", "", "", "", "", "", "", "", nil}},
		{"GET", "/apis/apps/v1", want{false, "get", "apis", "", "", "", "", "", "", nil}},
		{"GET", "/healthz/etcd", want{false, "get", "", "", "", "", "", "", "", nil}},
		{"POST", "/some/other/path", want{false, "post", "", "", "", "", "", "", "", nil}},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			info, err := NewRequestInfo(httptest.NewRequest(tc.method, tc.url, nil))
			if err != nil {
				t.Fatal(err)
			}
			got := want{info.IsResourceRequest, info.Verb, info.APIPrefix, info.APIGroup, info.APIVersion,
				info.Namespace, info.Resource, info.Subresource, info.Name, info.Parts}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if info.Path != strings.SplitN(tc.url, "?", 2)[0] {
				t.Errorf("path %q", info.Path)
			}
		})
	}
}

func TestNewRequestInfoErrors(t *testing.T) {
	for _, url := range []string{"/api/v1/watch", "/apis/apps/v1/proxy"} {
		if _, err := NewRequestInfo(httptest.NewRequest("GET", url, nil)); err == nil {
			t.Errorf("%s: no error", url)
		}
	}
}

func TestWithRequestInfo(t *testing.T) {
	var got *request.Info
	h := WithRequestInfo(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = request.InfoFrom(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/namespaces/a/configmaps/b", nil))
	if got == nil || got.Resource != "configmaps" || got.Name != "b" || got.Namespace != "a" {
		t.Fatalf("info in context: %+v", got)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/watch", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("unparseable path: code %d", rec.Code)
	}
}

func FuzzNewRequestInfo(f *testing.F) {
	for _, s := range []string{"/api/v1/namespaces/a/pods/b/status", "/apis/apps/v1/watch/deployments", "/api/v1/pods?watch=1",
		"/apis/g/v/namespaces", "//api//v1//x", "/api/v1/namespaces/a/pods?fieldSelector=metadata.name=b", "/healthz"} {
		f.Add("GET", s)
		f.Add("DELETE", s)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		r, err := http.NewRequest("GET", "http://x"+target, nil)
		if err != nil || r.URL.Host != "x" {
			return
		}
		r.Method = method
		info, err := NewRequestInfo(r)
		if err != nil {
			if info == nil || !info.IsResourceRequest {
				t.Fatalf("error without a resource request: %v", err)
			}
			return
		}
		if info.Path != r.URL.Path {
			t.Fatalf("path %q, want %q", info.Path, r.URL.Path)
		}
		if !info.IsResourceRequest {
			if info.Resource != "" || info.Name != "" || info.Verb != strings.ToLower(method) {
				t.Fatalf("non-resource request with resource facts: %+v", info)
			}
			return
		}
		// Empty segments (//) stay empty, as in kube: only the shape is an invariant.
		if len(info.Parts) == 0 || info.Parts[0] != info.Resource {
			t.Fatalf("resource request whose parts do not start at the resource: %+v", info)
		}
		if len(info.Parts) > 1 && info.Name != info.Parts[1] && info.Verb != "list" && info.Verb != "watch" {
			t.Fatalf("name is not the second part: %+v", info)
		}
		if info.Verb == "get" && info.Name == "" || info.Verb == "delete" && info.Name == "" {
			t.Fatalf("collection verb not refined: %+v", info)
		}
	})
}
