package etcd3

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the etcd request metrics kube-apiserver exports. Make one per registry and share it
// among the stores (WithMetrics); nothing is registered on the global default registry.
type Metrics struct {
	requestDuration *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them on r.
func NewMetrics(r prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "etcd_request_duration_seconds",
			Help: "Etcd request latency in seconds for each operation and object type.",
			// kube-apiserver's buckets: fine below a second, then up to the request timeout.
			Buckets: []float64{0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3,
				4, 5, 6, 8, 10, 15, 20, 30, 45, 60},
		}, []string{"operation", "type"}),
	}
	if err := r.Register(m.requestDuration); err != nil {
		return nil, fmt.Errorf("registering etcd request metrics: %w", err)
	}
	return m, nil
}

// start begins timing one request; the returned func records it. A nil *Metrics records nothing.
func (m *Metrics) start(operation, typ string) func() {
	if m == nil {
		return func() {}
	}
	begin := time.Now()
	return func() {
		m.requestDuration.WithLabelValues(operation, typ).Observe(time.Since(begin).Seconds())
	}
}
