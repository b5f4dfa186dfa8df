package watchcache

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// TestListFromCacheEqualsEtcd fills etcd through the cache and compares lists served from memory
// with the same lists read from etcd: whole resource, one namespace, and a label selector.
func TestListFromCacheEqualsEtcd(t *testing.T) {
	e := newTestEnv(t, Options{})
	var last uint64
	for i := range 30 {
		ns := "ns" + strconv.Itoa(i%3)
		last = e.create(t, ns, "cm"+strconv.Itoa(i), map[string]string{"parity": strconv.Itoa(i % 2)})
	}
	last = e.update(t, "ns1", "cm1", map[string]string{"parity": "0"}, "changed")
	last = max(last, e.remove(t, "ns2", "cm2"))

	cases := []struct {
		name string
		key  string
		pred func(t *testing.T) storage.Predicate
	}{
		{"all", prefix, func(*testing.T) storage.Predicate { return storage.Predicate{} }},
		{"namespace", prefix + "ns1/", func(*testing.T) storage.Predicate { return storage.Predicate{} }},
		{"namespace without slash", prefix + "ns0", func(*testing.T) storage.Predicate { return storage.Predicate{} }},
		{"label selector", prefix, func(t *testing.T) storage.Predicate { return labelPredicate(t, "parity=0") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fromCache := e.cacheList(t, tc.key, last, tc.pred(t))
			fromEtcdObj, err := e.store.GetList(context.Background(), tc.key, storage.ListOptions{Recursive: true, Predicate: tc.pred(t)})
			if err != nil {
				t.Fatal(err)
			}
			fromEtcd := fromEtcdObj.(*corev1.ConfigMapList)
			if got, want := names(fromCache), names(fromEtcd); !slices.Equal(got, want) {
				t.Errorf("cache list = %v\netcd list  = %v", got, want)
			}
			if len(fromCache.Items) == 0 {
				t.Error("empty list: the case tests nothing")
			}
			if rv, _ := strconv.ParseUint(fromCache.ResourceVersion, 10, 64); rv < last {
				t.Errorf("cache list resourceVersion %d is older than %d", rv, last)
			}
		})
	}
}

// TestListDelegation checks which lists the cache serves and which it passes to etcd, as kube's
// shouldDelegateList decides: a list served from etcd with a limit has a continue token; one
// served from memory with resourceVersion "0" ignores the limit.
func TestListDelegation(t *testing.T) {
	e := newTestEnv(t, Options{})
	var last uint64
	for i := range 5 {
		last = e.create(t, "ns", "cm"+strconv.Itoa(i), nil)
	}
	e.cacheList(t, prefix, last, storage.Predicate{}) // caught up
	cases := []struct {
		name      string
		opts      storage.ListOptions
		wantItems int
		fromCache bool
	}{
		{"rv 0 with limit: cache, limit ignored", storage.ListOptions{ResourceVersion: "0", Predicate: storage.Predicate{Limit: 2}}, 5, true},
		{"rv 0: cache", storage.ListOptions{ResourceVersion: "0"}, 5, true},
		{"not older than: cache", storage.ListOptions{ResourceVersion: strconv.FormatUint(last, 10), ResourceVersionMatch: "NotOlderThan"}, 5, true},
		{"consistent with limit: etcd", storage.ListOptions{Predicate: storage.Predicate{Limit: 2}}, 2, false},
		{"rv N with limit: etcd", storage.ListOptions{ResourceVersion: strconv.FormatUint(last, 10), Predicate: storage.Predicate{Limit: 2}}, 2, false},
		{"exact: etcd", storage.ListOptions{ResourceVersion: strconv.FormatUint(last, 10), ResourceVersionMatch: "Exact", Predicate: storage.Predicate{Limit: 2}}, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Recursive = true
			if got := !shouldDelegateList(tc.opts); got != tc.fromCache {
				t.Errorf("served from cache = %v, want %v", got, tc.fromCache)
			}
			obj, err := e.cache.GetList(context.Background(), prefix, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			list := obj.(*corev1.ConfigMapList)
			if len(list.Items) != tc.wantItems {
				t.Errorf("%d items, want %d", len(list.Items), tc.wantItems)
			}
			if hasContinue := list.Continue != ""; hasContinue == tc.fromCache {
				t.Errorf("continue = %q: a list from the cache never pages, one from etcd with a limit does", list.Continue)
			}
		})
	}
}

func TestGet(t *testing.T) {
	e := newTestEnv(t, Options{})
	rv := e.create(t, "ns", "a", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})
	ctx := context.Background()

	for _, opt := range []string{"0", strconv.FormatUint(rv, 10), ""} {
		obj, err := e.cache.Get(ctx, keyFor("ns", "a"), storage.GetOptions{ResourceVersion: opt})
		if err != nil {
			t.Fatalf("get at %q: %v", opt, err)
		}
		if got := rvOf(t, obj); got != rv {
			t.Errorf("get at %q: resourceVersion %d, want %d", opt, got, rv)
		}
		// The caller owns the object: changing it must not change the cache.
		obj.(*corev1.ConfigMap).Data["v"] = "scribbled"
	}
	obj, _ := e.cache.Get(ctx, keyFor("ns", "a"), storage.GetOptions{ResourceVersion: "0"})
	if v := obj.(*corev1.ConfigMap).Data["v"]; v != "0" {
		t.Errorf("cache copy changed by a caller: %q", v)
	}
	if _, err := e.cache.Get(ctx, keyFor("ns", "missing"), storage.GetOptions{ResourceVersion: "0"}); !storage.IsCode(err, storage.ErrCodeKeyNotFound) {
		t.Errorf("get missing: %v, want key not found", err)
	}
}

// TestTooLargeResourceVersion asks for a revision etcd has not reached: the cache waits for it
// and then answers like kube, "Too large resource version".
func TestTooLargeResourceVersion(t *testing.T) {
	e := newTestEnv(t, Options{FreshnessTimeout: 200 * time.Millisecond})
	rv := e.create(t, "ns", "a", nil)
	_, err := e.cache.Get(context.Background(), keyFor("ns", "a"), storage.GetOptions{ResourceVersion: strconv.FormatUint(rv+1000, 10)})
	if !storage.IsCode(err, storage.ErrCodeTooLargeResourceVersion) || !strings.Contains(err.Error(), "Too large resource version") {
		t.Fatalf("get far ahead: %v, want too large resource version", err)
	}
	_, err = e.cache.GetList(context.Background(), prefix, storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatUint(rv+1000, 10), ResourceVersionMatch: "NotOlderThan"})
	if !storage.IsCode(err, storage.ErrCodeTooLargeResourceVersion) {
		t.Fatalf("list far ahead: %v, want too large resource version", err)
	}
}

// TestFreshReadOfAnotherResourcesRevision reads at a revision written to a different resource:
// the cache has seen no event there, and catches up through etcd's progress notification.
func TestFreshReadOfAnotherResourcesRevision(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.create(t, "ns", "a", nil)
	resp, err := e.client.Put(context.Background(), "/registry/secrets/ns/other", "x")
	if err != nil {
		t.Fatal(err)
	}
	rv := uint64(resp.Header.Revision)
	list := e.cacheList(t, prefix, rv, storage.Predicate{})
	if got, _ := strconv.ParseUint(list.ResourceVersion, 10, 64); got < rv {
		t.Fatalf("list resourceVersion %d, want >= %d", got, rv)
	}
}

// TestReadsWaitUntilReady: a read with a context that ends before the first list fails, and the
// same read succeeds once the cache has listed.
func TestReadsWaitUntilReady(t *testing.T) {
	client := startEtcd(t)
	store := newTestEnvOn(t, client, &blockingLister{Interface: etcd3.New(client, "/registry", configMapCodec), release: make(chan struct{})}, Options{})
	bl := store.cache.underlying.(*blockingLister)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := store.cache.GetList(ctx, prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true}); !storage.IsCode(err, storage.ErrCodeUnreachable) {
		t.Fatalf("list before ready with an ended context: %v, want unreachable", err)
	}
	close(bl.release)
	if _, err := store.cache.GetList(context.Background(), prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true}); err != nil {
		t.Fatalf("list after ready: %v", err)
	}
}

// blockingLister is the real store whose lists wait for release, to hold the cache unready.
type blockingLister struct {
	storage.Interface
	release chan struct{}
}

func (b *blockingLister) GetList(ctx context.Context, key string, opts storage.ListOptions) (runtime.Object, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Interface.GetList(ctx, key, opts)
}

// TestUnstructuredListItemsAreCopies: custom resources are unstructured maps; a caller writing a
// listed item must not write the cache's copy.
func TestUnstructuredListItemsAreCopies(t *testing.T) {
	codec := storage.Codec{
		New:     func() runtime.Object { return &unstructured.Unstructured{} },
		NewList: func() runtime.Object { return &unstructured.UnstructuredList{} },
		Encode:  func(obj runtime.Object) ([]byte, error) { return json.Marshal(obj) },
		Decode:  func(data []byte, into runtime.Object) error { return json.Unmarshal(data, into) },
	}
	client := startEtcd(t)
	store := etcd3.New(client, "/registry", codec)
	c, err := New(store, "/example.com/widgets/", codec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "spec": map[string]any{"size": "s"}}}
	w.SetNamespace("ns")
	w.SetName("w")
	created, err := c.Create(context.Background(), "/example.com/widgets/ns/w", w)
	if err != nil {
		t.Fatal(err)
	}
	rv := resourceVersionOf(created)
	list := func() *unstructured.UnstructuredList {
		obj, err := c.GetList(context.Background(), "/example.com/widgets/", storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatUint(rv, 10), ResourceVersionMatch: "NotOlderThan"})
		if err != nil {
			t.Fatal(err)
		}
		return obj.(*unstructured.UnstructuredList)
	}
	first := list()
	if len(first.Items) != 1 {
		t.Fatalf("%d items, want 1", len(first.Items))
	}
	first.Items[0].Object["spec"] = "scribbled"
	if got := list().Items[0].Object["spec"]; got == "scribbled" {
		t.Fatal("writing a listed item changed the cache")
	}
}
