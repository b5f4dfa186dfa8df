package rest

import (
	"net/http/httptest"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/host/request"
	"github.com/kapi-dev/kapi/registry"
	"github.com/kapi-dev/kapi/registry/builtin"
	"github.com/kapi-dev/kapi/registry/generic"
	"github.com/kapi-dev/kapi/storage"
)

// configMapScope is a scope for an update of configmap "bench" in "ns", enough for the field
// manager.
func configMapScope(tb testing.TB) *scope {
	tb.Helper()
	reg := registry.New()
	err := generic.Install(reg, builtin.Resources(), generic.Deps{}, func(*registry.Resource) (storage.Interface, error) { return nil, nil })
	if err != nil {
		tb.Fatal(err)
	}
	h := NewHandler(reg, nil, Options{}).(*handler)
	r := httptest.NewRequest("PUT", cmPath+"/bench", nil)
	r.Header.Set("User-Agent", "loadbench/v0")
	return &scope{h: h, r: r, info: &request.Info{Name: "bench"}, kind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		newObj: func() runtime.Object { return &corev1.ConfigMap{} }}
}

func benchConfigMap(i int) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: "ns", Labels: map[string]string{"app": "bench"}},
		Data:       map[string]string{"key": "value-" + strconv.Itoa(i)},
	}
}

// BenchmarkTrackCreate measures the managed fields of a create of a small configmap.
func BenchmarkTrackCreate(b *testing.B) {
	s := configMapScope(b)
	b.ReportAllocs()
	for b.Loop() {
		s.trackUpdate(nil, benchConfigMap(0), "")
	}
}

// BenchmarkTrackUpdate measures the managed fields of an update of a small configmap that
// changes one value.
func BenchmarkTrackUpdate(b *testing.B) {
	s := configMapScope(b)
	live := s.trackUpdate(nil, benchConfigMap(0), "")
	live.(*corev1.ConfigMap).UID = "u"
	live.(*corev1.ConfigMap).CreationTimestamp = metav1.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		next := benchConfigMap(i)
		next.UID = "u"
		next.ManagedFields = live.(*corev1.ConfigMap).ManagedFields
		s.trackUpdate(live, next, "")
	}
}
