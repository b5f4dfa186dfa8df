package generic

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded/embeddedtest"
	"github.com/kapi-dev/kapi/storage/etcd3"
)

// etcdClient is the client to the one embedded etcd the package's tests share; each test
// keeps its objects under its own key prefix.
var etcdClient *clientv3.Client

func TestMain(m *testing.M) {
	os.Exit(embeddedtest.Run(func(c *clientv3.Client) int {
		etcdClient = c
		return m.Run()
	}))
}

var prefixCounter atomic.Int64

// testEnv is a registry of every built-in resource on a private part of the shared etcd, with
// namespace "ns" created.
type testEnv struct {
	reg *registry.Registry
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	prefix := fmt.Sprintf("/test-%d", prefixCounter.Add(1))
	reg := registry.New()
	deps := Deps{Namespace: NamespaceGetter(reg)}
	err := Install(reg, builtin.Resources(), deps, func(res *registry.Resource) (storage.Interface, error) {
		return etcd3.New(etcdClient, prefix, Codec(res)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{reg: reg}
	env.createNamespace(t, "ns")
	return env
}

func (e *testEnv) entry(t testing.TB, group, resource string) *registry.Entry {
	t.Helper()
	gvr := schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}
	en := e.reg.Get(gvr)
	if en == nil {
		t.Fatalf("no resource %v", gvr)
	}
	return en
}

func (e *testEnv) store(t testing.TB, group, resource string) *Store {
	t.Helper()
	return e.entry(t, group, resource).Store.(*Store)
}

func (e *testEnv) configMaps(t testing.TB) *Store  { return e.store(t, "", "configmaps") }
func (e *testEnv) namespaces(t testing.TB) *Store  { return e.store(t, "", "namespaces") }
func (e *testEnv) deployments(t testing.TB) *Store { return e.store(t, "apps", "deployments") }
func (e *testEnv) pods(t testing.TB) *Store        { return e.store(t, "", "pods") }

func (e *testEnv) createNamespace(t testing.TB, name string) *corev1.Namespace {
	t.Helper()
	obj, err := e.namespaces(t).Create(context.Background(), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, registry.Admission{}, nil)
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return obj.(*corev1.Namespace)
}

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.25"}}},
			},
		},
	}
}

func pod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.25"}}},
	}
}

func mustCreate(t testing.TB, s registry.Store, ns string, obj runtime.Object) runtime.Object {
	t.Helper()
	out, err := s.Create(context.Background(), ns, obj, registry.Admission{}, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

// replaceWith is an UpdateFunc that answers obj, whatever the current object.
func replaceWith(obj runtime.Object) registry.UpdateFunc {
	return func(context.Context, runtime.Object) (runtime.Object, error) { return obj.DeepCopyObject(), nil }
}

// statusOf returns the Status of a Status error, failing the test for any other error.
func statusOf(t testing.TB, err error) metav1.Status {
	t.Helper()
	var se apierrors.APIStatus
	if err == nil {
		t.Fatalf("got no error, want a Status error")
	}
	se, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("error %T %v is not a Status error", err, err)
	}
	return se.Status()
}

// wantStatus asserts a Status error's code and reason.
func wantStatus(t testing.TB, err error, code int32, reason metav1.StatusReason) metav1.Status {
	t.Helper()
	st := statusOf(t, err)
	if st.Code != code || st.Reason != reason {
		t.Fatalf("got %d %s (%q), want %d %s", st.Code, st.Reason, st.Message, code, reason)
	}
	return st
}
