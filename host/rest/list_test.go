package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/filters"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
	"github.com/kapi-dev/kapi/storage/watchcache"
)

// widgets is a custom resource as a CRD would add it: unstructured objects, no strategy.
func widgets() *registry.Resource {
	return &registry.Resource{
		Group: "example.com", Version: "v1", Kind: "Widget", Plural: "widgets", Singular: "widget",
		Namespaced: true, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"},
		New: func() runtime.Object {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("example.com/v1")
			u.SetKind("Widget")
			return u
		},
		NewList: func() runtime.Object {
			u := &unstructured.UnstructuredList{}
			u.SetAPIVersion("example.com/v1")
			u.SetKind("WidgetList")
			return u
		},
	}
}

// newCachedEnv is newEnv with every resource behind a watch cache, as the server runs them, and
// the widgets custom resource besides the built-ins.
func newCachedEnv(t testing.TB) *env {
	t.Helper()
	prefix := fmt.Sprintf("/rest-test-%d", prefixCounter.Add(1))
	reg := registry.New()
	deps := generic.Deps{Namespace: generic.NamespaceGetter(reg)}
	resources := append(builtin.Resources(), widgets())
	err := generic.Install(reg, resources, deps, func(res *registry.Resource) (storage.Interface, error) {
		// Progress requests move a cache to the newest revision when its resource has not changed.
		progress := func(ctx context.Context) error {
			return errors.Join(etcdClient.RequestProgress(clientv3.WithRequireLeader(ctx)), etcdClient.RequestProgress(ctx))
		}
		c, err := watchcache.New(etcd3.New(etcdClient, prefix, generic.Codec(res)), generic.KeyPrefix(res), generic.Codec(res),
			watchcache.Options{RequestProgress: progress})
		if err != nil {
			return nil, err
		}
		t.Cleanup(c.Stop)
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{reg: reg, handler: filters.WithRequestInfo(NewHandler(reg, nil, Options{}))}
	e.mustDo(t, "POST", "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}`, http.StatusCreated)
	return e
}

// TestListFromEventsMatchesPlainEncoding: a list written around the watch cache's shared item
// encodings has the bytes of the same list encoded whole, in JSON and in protobuf, for typed
// resources (namespaced and cluster-scoped, with and without items) and custom resources.
func TestListFromEventsMatchesPlainEncoding(t *testing.T) {
	e := newCachedEnv(t)
	for i := range 3 {
		e.createConfigMap(t, "cm-"+strconv.Itoa(i))
	}
	e.mustDo(t, "POST", "/api/v1/namespaces/ns/secrets",
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","annotations":{"html":"<b>&</b>"}},"data":{"k":"AAEC"},"type":"Opaque"}`, http.StatusCreated)
	e.mustDo(t, "POST", "/api/v1/namespaces/ns/services",
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"ports":[{"port":80,"targetPort":"http"}]}}`, http.StatusCreated)
	widgetStore := e.reg.Get(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}).Store
	for _, name := range []string{"w1", "w2"} {
		w := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "example.com/v1", "kind": "Widget",
			"metadata": map[string]interface{}{"name": name, "labels": map[string]interface{}{"a": "b"}},
			"spec":     map[string]interface{}{"size": int64(3), "note": "<&>"},
		}}
		if _, err := widgetStore.Create(context.Background(), "ns", w, registry.Admission{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The newest revision, so that every list below is served from the cache once it has caught up.
	rv := e.listOf(t, "/api/v1/namespaces/ns/configmaps").ResourceVersion

	cases := []struct {
		gvr schema.GroupVersionResource
		ns  string
	}{
		{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "ns"},
		{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "ns"},
		{schema.GroupVersionResource{Version: "v1", Resource: "services"}, ""},
		{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, ""},
		{schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "ns"},
		{schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}, "ns"},
		{schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}, ""},
	}
	for _, tc := range cases {
		entry := e.reg.Get(tc.gvr)
		_, custom := entry.Resource.New().(runtime.Unstructured)
		for _, out := range []output{
			{mediaType: mediaJSON},
			{mediaType: mediaProtobuf},
			{mediaType: mediaJSON, as: asPartial, metaVersion: "v1"},
			{mediaType: mediaJSON, as: asPartial, metaVersion: "v1beta1"},
			{mediaType: mediaProtobuf, as: asPartial, metaVersion: "v1"},
		} {
			mediaType := out.mediaType
			if custom && mediaType == mediaProtobuf && out.as == asNone {
				continue
			}
			t.Run(tc.gvr.Resource+"/"+tc.ns+"/"+out.key(), func(t *testing.T) {
				opts := &metav1.ListOptions{ResourceVersion: rv}
				list, events, err := entry.Store.(eventLister).ListWithEvents(context.Background(), tc.ns, opts)
				if err != nil {
					t.Fatal(err)
				}
				if events == nil {
					t.Fatal("the list was not served from the watch cache's events")
				}
				var first, second bytes.Buffer
				if err := encodeListFromEvents(&first, out, entry.Resource.GroupVersionKind(), list, events); err != nil {
					t.Fatal(err)
				}
				// Twice: the second time from the events' cached encodings.
				if err := encodeListFromEvents(&second, out, entry.Resource.GroupVersionKind(), list, events); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
					t.Fatalf("second encoding differs (%v):\n%q\n%q", err, second.Bytes(), first.Bytes())
				}
				fromEvents := first.Bytes()
				plainList, err := entry.Store.List(context.Background(), tc.ns, opts)
				if err != nil {
					t.Fatal(err)
				}
				s := &scope{out: out, kind: entry.Resource.GroupVersionKind()}
				plainList, err = s.transform(plainList)
				if err != nil {
					t.Fatal(err)
				}
				plain, err := encodeAs(mediaType, plainList, kindOf(plainList, s.kind), false, false)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(fromEvents, plain) {
					t.Errorf("encoded from events:\n%q\nencoded whole:\n%q", fromEvents, plain)
				}
			})
		}
	}

	// Through the handler: the same bytes, and the items as client decoders read them.
	resp := e.do(t, req{method: "GET", path: "/api/v1/namespaces/ns/configmaps?resourceVersion=" + rv,
		headers: []string{"Accept: application/vnd.kubernetes.protobuf, application/json"}})
	if resp.code != http.StatusOK || resp.header.Get("Content-Type") != mediaProtobuf {
		t.Fatalf("HTTP %d %q: %q", resp.code, resp.header.Get("Content-Type"), resp.body)
	}
	var pl corev1.ConfigMapList
	resp.into(t, &pl)
	if len(pl.Items) != 3 || pl.Items[2].Name != "cm-2" || pl.Items[2].Data["k"] != "v" || pl.Kind != "ConfigMapList" {
		t.Errorf("protobuf list %+v", pl)
	}
	l := e.listOf(t, "/api/v1/namespaces/ns/configmaps?resourceVersion="+rv)
	if len(l.Items) != 3 || l.Items[2].Name != "cm-2" || l.Items[2].Kind != "" || l.Kind != "ConfigMapList" {
		t.Errorf("JSON list %+v", l)
	}
}

// listOf lists configmaps in JSON.
func (e *env) listOf(t testing.TB, path string) *corev1.ConfigMapList {
	t.Helper()
	resp := e.mustDo(t, "GET", path, "", http.StatusOK)
	var l corev1.ConfigMapList
	resp.into(t, &l)
	return &l
}

// TestListFromEventsHammer: many lists at once, in JSON and protobuf, while the listed objects
// change; every answer decodes to the whole list (run with -race: the events' encodings and the
// pooled bodies are shared between requests).
func TestListFromEventsHammer(t *testing.T) {
	e := newCachedEnv(t)
	const objects = 20
	for i := range objects {
		e.createConfigMap(t, "cm-"+strconv.Itoa(i))
	}
	rv := e.listOf(t, cmPath).ResourceVersion
	e.listOf(t, cmPath+"?resourceVersion="+rv) // caught up

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			accept := mediaJSON
			if g%2 == 1 {
				accept = "application/vnd.kubernetes.protobuf, application/json"
			}
			for range 20 {
				resp := e.do(t, req{method: "GET", path: cmPath + "?resourceVersion=0", headers: []string{"Accept: " + accept}})
				var l corev1.ConfigMapList
				if err := resp.decode(&l); err != nil || resp.code != http.StatusOK || len(l.Items) != objects {
					errs <- fmt.Errorf("HTTP %d, %d items, %v", resp.code, len(l.Items), err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i := range 20 {
			body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%d"},"data":{"k":"v%d"}}`, i%objects, i)
			if resp := e.do(t, req{method: "PUT", path: cmPath + "/cm-" + strconv.Itoa(i%objects), body: body}); resp.code != http.StatusOK {
				errs <- fmt.Errorf("update: HTTP %d: %s", resp.code, resp.body)
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
