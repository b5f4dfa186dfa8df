// Package metrics owns the server's Prometheus registry and the apiserver_* request metrics that
// the handler chain records, with kube-apiserver's names and labels. The registry is the server's
// own (never prometheus' global one), so two servers in one process (tests) do not collide; other
// parts (storage, watch cache, plugins) register their collectors on Registry.
//
// metrics imports no other kapi package but host/request.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kapi-dev/kapi/host/request"
)

// Component is the "component" label kube-apiserver gives its own requests.
const Component = "apiserver"

// Metrics holds the server's registry and the request metrics.
type Metrics struct {
	// Registry is the server's registry; register further collectors here.
	Registry *prometheus.Registry

	requests         *prometheus.CounterVec
	requestDurations *prometheus.HistogramVec
	longRunning      *prometheus.GaugeVec
	inflight         *prometheus.GaugeVec
}

var requestLabels = []string{"verb", "group", "version", "resource", "subresource", "scope", "component", "code"}

// New makes a registry with the Go and process collectors and the apiserver_* request metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_request_total",
			Help: "Counter of apiserver requests broken out for each verb, group, version, resource, scope, component, and HTTP response code.",
		}, requestLabels),
		requestDurations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "apiserver_request_duration_seconds",
			Help: "Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component.",
			// kube-apiserver's buckets.
			Buckets: []float64{0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3,
				4, 5, 6, 8, 10, 15, 20, 30, 45, 60},
		}, requestLabels[:len(requestLabels)-1]),
		longRunning: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_longrunning_requests",
			Help: "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.",
		}, requestLabels[:len(requestLabels)-1]),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_current_inflight_requests",
			Help: "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
		}, []string{"request_kind"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDurations, m.longRunning, m.inflight,
	)
	return m
}

// Handler serves the registry in Prometheus' text format (/metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveRequest records one finished request: its count by response code and its duration.
func (m *Metrics) ObserveRequest(info *request.Info, code int, elapsed time.Duration) {
	l := labelsFor(info)
	m.requests.WithLabelValues(l[0], l[1], l[2], l[3], l[4], l[5], Component, codeLabel(code)).Inc()
	m.requestDurations.WithLabelValues(l[:]...).Observe(elapsed.Seconds())
}

// TrackLongRunning counts a long-running request (a watch) while it runs; call the returned
// function when it ends.
func (m *Metrics) TrackLongRunning(info *request.Info) (done func()) {
	l := labelsFor(info)
	g := m.longRunning.WithLabelValues(l[:]...)
	g.Inc()
	return g.Dec
}

// SetInflight records how many requests of a kind ("readOnly" or "mutating") are being served.
func (m *Metrics) SetInflight(kind string, n int) {
	m.inflight.WithLabelValues(kind).Set(float64(n))
}

// labelsFor gives verb, group, version, resource, subresource, scope and component as kube's
// request metrics spell them: the verb upper-cased (LIST, WATCH, GET, POST ...), the scope
// "resource", "namespace", "cluster" or "" for non-resource requests.
func labelsFor(info *request.Info) [7]string {
	if info == nil {
		return [7]string{"", "", "", "", "", "", Component}
	}
	return [7]string{cleanVerb(info), info.APIGroup, info.APIVersion, info.Resource, info.Subresource, scope(info), Component}
}

func cleanVerb(info *request.Info) string {
	if !info.IsResourceRequest {
		return strings.ToUpper(info.Verb)
	}
	switch info.Verb {
	case "create":
		return "POST"
	case "update":
		return "PUT"
	case "patch":
		return "PATCH"
	case "delete", "deletecollection":
		return "DELETE"
	case "get":
		return "GET"
	case "list":
		return "LIST"
	case "watch":
		return "WATCH"
	}
	return strings.ToUpper(info.Verb)
}

func scope(info *request.Info) string {
	switch {
	case info.Name != "" || info.Verb == "create":
		return "resource"
	case info.Namespace != "":
		return "namespace"
	case info.IsResourceRequest:
		return "cluster"
	}
	return ""
}

func codeLabel(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code)
}
