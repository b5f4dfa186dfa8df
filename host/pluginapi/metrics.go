package pluginapi

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-plugin metrics every runtime shares. Create one per registry with
// NewMetrics; a second NewMetrics on the same registry reuses the registered collectors, so the
// Wasm and process runtimes may each ask for it.
type Metrics struct {
	Calls         *prometheus.CounterVec   // plugin, kind, mode
	Errors        *prometheus.CounterVec   // plugin, kind, mode, reason
	Rejections    *prometheus.CounterVec   // plugin, kind, mode
	Duration      *prometheus.HistogramVec // plugin, kind, mode
	Instances     *prometheus.GaugeVec     // plugin
	InstancesBusy *prometheus.GaugeVec     // plugin
}

// NewMetrics registers the plugin metrics on reg (nil: a private registry, for tests).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	labels := []string{"plugin", "kind", "mode"}
	m := &Metrics{
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kapi_plugin_calls_total", Help: "Calls made to a plugin."}, labels),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kapi_plugin_errors_total", Help: "Plugin calls that failed, by reason (error, trap, timeout, malformed)."},
			append(labels, "reason")),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kapi_plugin_rejections_total", Help: "Plugin calls whose answer denied or rejected the request."}, labels),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kapi_plugin_call_duration_seconds", Help: "Plugin call latency.",
			Buckets: []float64{.00001, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}},
			labels),
		Instances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kapi_plugin_instances", Help: "Live instances in a Wasm plugin's pool."}, []string{"plugin"}),
		InstancesBusy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kapi_plugin_instances_busy", Help: "Instances serving a call: of a Wasm plugin's pool, or of a process plugin's limits.instances."}, []string{"plugin"}),
	}
	var err error
	m.Calls, err = register(reg, m.Calls)
	if err == nil {
		m.Errors, err = register(reg, m.Errors)
	}
	if err == nil {
		m.Rejections, err = register(reg, m.Rejections)
	}
	if err == nil {
		m.Duration, err = register(reg, m.Duration)
	}
	if err == nil {
		m.Instances, err = register(reg, m.Instances)
	}
	if err == nil {
		m.InstancesBusy, err = register(reg, m.InstancesBusy)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
