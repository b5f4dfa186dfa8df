package watchcache

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// cacheMetrics are one cache's series. Every cache of a process registers the same collectors on
// the same Registerer; the first registration wins and the others reuse it.
//
// Names and labels are kube-apiserver's (k8s.io/apiserver/pkg/storage/cacher/metrics): every
// series is labelled by group and resource, and the capacity gauge is "watch_cache_capacity",
// without the apiserver_ prefix. apiserver_registered_watchers keeps the labels kube gave it
// (group, version, kind) until kube v1.25 dropped it in favour of apiserver_longrunning_requests.
type cacheMetrics struct {
	group, resource string
	gvk             schema.GroupVersionKind

	capacityGauge  *prometheus.GaugeVec
	objectsGauge   *prometheus.GaugeVec
	rvGauge        *prometheus.GaugeVec
	receivedVec    *prometheus.CounterVec
	dispatchedVec  *prometheus.CounterVec
	initializedVec *prometheus.CounterVec
	terminatedVec  *prometheus.CounterVec
	watchers       *prometheus.GaugeVec
}

func newCacheMetrics(opts Options) *cacheMetrics {
	if opts.Registerer == nil {
		return nil
	}
	gvk := opts.Kind
	if gvk.Kind == "" {
		gvk = schema.GroupVersionKind{Group: opts.GroupResource.Group, Kind: opts.GroupResource.Resource}
	}
	reg := opts.Registerer
	byResource := []string{"group", "resource"}
	return &cacheMetrics{
		group:    opts.GroupResource.Group,
		resource: opts.GroupResource.Resource,
		gvk:      gvk,
		capacityGauge: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "watch_cache_capacity", Help: "Total capacity of the watch cache's event buffer, by resource."}, byResource)),
		objectsGauge: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_watch_cache_objects", Help: "Number of objects held by the watch cache, by resource."}, byResource)),
		rvGauge: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_watch_cache_resource_version", Help: "Current resource version of the watch cache, by resource."}, byResource)),
		receivedVec: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_watch_cache_events_received_total", Help: "Number of events received by the watch cache, by resource."}, byResource)),
		dispatchedVec: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_watch_cache_events_dispatched_total", Help: "Number of events dispatched by the watch cache, by resource."}, byResource)),
		initializedVec: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_watch_cache_initializations_total", Help: "Number of watch cache (re)initializations, by resource."}, byResource)),
		terminatedVec: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_terminated_watchers_total", Help: "Number of watchers terminated because they did not keep up, by resource."}, byResource)),
		watchers: register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_registered_watchers", Help: "Number of currently registered watchers for a given resource."}, []string{"group", "version", "kind"})),
	}
}

// register registers c, or returns the collector already registered under its name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func (m *cacheMetrics) capacity(n int) {
	if m != nil {
		m.capacityGauge.WithLabelValues(m.group, m.resource).Set(float64(n))
	}
}

func (m *cacheMetrics) initialized(objects, capacity int, rv uint64) {
	if m == nil {
		return
	}
	m.initializedVec.WithLabelValues(m.group, m.resource).Inc()
	m.objectsGauge.WithLabelValues(m.group, m.resource).Set(float64(objects))
	m.capacityGauge.WithLabelValues(m.group, m.resource).Set(float64(capacity))
	m.rvGauge.WithLabelValues(m.group, m.resource).Set(float64(rv))
}

func (m *cacheMetrics) received(objects, capacity int, rv uint64) {
	if m == nil {
		return
	}
	m.receivedVec.WithLabelValues(m.group, m.resource).Inc()
	m.objectsGauge.WithLabelValues(m.group, m.resource).Set(float64(objects))
	m.capacityGauge.WithLabelValues(m.group, m.resource).Set(float64(capacity))
	m.rvGauge.WithLabelValues(m.group, m.resource).Set(float64(rv))
}

func (m *cacheMetrics) dispatched() {
	if m != nil {
		m.dispatchedVec.WithLabelValues(m.group, m.resource).Inc()
	}
}

func (m *cacheMetrics) terminated() {
	if m != nil {
		m.terminatedVec.WithLabelValues(m.group, m.resource).Inc()
	}
}

func (m *cacheMetrics) watcherAdded() {
	if m != nil {
		m.watchers.WithLabelValues(m.gvk.Group, m.gvk.Version, m.gvk.Kind).Inc()
	}
}

func (m *cacheMetrics) watcherRemoved() {
	if m != nil {
		m.watchers.WithLabelValues(m.gvk.Group, m.gvk.Version, m.gvk.Kind).Dec()
	}
}

// forget drops the stopped cache's per-resource series (resources come and go at runtime).
func (m *cacheMetrics) forget() {
	if m == nil {
		return
	}
	for _, v := range []*prometheus.GaugeVec{m.capacityGauge, m.objectsGauge, m.rvGauge} {
		v.DeleteLabelValues(m.group, m.resource)
	}
	for _, v := range []*prometheus.CounterVec{m.receivedVec, m.dispatchedVec, m.initializedVec, m.terminatedVec} {
		v.DeleteLabelValues(m.group, m.resource)
	}
}
