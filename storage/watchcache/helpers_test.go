package watchcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// configMapCodec stores ConfigMaps as JSON, as the registry's codecs do.
var configMapCodec = storage.Codec{
	New:     func() runtime.Object { return &corev1.ConfigMap{} },
	NewList: func() runtime.Object { return &corev1.ConfigMapList{} },
	Encode:  func(obj runtime.Object) ([]byte, error) { return json.Marshal(obj) },
	Decode:  func(data []byte, into runtime.Object) error { return json.Unmarshal(data, into) },
}

const prefix = "/configmaps/"

// testEnv is a real embedded etcd, an etcd3 store on it, and a cache in front of the store.
type testEnv struct {
	client *clientv3.Client
	store  *etcd3.Store
	cache  *Cache
}

// startEtcd starts an embedded etcd for the test and returns a client of it.
func startEtcd(t testing.TB) *clientv3.Client {
	t.Helper()
	_, c := embeddedtest.Start(t, embedded.Config{})
	return c
}

// newTestEnv starts etcd, a ConfigMap store and a cache with opts (RequestProgress defaults to
// the client's), and waits for the cache's first list (waitListed).
func newTestEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	client := startEtcd(t)
	e := newTestEnvOn(t, client, etcd3.New(client, "/registry", configMapCodec), opts)
	e.waitListed(t)
	return e
}

func newTestEnvOn(t testing.TB, client *clientv3.Client, underlying storage.Interface, opts Options) *testEnv {
	t.Helper()
	if opts.RequestProgress == nil {
		opts.RequestProgress = func(ctx context.Context) error {
			return errors.Join(client.RequestProgress(ctx), client.RequestProgress(clientv3.WithRequireLeader(ctx)))
		}
	}
	if opts.FreshnessTimeout == 0 {
		opts.FreshnessTimeout = 30 * time.Second // generous: a failure bound, not a measurement
	}
	c, err := New(underlying, prefix, configMapCodec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	store, _ := underlying.(*etcd3.Store)
	return &testEnv{client: client, store: store, cache: c}
}

// waitListed returns once the cache has made its first list of etcd. Every write after it reaches
// the cache as an event in its buffer, so a watch from that write's revision replays what
// followed; a write before the first list is only in the list, and a watch from its revision may
// be too old (410), depending on how fast the cache listed. Tests that watch from the revision of
// their own writes call it before writing.
func (e *testEnv) waitListed(t testing.TB) {
	t.Helper()
	rv, err := e.store.CurrentResourceVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.cacheList(t, prefix, rv, storage.Predicate{})
}

func configMap(ns, name string, lbls map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls},
		Data:       data,
	}
}

func keyFor(ns, name string) string { return prefix + ns + "/" + name }

// create stores a ConfigMap through the cache and returns its resourceVersion.
func (e *testEnv) create(t testing.TB, ns, name string, lbls map[string]string) uint64 {
	t.Helper()
	obj, err := e.cache.Create(context.Background(), keyFor(ns, name), configMap(ns, name, lbls, map[string]string{"v": "0"}))
	if err != nil {
		t.Fatalf("create %s/%s: %v", ns, name, err)
	}
	return rvOf(t, obj)
}

// update rewrites a ConfigMap's labels and data through the cache and returns its resourceVersion.
func (e *testEnv) update(t testing.TB, ns, name string, lbls map[string]string, value string) uint64 {
	t.Helper()
	obj, err := e.cache.GuaranteedUpdate(context.Background(), keyFor(ns, name), nil, false, func(cur runtime.Object) (runtime.Object, error) {
		cm := cur.DeepCopyObject().(*corev1.ConfigMap)
		cm.Labels = lbls
		cm.Data = map[string]string{"v": value}
		return cm, nil
	})
	if err != nil {
		t.Fatalf("update %s/%s: %v", ns, name, err)
	}
	return rvOf(t, obj)
}

// remove deletes a ConfigMap through the cache and returns the current revision after it.
func (e *testEnv) remove(t testing.TB, ns, name string) uint64 {
	t.Helper()
	if _, err := e.cache.Delete(context.Background(), keyFor(ns, name), nil, nil); err != nil {
		t.Fatalf("delete %s/%s: %v", ns, name, err)
	}
	rv, err := e.store.CurrentResourceVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func rvOf(t testing.TB, obj runtime.Object) uint64 {
	t.Helper()
	rv := resourceVersionOf(obj)
	if rv == 0 {
		t.Fatalf("%T has no resourceVersion", obj)
	}
	return rv
}

// cacheList lists from the cache at a revision not older than rv.
func (e *testEnv) cacheList(t testing.TB, key string, rv uint64, pred storage.Predicate) *corev1.ConfigMapList {
	t.Helper()
	list, err := e.cache.GetList(context.Background(), key, storage.ListOptions{
		ResourceVersion:      strconv.FormatUint(rv, 10),
		ResourceVersionMatch: string(metav1.ResourceVersionMatchNotOlderThan),
		Recursive:            true,
		Predicate:            pred,
	})
	if err != nil {
		t.Fatalf("cache list %s at %d: %v", key, rv, err)
	}
	return list.(*corev1.ConfigMapList)
}

// names lists "ns/name@rv" of every item, in order.
func names(list *corev1.ConfigMapList) []string {
	out := make([]string, 0, len(list.Items))
	for _, cm := range list.Items {
		out = append(out, fmt.Sprintf("%s/%s@%s", cm.Namespace, cm.Name, cm.ResourceVersion))
	}
	return out
}

// labelPredicate selects ConfigMaps by a label selector.
func labelPredicate(t testing.TB, selector string) storage.Predicate {
	t.Helper()
	sel, err := labels.Parse(selector)
	if err != nil {
		t.Fatal(err)
	}
	return storage.Predicate{
		Label: sel,
		GetAttrs: func(obj runtime.Object) (labels.Set, fields.Set, error) {
			cm, ok := obj.(*corev1.ConfigMap)
			if !ok {
				return nil, nil, fmt.Errorf("not a ConfigMap: %T", obj)
			}
			return cm.Labels, fields.Set{"metadata.name": cm.Name, "metadata.namespace": cm.Namespace}, nil
		},
	}
}

// watch opens a watch on the cache and stops it when the test ends.
func (e *testEnv) watch(t testing.TB, key string, opts storage.ListOptions) storage.Watcher {
	t.Helper()
	w, err := e.cache.Watch(context.Background(), key, opts)
	if err != nil {
		t.Fatalf("watch %s from %q: %v", key, opts.ResourceVersion, err)
	}
	t.Cleanup(w.Stop)
	return w
}

// next receives one event, failing the test if the watch ends or nothing comes for a long time.
func next(t testing.TB, w storage.Watcher) *storage.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch ended early")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
	}
	return nil
}

// describe renders an event as "TYPE ns/name@rv".
func describe(ev *storage.Event) string {
	cm, ok := ev.Object.(*corev1.ConfigMap)
	if !ok {
		return fmt.Sprintf("%s %T", ev.Type, ev.Object)
	}
	return fmt.Sprintf("%s %s/%s@%s", ev.Type, cm.Namespace, cm.Name, cm.ResourceVersion)
}
