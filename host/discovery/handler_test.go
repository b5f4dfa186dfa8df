package discovery

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
)

var verbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func sampleRegistry() *registry.Registry {
	reg := registry.New()
	for _, r := range []*registry.Resource{
		{Version: "v1", Kind: "Pod", Plural: "pods", Singular: "pod", ShortNames: []string{"po"}, Categories: []string{"all"},
			Namespaced: true, Subresources: []string{"status", "binding"}, Verbs: verbs,
			New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} }},
		{Version: "v1", Kind: "Namespace", Plural: "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
			Subresources: []string{"status", "finalize"}, Verbs: verbs[:7],
			New: func() runtime.Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} }},
		{Group: "apps", Version: "v1", Kind: "Deployment", Plural: "deployments", Singular: "deployment", ShortNames: []string{"deploy"},
			Namespaced: true, Subresources: []string{"status", "scale"}, Verbs: verbs,
			New: func() runtime.Object { return &appsv1.Deployment{} }, NewList: func() runtime.Object { return &appsv1.DeploymentList{} }},
	} {
		reg.Add(&registry.Entry{Resource: r})
	}
	return reg
}

// route is the part of the router that sends discovery paths to the handler.
func route(h *Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch {
		case len(parts) == 1 && parts[0] == "api":
			h.ServeAPI(w, r)
		case len(parts) == 1 && parts[0] == "apis":
			h.ServeAPIs(w, r)
		case len(parts) == 2 && parts[0] == "api":
			h.ServeGroupVersion(w, r, "", parts[1])
		case len(parts) == 2 && parts[0] == "apis":
			h.ServeGroup(w, r)
		case len(parts) == 3 && parts[0] == "apis":
			h.ServeGroupVersion(w, r, parts[1], parts[2])
		default:
			http.NotFound(w, r)
		}
	})
}

func newServer(t *testing.T, reg *registry.Registry) *httptest.Server {
	t.Helper()
	h := NewHandler(reg, func(r *http.Request) string { return r.Host })
	srv := httptest.NewServer(route(h))
	t.Cleanup(srv.Close)
	return srv
}

func newDiscoveryClient(t *testing.T, srv *httptest.Server, legacy bool) *discovery.DiscoveryClient {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	dc.UseLegacyDiscovery = legacy
	return dc
}

func TestClientGoDiscovery(t *testing.T) {
	srv := newServer(t, sampleRegistry())
	for _, legacy := range []bool{false, true} {
		name := "aggregated"
		if legacy {
			name = "legacy"
		}
		t.Run(name, func(t *testing.T) {
			dc := newDiscoveryClient(t, srv, legacy)
			groups, lists, err := dc.ServerGroupsAndResources()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range groups {
				names = append(names, g.PreferredVersion.GroupVersion)
			}
			if want := []string{"v1", "apps/v1"}; !reflect.DeepEqual(names, want) {
				t.Errorf("groups %v, want %v", names, want)
			}
			got := map[string]metav1.APIResource{}
			for _, l := range lists {
				for _, r := range l.APIResources {
					got[l.GroupVersion+" "+r.Name] = r
				}
			}
			scale := got["apps/v1 deployments/scale"]
			if scale.Kind != "Scale" || scale.Group != "autoscaling" || scale.Version != "v1" || !reflect.DeepEqual([]string(scale.Verbs), []string{"get", "patch", "update"}) {
				t.Errorf("deployments/scale = %+v", scale)
			}
			pods := got["v1 pods"]
			if pods.Kind != "Pod" || !pods.Namespaced || !reflect.DeepEqual(pods.ShortNames, []string{"po"}) || len(pods.Verbs) != 8 {
				t.Errorf("pods = %+v", pods)
			}
			if b := got["v1 pods/binding"]; b.Kind != "Binding" || !reflect.DeepEqual([]string(b.Verbs), []string{"create"}) {
				t.Errorf("pods/binding = %+v", b)
			}
			if f := got["v1 namespaces/finalize"]; f.Kind != "Namespace" || !reflect.DeepEqual([]string(f.Verbs), []string{"update"}) {
				t.Errorf("namespaces/finalize = %+v", f)
			}
		})
	}
}

func TestDeferredRESTMapper(t *testing.T) {
	reg := sampleRegistry()
	srv := newServer(t, reg)
	cached := memory.NewMemCacheClient(newDiscoveryClient(t, srv, false))
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)

	m, err := mapper.RESTMapping(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource != (schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}) || m.Scope.Name() != "namespace" {
		t.Errorf("Deployment mapping = %+v", m)
	}
	expander := restmapper.NewShortcutExpander(mapper, cached, nil)
	gvr, err := expander.ResourceFor(schema.GroupVersionResource{Resource: "deploy"})
	if err != nil || gvr.Resource != "deployments" {
		t.Errorf("ResourceFor(deploy) = %v, %v", gvr, err)
	}
	if m, err := mapper.RESTMapping(schema.GroupKind{Kind: "Namespace"}); err != nil || m.Scope.Name() != "root" {
		t.Errorf("Namespace mapping = %+v, %v", m, err)
	}

	// A resource added at runtime is found once the client's cache is reset, as kubectl does
	// after a miss.
	reg.Add(&registry.Entry{Resource: &registry.Resource{Group: "example.com", Version: "v1", Kind: "Widget",
		Plural: "widgets", Singular: "widget", Namespaced: true, Verbs: verbs}})
	if _, err := mapper.RESTMapping(schema.GroupKind{Group: "example.com", Kind: "Widget"}); err == nil {
		t.Fatal("Widget mapped before the cache was reset; the test would prove nothing")
	}
	mapper.Reset()
	m, err = mapper.RESTMapping(schema.GroupKind{Group: "example.com", Kind: "Widget"})
	if err != nil || m.Resource.Resource != "widgets" {
		t.Errorf("Widget mapping after reset = %+v, %v", m, err)
	}
}

func get(t *testing.T, url, accept string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestContentNegotiation(t *testing.T) {
	srv := newServer(t, sampleRegistry())
	const kubectl132 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
	tests := []struct {
		path, accept    string
		wantCode        int
		wantContentType string
		wantKind        string
		wantAPIVersion  string
	}{
		{"/apis", kubectl132, 200, contentTypeAggregatedV2, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"},
		{"/api", kubectl132, 200, contentTypeAggregatedV2, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"},
		{"/apis", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", 200, contentTypeAggregatedV2Beta1, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2beta1"},
		{"/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer,application/json", 200, contentTypeAggregatedV2, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"},
		{"/apis", "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", 200, "application/json", "APIGroupList", "v1"},
		{"/apis", "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", 200, contentTypeAggregatedV2, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"},
		{"/apis", "application/json;q=0.9,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", 200, contentTypeAggregatedV2, "APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"},
		{"/apis", "application/json", 200, "application/json", "APIGroupList", "v1"},
		{"/apis", "", 200, "application/json", "APIGroupList", "v1"},
		{"/apis", "application/vnd.kubernetes.protobuf", 200, "application/json", "APIGroupList", "v1"},
		{"/api", "application/json, */*", 200, "application/json", "APIVersions", ""},
		{"/apis/apps", "application/json", 200, "application/json", "APIGroup", "v1"},
		{"/apis/apps/v1", "application/json, */*", 200, "application/json", "APIResourceList", "v1"},
		{"/api/v1", kubectl132, 200, "application/json", "APIResourceList", "v1"},
		{"/apis", "text/html", 406, "application/json", "Status", "v1"},
		{"/apis/nope", "application/json", 404, "application/json", "Status", "v1"},
		{"/apis/apps/v2", "application/json", 404, "application/json", "Status", "v1"},
		{"/api/v2", "application/json", 404, "application/json", "Status", "v1"},
	}
	for _, tt := range tests {
		resp := get(t, srv.URL+tt.path, tt.accept)
		data, _ := io.ReadAll(resp.Body)
		var typ metav1.TypeMeta
		if err := json.Unmarshal(data, &typ); err != nil {
			t.Errorf("GET %s Accept %q: %v\n%s", tt.path, tt.accept, err, data)
			continue
		}
		if resp.StatusCode != tt.wantCode || resp.Header.Get("Content-Type") != tt.wantContentType ||
			typ.Kind != tt.wantKind || typ.APIVersion != tt.wantAPIVersion {
			t.Errorf("GET %s Accept %q = %d %q %s/%s, want %d %q %s/%s", tt.path, tt.accept,
				resp.StatusCode, resp.Header.Get("Content-Type"), typ.APIVersion, typ.Kind,
				tt.wantCode, tt.wantContentType, tt.wantAPIVersion, tt.wantKind)
		}
		if tt.wantCode == 200 && resp.Header.Get("Vary") != "Accept" {
			t.Errorf("GET %s: Vary %q", tt.path, resp.Header.Get("Vary"))
		}
	}
}

func TestNotFoundStatus(t *testing.T) {
	srv := newServer(t, sampleRegistry())
	resp := get(t, srv.URL+"/apis/nope", "")
	data, _ := io.ReadAll(resp.Body)
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`
	if strings.TrimSpace(string(data)) != want {
		t.Errorf("404 body\n got %s\nwant %s", data, want)
	}
}

func TestAPIVersionsAddress(t *testing.T) {
	srv := newServer(t, sampleRegistry())
	resp := get(t, srv.URL+"/api", "application/json")
	var v metav1.APIVersions
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: host}}
	if !reflect.DeepEqual(v.Versions, []string{"v1"}) || !reflect.DeepEqual(v.ServerAddressByClientCIDRs, want) {
		t.Errorf("/api = %+v", v)
	}
}

func TestETagFollowsRegistry(t *testing.T) {
	reg := sampleRegistry()
	srv := newServer(t, reg)
	const accept = contentTypeAggregatedV2 + ",application/json"

	first := get(t, srv.URL+"/apis", accept)
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || len(etag) < 3 || etag[0] != '"' || first.Header.Get("Cache-Control") != "public" {
		t.Fatalf("first GET: %d ETag %q Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	if again := get(t, srv.URL+"/apis", accept, "If-None-Match", etag); again.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match of the current ETag: %d, want 304", again.StatusCode)
	}

	reg.Add(&registry.Entry{Resource: &registry.Resource{Group: "example.com", Version: "v1", Kind: "Widget",
		Plural: "widgets", Singular: "widget", Verbs: verbs}})
	changed := get(t, srv.URL+"/apis", accept, "If-None-Match", etag)
	if changed.StatusCode != 200 || changed.Header.Get("ETag") == etag {
		t.Errorf("after a change: %d ETag %q (was %q), want 200 and a new ETag", changed.StatusCode, changed.Header.Get("ETag"), etag)
	}
	data, _ := io.ReadAll(changed.Body)
	if !strings.Contains(string(data), `"widgets"`) {
		t.Errorf("aggregated /apis lacks the new resource: %s", data)
	}
	if resp := get(t, srv.URL+"/apis/example.com/v1", "application/json"); resp.StatusCode != 200 {
		t.Errorf("GET /apis/example.com/v1 after Add: %d", resp.StatusCode)
	}

	reg.Remove(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"})
	if resp := get(t, srv.URL+"/apis/example.com", "application/json"); resp.StatusCode != 404 {
		t.Errorf("GET /apis/example.com after Remove: %d, want 404", resp.StatusCode)
	}
}

// TestConcurrentChanges hammers the handler with requests while the registry changes; run with
// -race. Every response must be a whole, valid document.
func TestConcurrentChanges(t *testing.T) {
	reg := sampleRegistry()
	h := NewHandler(reg, func(*http.Request) string { return "127.0.0.1:6443" })
	widgets := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			for j := 0; j < 200; j++ {
				if i == 0 {
					if j%2 == 0 {
						reg.Add(&registry.Entry{Resource: &registry.Resource{Group: widgets.Group, Version: widgets.Version,
							Kind: "Widget", Plural: widgets.Resource, Verbs: verbs}})
					} else {
						reg.Remove(widgets)
					}
					continue
				}
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/apis", nil)
				req.Header.Set("Accept", contentTypeAggregatedV2)
				h.ServeAPIs(rec, req)
				var v map[string]interface{}
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
					t.Errorf("GET /apis: %d %s", rec.Code, rec.Body.String())
					return
				}
			}
		}(i)
	}
	close(start)
	wg.Wait()

	// After the last change (a Remove), the handler must not serve the stale snapshot.
	rec := httptest.NewRecorder()
	h.ServeAPIs(rec, httptest.NewRequest(http.MethodGet, "/apis", nil))
	if strings.Contains(rec.Body.String(), "example.com") {
		t.Errorf("stale /apis after the last Remove: %s", rec.Body.String())
	}
}

// TestBuiltinResources serves the built-in descriptors and checks kubectl's view of a few.
func TestBuiltinResources(t *testing.T) {
	reg := registry.New()
	for _, r := range builtin.Resources() {
		reg.Add(&registry.Entry{Resource: r})
	}
	srv := newServer(t, reg)
	_, lists, err := newDiscoveryClient(t, srv, false).ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			found[l.GroupVersion+" "+r.Name+" "+r.Kind] = true
		}
	}
	for _, want := range []string{"v1 pods Pod", "apps/v1 deployments Deployment", "v1 namespaces Namespace",
		"rbac.authorization.k8s.io/v1 clusterroles ClusterRole", "batch/v1 cronjobs CronJob"} {
		if !found[want] {
			t.Errorf("discovery lacks %q", want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "application/json", contentTypeAggregatedV2 + ",application/json", "*/*;q=0.5", "a/b;q=x,;;,=", "application/json;g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if got := negotiate(accept); got < formNone || got > formAggregatedV2Beta1 {
			t.Fatalf("negotiate(%q) = %d", accept, got)
		}
	})
}
