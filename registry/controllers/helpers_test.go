package controllers

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcd3"
	"github.com/kapi-dev/kapi/storage/watchcache"
)

// etcdClient is the client to the one embedded etcd the package's tests share; each test keeps
// its objects under its own key prefix.
var etcdClient *clientv3.Client

func TestMain(m *testing.M) {
	os.Exit(embeddedtest.Run(func(c *clientv3.Client) int {
		etcdClient = c
		return m.Run()
	}))
}

var prefixCounter atomic.Int64

const testCA = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"

// newRegistry serves every built-in resource from a private part of the shared etcd, each
// behind a watch cache as the server runs them.
func newRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	prefix := fmt.Sprintf("/test-%d", prefixCounter.Add(1))
	reg := registry.New()
	deps := generic.Deps{Namespace: generic.NamespaceGetter(reg)}
	err := generic.Install(reg, builtin.Resources(), deps, func(res *registry.Resource) (storage.Interface, error) {
		return cached(t, res, etcd3.New(etcdClient, prefix, generic.Codec(res))), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// cached puts a watch cache in front of s for the rest of the test.
func cached(t testing.TB, res *registry.Resource, s storage.Interface) storage.Interface {
	t.Helper()
	c, err := watchcache.New(s, generic.KeyPrefix(res), generic.Codec(res), watchcache.Options{GroupResource: res.GroupVersionResource().GroupResource()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func testOptions() Options {
	return Options{
		RootCAPEM:    []byte(testCA),
		ResyncPeriod: 500 * time.Millisecond,
		RetryDelay:   20 * time.Millisecond,
		// Namespaces are emptied at once here; TestNamespaceDeletionWaitsForGracePeriod covers
		// the wait.
		NamespaceDeletionGracePeriod: time.Nanosecond,
	}
}

// startControllers runs the controllers on reg for the rest of the test.
func startControllers(t testing.TB, reg *registry.Registry) {
	t.Helper()
	stop := Start(context.Background(), reg, testOptions())
	t.Cleanup(stop)
}

func store(t testing.TB, reg *registry.Registry, group, resource string) registry.Store {
	t.Helper()
	e := reg.Get(schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource})
	if e == nil {
		t.Fatalf("no resource %s/%s", group, resource)
	}
	return e.Store
}

func create(t testing.TB, s registry.Store, namespace string, obj runtime.Object) runtime.Object {
	t.Helper()
	out, err := s.Create(context.Background(), namespace, obj, registry.Admission{}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

func createNamespace(t testing.TB, reg *registry.Registry, name string) {
	t.Helper()
	create(t, store(t, reg, "", "namespaces"), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// eventually polls cond until it holds. It has no time bound of its own: a controller that
// never gets there fails the test by go test's timeout, and a slow machine fails nothing.
func eventually(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gone reports whether an object no longer exists.
func gone(s registry.Store, namespace, name string) func() (bool, error) {
	return func() (bool, error) {
		_, err := s.Get(context.Background(), namespace, name, nil)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
}

func configMap(name string, owners ...metav1.OwnerReference) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: owners}}
}

// ownerRef is a reference to a ConfigMap as owner.
func ownerRef(owner runtime.Object, block bool) metav1.OwnerReference {
	cm := owner.(*corev1.ConfigMap)
	return metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID, BlockOwnerDeletion: &block}
}
