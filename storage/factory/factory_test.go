package factory

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcdconfig"
)

var configMapCodec = storage.Codec{
	New:     func() runtime.Object { return &corev1.ConfigMap{} },
	NewList: func() runtime.Object { return &corev1.ConfigMapList{} },
	Encode:  func(obj runtime.Object) ([]byte, error) { return json.Marshal(obj) },
	Decode:  func(data []byte, into runtime.Object) error { return json.Unmarshal(data, into) },
}

func startEtcd(t *testing.T) (*embedded.Etcd, *clientv3.Client) {
	t.Helper()
	return embeddedtest.Start(t, embedded.Config{})
}

func create(t *testing.T, s storage.Interface, key, name string) string {
	t.Helper()
	obj, err := s.Create(context.Background(), key, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}})
	if err != nil {
		t.Fatalf("create %s: %v", key, err)
	}
	return obj.(*corev1.ConfigMap).ResourceVersion
}

// rawKeys lists every key in an etcd, read directly with clientv3.
func rawKeys(t *testing.T, c *clientv3.Client) []string {
	t.Helper()
	resp, err := c.Get(context.Background(), "/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

// TestOverridesRouteResourcesToTheirOwnEtcd: configmaps go to the default servers, secrets to the
// override's; each write lands only in its own etcd.
func TestOverridesRouteResourcesToTheirOwnEtcd(t *testing.T) {
	main, mainClient := startEtcd(t)
	other, otherClient := startEtcd(t)
	overrides, err := etcdconfig.ParseOverrides("/secrets#" + strings.Join(other.Endpoints(), ";"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(context.Background(), etcdconfig.Config{Servers: main.Endpoints(), Overrides: overrides, Prefix: "/kapi"}, "", prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })

	configmaps, stopCM, err := f.ForResource(schema.GroupResource{Resource: "configmaps"}, "/configmaps/", configMapCodec)
	if err != nil {
		t.Fatal(err)
	}
	defer stopCM()
	secrets, stopSecrets, err := f.ForResource(schema.GroupResource{Resource: "secrets"}, "/secrets/", configMapCodec)
	if err != nil {
		t.Fatal(err)
	}
	defer stopSecrets()

	create(t, configmaps, "/configmaps/ns/a", "a")
	rv := create(t, secrets, "/secrets/ns/b", "b")

	if got, want := strings.Join(rawKeys(t, mainClient), ","), "/kapi/configmaps/ns/a"; got != want {
		t.Errorf("main etcd holds %q, want %q", got, want)
	}
	if got, want := strings.Join(rawKeys(t, otherClient), ","), "/kapi/secrets/ns/b"; got != want {
		t.Errorf("override etcd holds %q, want %q", got, want)
	}
	if err := f.Check(context.Background()); err != nil {
		t.Errorf("check: %v", err)
	}
	// The cache in front of the secrets store follows the override etcd.
	list, err := secrets.GetList(context.Background(), "/secrets/", storage.ListOptions{Recursive: true, ResourceVersion: rv, ResourceVersionMatch: "NotOlderThan"})
	if err != nil {
		t.Fatal(err)
	}
	if items := list.(*corev1.ConfigMapList).Items; len(items) != 1 || items[0].Name != "b" {
		t.Errorf("secrets from the cache = %v, want b", items)
	}
}

// TestEmbeddedByDefault: with no servers the factory runs etcd in the data directory, serves
// resources from it, and closes everything, more than once without harm.
func TestEmbeddedByDefault(t *testing.T) {
	dir := t.TempDir()
	f, err := New(context.Background(), etcdconfig.Config{}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, stop, err := f.ForResource(schema.GroupResource{Resource: "configmaps"}, "/configmaps/", configMapCodec)
	if err != nil {
		t.Fatal(err)
	}
	create(t, s, "/configmaps/ns/a", "a")
	obj, err := s.Get(context.Background(), "/configmaps/ns/a", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obj.(*corev1.ConfigMap).Name != "a" {
		t.Fatalf("got %v", obj)
	}
	if err := f.Check(context.Background()); err != nil {
		t.Fatalf("check: %v", err)
	}
	stop()
	stop()
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := f.Check(context.Background()); err == nil {
		t.Fatal("check after close succeeded")
	}
	if _, _, err := f.ForResource(schema.GroupResource{Resource: "secrets"}, "/secrets/", configMapCodec); err == nil {
		t.Fatal("ForResource after close succeeded")
	}
}

// TestIdleResourceCatchesUpWithAnotherResourcesRevision: a read of an idle resource at a revision
// written to another resource succeeds: the factory wires the cache's progress requests to the
// etcd client that feeds it.
func TestIdleResourceCatchesUpWithAnotherResourcesRevision(t *testing.T) {
	f, err := New(context.Background(), etcdconfig.Config{}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	configmaps, _, err := f.ForResource(schema.GroupResource{Resource: "configmaps"}, "/configmaps/", configMapCodec)
	if err != nil {
		t.Fatal(err)
	}
	idle, _, err := f.ForResource(schema.GroupResource{Resource: "secrets"}, "/secrets/", configMapCodec)
	if err != nil {
		t.Fatal(err)
	}
	rv := create(t, configmaps, "/configmaps/ns/a", "a")
	list, err := idle.GetList(context.Background(), "/secrets/", storage.ListOptions{Recursive: true, ResourceVersion: rv, ResourceVersionMatch: "NotOlderThan"})
	if err != nil {
		t.Fatalf("idle resource at another resource's revision: %v", err)
	}
	got, _ := strconv.ParseUint(list.(*corev1.ConfigMapList).ResourceVersion, 10, 64)
	if want, _ := strconv.ParseUint(rv, 10, 64); got < want {
		t.Fatalf("list resourceVersion %d, want >= %d", got, want)
	}
}
