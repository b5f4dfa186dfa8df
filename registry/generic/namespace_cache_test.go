package generic

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// frozenCache is the namespaces storage as a watch cache that has stopped following etcd:
// reads at resourceVersion "0" answer from a snapshot taken by freeze; every other call goes to
// etcd, and those reads are counted.
type frozenCache struct {
	storage.Interface
	mu        sync.Mutex
	snapshot  map[string]runtime.Object
	liveReads int
}

func (f *frozenCache) freeze(ctx context.Context, t *testing.T, keys ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshot = map[string]runtime.Object{}
	for _, k := range keys {
		obj, err := f.Interface.Get(ctx, k, storage.GetOptions{})
		if storage.IsCode(err, storage.ErrCodeKeyNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		f.snapshot[k] = obj
	}
}

func (f *frozenCache) Get(ctx context.Context, key string, opts storage.GetOptions) (runtime.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if opts.ResourceVersion == "0" && f.snapshot != nil {
		if obj, ok := f.snapshot[key]; ok {
			return obj.DeepCopyObject(), nil
		}
		return nil, storage.NewError(storage.ErrCodeKeyNotFound, key, "")
	}
	f.liveReads++
	return f.Interface.Get(ctx, key, opts)
}

func (f *frozenCache) reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.liveReads
}

// newFrozenEnv is newEnv with the namespaces store behind a frozenCache and a clock the test
// moves.
func newFrozenEnv(t *testing.T) (*testEnv, *frozenCache, *time.Time) {
	t.Helper()
	prefix := fmt.Sprintf("/test-%d", prefixCounter.Add(1))
	reg := registry.New()
	now := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	deps := Deps{Namespace: NamespaceGetter(reg), Now: func() time.Time { return now }}
	var frozen *frozenCache
	for _, res := range builtin.Resources() {
		var s storage.Interface = etcd3.New(etcdClient, prefix, Codec(res))
		if res.Group == "" && res.Plural == "namespaces" {
			frozen = &frozenCache{Interface: s}
			s = frozen
		}
		reg.Add(NewEntry(res, s, deps))
	}
	return &testEnv{reg: reg}, frozen, &now
}

// TestNamespaceCheckReadsTheCacheFirst: creates in a namespace the cache has active read no
// namespace from etcd, and every case where the cache may be behind what the client saw is
// read live, as kube's NamespaceLifecycle does.
func TestNamespaceCheckReadsTheCacheFirst(t *testing.T) {
	ctx := context.Background()
	env, frozen, now := newFrozenEnv(t)
	cms := env.configMaps(t)
	create := func(ns, name string) error {
		_, err := cms.Create(ctx, ns, configMap(name, nil), registry.Admission{}, nil)
		return err
	}

	// Created after the cache froze: the cache lacks it, the live read finds it.
	frozen.freeze(ctx, t)
	env.createNamespace(t, "fresh")
	if err := create("fresh", "a"); err != nil {
		t.Fatalf("create in a namespace the cache has not seen yet: %v", err)
	}

	// In the cache and active: no etcd read for the namespace.
	frozen.freeze(ctx, t, "/namespaces/fresh")
	before := frozen.reads()
	if err := create("fresh", "b"); err != nil {
		t.Fatal(err)
	}
	if got := frozen.reads() - before; got != 0 {
		t.Errorf("create in a cached active namespace read etcd %d times, want 0", got)
	}

	// Deleted through this server while the cache still shows it active: read live, refused.
	if _, _, err := env.namespaces(t).Delete(ctx, "", "fresh", registry.Admission{}, &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := create("fresh", "c"); !apierrors.IsForbidden(err) {
		t.Fatalf("create in a namespace deleted a moment ago (cache still active): %v, want Forbidden", err)
	}

	// Once kube's TTL has passed, the cache is trusted again (a real one has long caught up).
	*now = now.Add(forceLiveLookupTTL)
	before = frozen.reads()
	if err := create("fresh", "d"); err != nil {
		t.Fatalf("with the frozen cache trusted after the TTL: %v", err)
	}
	if got := frozen.reads() - before; got != 0 {
		t.Errorf("after the TTL the namespace was read from etcd %d times, want 0", got)
	}

	// Terminating in the cache: confirmed live, so a namespace that is terminating refuses...
	frozen.freeze(ctx, t, "/namespaces/fresh")
	if err := create("fresh", "e"); !apierrors.IsForbidden(err) {
		t.Fatalf("create in a terminating namespace: %v, want Forbidden", err)
	}
	// ...and one that has been re-created since the cache saw it terminating accepts.
	gone := env.createNamespace(t, "again")
	if _, _, err := env.namespaces(t).Delete(ctx, "", "again", registry.Admission{}, &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	frozen.freeze(ctx, t, "/namespaces/again") // the cache sees "again" terminating
	finalizeAndRecreate(t, env, gone.Name)
	*now = now.Add(forceLiveLookupTTL)
	if err := create("again", "f"); err != nil {
		t.Fatalf("create in a namespace re-created after the cache saw it terminating: %v", err)
	}
}

// finalizeAndRecreate removes a terminating namespace's finalizers so it goes, then creates it
// again.
func finalizeAndRecreate(t *testing.T, env *testEnv, name string) {
	t.Helper()
	ctx := context.Background()
	nss := env.namespaces(t)
	obj, err := nss.Get(ctx, "", name, &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := obj.(*corev1.Namespace)
	ns.Spec.Finalizers = nil
	ns.Finalizers = nil
	if _, _, err := nss.Update(ctx, "", name, "finalize", replaceWith(ns), registry.Admission{}, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := nss.Delete(ctx, "", name, registry.Admission{}, &metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if _, err := nss.Get(ctx, "", name, &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s still there after finalizing: %v", name, err)
	}
	env.createNamespace(t, name)
}
