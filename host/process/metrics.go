package process

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// UpMetric is the name of the gauge that says whether a process plugin's process is running and
// answering health checks (1) or down, restarting (0), labelled with the plugin's name.
const UpMetric = "kapi_plugin_process_up"

// upGauge registers the up gauge on reg, reusing one registered by an earlier Load.
func upGauge(reg prometheus.Registerer) (*prometheus.GaugeVec, error) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: UpMetric,
		Help: "Whether a process plugin's process is running and healthy (1) or down and being restarted (0).",
	}, []string{"plugin"})
	if reg == nil {
		return g, nil
	}
	if err := reg.Register(g); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
				return existing, nil
			}
		}
		return nil, err
	}
	return g, nil
}
