package openapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	clientopenapi "k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"
	"k8s.io/kube-openapi/pkg/util/proto"

	"github.com/kapi-dev/kapi/registry"
)

var verbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func sampleRegistry() *registry.Registry {
	reg := registry.New()
	for _, r := range []*registry.Resource{
		{Version: "v1", Kind: "Pod", Plural: "pods", Singular: "pod", Namespaced: true, Subresources: []string{"status"}, Verbs: verbs,
			New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} }},
		{Version: "v1", Kind: "ConfigMap", Plural: "configmaps", Singular: "configmap", Namespaced: true, Verbs: verbs,
			New: func() runtime.Object { return &corev1.ConfigMap{} }, NewList: func() runtime.Object { return &corev1.ConfigMapList{} }},
		{Group: "apps", Version: "v1", Kind: "Deployment", Plural: "deployments", Singular: "deployment", Namespaced: true,
			Subresources: []string{"status", "scale"}, Verbs: verbs,
			New: func() runtime.Object { return &appsv1.Deployment{} }, NewList: func() runtime.Object { return &appsv1.DeploymentList{} }},
	} {
		reg.Add(&registry.Entry{Resource: r})
	}
	return reg
}

// route is the router's part: /openapi/v2, /openapi/v3 and /openapi/v3/PATH.
func route(h *Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/openapi/v2":
			h.ServeV2(w, r)
		case p == "/openapi/v3":
			h.ServeV3Index(w, r)
		case strings.HasPrefix(p, "/openapi/v3/"):
			h.ServeV3(w, r, strings.TrimPrefix(p, "/openapi/v3/"))
		default:
			http.NotFound(w, r)
		}
	})
}

func newServer(t *testing.T, reg *registry.Registry) (*httptest.Server, *discovery.DiscoveryClient) {
	t.Helper()
	srv := httptest.NewServer(route(NewHandler(reg)))
	t.Cleanup(srv.Close)
	dc, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, dc
}

// TestClientGoV2 reads /openapi/v2 as kubectl does (protobuf) and resolves the schemas
// kubectl needs.
func TestClientGoV2(t *testing.T) {
	_, dc := newServer(t, sampleRegistry())
	doc, err := dc.OpenAPISchema()
	if err != nil {
		t.Fatal(err)
	}
	models, err := proto.NewOpenAPIData(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.ConfigMap"} {
		if _, ok := models.LookupModel(name).(*proto.Kind); !ok {
			t.Errorf("%s does not resolve to a kind", name)
		}
	}
	pod := models.LookupModel("io.k8s.api.core.v1.Pod").(*proto.Kind)
	spec := pod.Fields["spec"].(proto.Reference).SubSchema().(*proto.Kind)
	if ext := spec.Fields["containers"].GetExtensions(); ext["x-kubernetes-patch-strategy"] != "merge" || ext["x-kubernetes-patch-merge-key"] != "name" {
		t.Errorf("spec.containers extensions = %v", ext)
	}
}

// TestClientGoV3 reads /openapi/v3 through client-go's openapi3 root, as kubectl explain does.
func TestClientGoV3(t *testing.T) {
	_, dc := newServer(t, sampleRegistry())
	root := openapi3.NewRoot(dc.OpenAPIV3())
	gvs, err := root.GroupVersions()
	if err != nil {
		t.Fatal(err)
	}
	if len(gvs) != 2 {
		t.Errorf("GroupVersions() = %v", gvs)
	}
	doc, err := root.GVSpec(schema.GroupVersion{Group: "apps", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	dep := doc.Components.Schemas["io.k8s.api.apps.v1.Deployment"]
	if dep == nil {
		t.Fatal("no Deployment schema")
	}
	spec := doc.Components.Schemas["io.k8s.api.apps.v1.DeploymentSpec"]
	if spec == nil || !spec.Properties["replicas"].Type.Contains("integer") {
		t.Errorf("DeploymentSpec.replicas is not an integer: %+v", spec)
	}
	if _, err := root.GVSpec(schema.GroupVersion{Group: "nope", Version: "v1"}); err == nil {
		t.Error("GVSpec(nope/v1) found a document")
	}

	// client-go's type converter (server-side apply's view of the schemas) reads them too.
	if _, err := clientopenapi.NewTypeConverter(dc.OpenAPIV3(), false); err != nil {
		t.Errorf("NewTypeConverter: %v", err)
	}
}

func do(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed, no transparent gzip
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestV3Hashes(t *testing.T) {
	reg := sampleRegistry()
	srv, _ := newServer(t, reg)
	index := func() map[string]string {
		_, body := do(t, "GET", srv.URL+"/openapi/v3")
		var idx struct {
			Paths map[string]struct {
				ServerRelativeURL string `json:"serverRelativeURL"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(body, &idx); err != nil {
			t.Fatalf("index: %v\n%s", err, body)
		}
		out := map[string]string{}
		for k, v := range idx.Paths {
			out[k] = v.ServerRelativeURL
		}
		return out
	}
	before := index()
	url := before["apis/apps/v1"]
	if !strings.HasPrefix(url, "/openapi/v3/apis/apps/v1?hash=") {
		t.Fatalf("apis/apps/v1 URL %q", url)
	}
	resp, _ := do(t, "GET", srv.URL+url, "Accept", "application/json")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, immutable" || resp.Header.Get("Expires") == "" {
		t.Errorf("GET by hash: %d Cache-Control %q Expires %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Expires"))
	}
	if resp, _ := do(t, "GET", srv.URL+url, "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match: %d, want 304", resp.StatusCode)
	}

	// A change to apps/v1 changes its hash (the old one redirects to the new) but not api/v1's.
	reg.Add(&registry.Entry{Resource: &registry.Resource{Group: "apps", Version: "v1", Kind: "ReplicaSet", Plural: "replicasets",
		Namespaced: true, Verbs: verbs, New: func() runtime.Object { return &appsv1.ReplicaSet{} },
		NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} }}})
	after := index()
	if after["apis/apps/v1"] == url {
		t.Error("apis/apps/v1 hash unchanged after adding a resource to apps/v1")
	}
	if after["api/v1"] != before["api/v1"] {
		t.Error("api/v1 hash changed though api/v1 did not")
	}
	resp, _ = do(t, "GET", srv.URL+url)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != after["apis/apps/v1"] {
		t.Errorf("stale hash: %d Location %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), after["apis/apps/v1"])
	}
	_, body := do(t, "GET", srv.URL+after["apis/apps/v1"])
	if !bytes.Contains(body, []byte("io.k8s.api.apps.v1.ReplicaSet")) {
		t.Error("new apps/v1 document lacks ReplicaSet")
	}
}

func TestNegotiationAndErrors(t *testing.T) {
	srv, _ := newServer(t, sampleRegistry())
	tests := []struct {
		path, accept    string
		wantCode        int
		wantContentType string
	}{
		{"/openapi/v2", "", 200, "application/json"},
		{"/openapi/v2", "application/json", 200, "application/json"},
		{"/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"},
		{"/openapi/v2", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json;q=0.5", 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"},
		{"/openapi/v2", "text/html", 406, "application/json"},
		{"/openapi/v3/api/v1", "application/json", 200, "application/json"},
		{"/openapi/v3/api/v1", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf", 200, "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"},
		{"/openapi/v3/apis/nope/v1", "application/json", 404, "application/json"},
		{"/openapi/v3/api/v1", "text/plain", 406, "application/json"},
	}
	for _, tt := range tests {
		resp, _ := do(t, "GET", srv.URL+tt.path, "Accept", tt.accept)
		if resp.StatusCode != tt.wantCode || resp.Header.Get("Content-Type") != tt.wantContentType {
			t.Errorf("GET %s Accept %q = %d %q, want %d %q", tt.path, tt.accept, resp.StatusCode,
				resp.Header.Get("Content-Type"), tt.wantCode, tt.wantContentType)
		}
	}
}

func TestV2Gzip(t *testing.T) {
	srv, _ := newServer(t, sampleRegistry())
	_, plain := do(t, "GET", srv.URL+"/openapi/v2")
	resp, zipped := do(t, "GET", srv.URL+"/openapi/v2", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || len(zipped) >= len(plain) {
		t.Fatalf("Content-Encoding %q, %d bytes zipped vs %d plain", resp.Header.Get("Content-Encoding"), len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain) {
		t.Error("gzipped document differs from the plain one")
	}
}
