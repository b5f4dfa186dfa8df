package watchcache

import (
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/storage"
)

// gauge reads the series of a gathered metric that has every one of labels (others aside); ok is
// false when there is none.
func gauge(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			matched := 0
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
					matched++
				}
			}
			if matched == len(labels) {
				return value(m), true
			}
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	gr := schema.GroupResource{Resource: "configmaps"}
	e := newTestEnv(t, Options{GroupResource: gr, Kind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Registerer: reg, Capacity: 64})
	rv := e.create(t, "ns", "a", nil)
	e.cacheList(t, prefix, rv, storage.Predicate{})

	// A second cache on the same registry shares the collectors instead of failing.
	second, err := New(e.store, "/secrets/", configMapCodec, Options{GroupResource: schema.GroupResource{Resource: "secrets"}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()

	watchers := make([]storage.Watcher, 3)
	for i := range watchers {
		watchers[i] = e.watch(t, prefix, storage.ListOptions{ResourceVersion: strconv.FormatUint(rv, 10), Recursive: true})
	}
	// kube's labels: group and resource apart (the core group is "").
	byResource := map[string]string{"group": "", "resource": "configmaps"}
	if v, _ := gauge(t, reg, "apiserver_registered_watchers", map[string]string{"group": "", "version": "v1", "kind": "ConfigMap"}); v != 3 {
		t.Errorf("registered watchers = %v, want 3", v)
	}
	if v, _ := gauge(t, reg, "watch_cache_capacity", byResource); v != 64 {
		t.Errorf("capacity = %v, want 64", v)
	}
	if v, _ := gauge(t, reg, "apiserver_watch_cache_objects", byResource); v != 1 {
		t.Errorf("objects = %v, want 1", v)
	}
	for _, w := range watchers {
		w.Stop()
		for range w.ResultChan() {
		}
	}
	if v, _ := gauge(t, reg, "apiserver_registered_watchers", map[string]string{"group": "", "version": "v1", "kind": "ConfigMap"}); v != 0 {
		t.Errorf("registered watchers after stop = %v, want 0", v)
	}
	e.cache.Stop()
	if _, ok := gauge(t, reg, "watch_cache_capacity", byResource); ok {
		t.Error("a stopped cache's capacity series is still exported")
	}
}
