package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
)

// TestConcurrentChanges serves every document from many goroutines while the registry changes;
// run with -race. Every response must be a whole document, and after the last change none may
// come from an older snapshot.
func TestConcurrentChanges(t *testing.T) {
	reg := sampleRegistry()
	h := NewHandler(reg)
	replicasets := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	add := func() {
		reg.Add(&registry.Entry{Resource: &registry.Resource{Group: "apps", Version: "v1", Kind: "ReplicaSet", Plural: "replicasets",
			Namespaced: true, Verbs: verbs, New: func() runtime.Object { return &appsv1.ReplicaSet{} },
			NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} }}})
	}
	serve := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		switch {
		case path == "/openapi/v2":
			h.ServeV2(rec, req)
		case path == "/openapi/v3":
			h.ServeV3Index(rec, req)
		default:
			h.ServeV3(rec, req, strings.TrimPrefix(path, "/openapi/v3/"))
		}
		return rec
	}
	paths := []string{"/openapi/v2", "/openapi/v3", "/openapi/v3/apis/apps/v1", "/openapi/v3/api/v1"}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			for j := 0; j < 20; j++ {
				if i == 0 {
					if j%2 == 0 {
						add()
					} else {
						reg.Remove(replicasets)
					}
					continue
				}
				rec := serve(paths[(i+j)%len(paths)])
				var v map[string]interface{}
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
					t.Errorf("GET %s: %d (%d bytes)", paths[(i+j)%len(paths)], rec.Code, rec.Body.Len())
					return
				}
			}
		}(i)
	}
	close(start)
	wg.Wait()

	// The last change removed ReplicaSet.
	for _, path := range []string{"/openapi/v2", "/openapi/v3/apis/apps/v1"} {
		if body := serve(path).Body.String(); strings.Contains(body, "io.k8s.api.apps.v1.ReplicaSet\"") {
			t.Errorf("%s still describes ReplicaSet after it was removed", path)
		}
	}
}
