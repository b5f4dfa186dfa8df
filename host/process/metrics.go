package process

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// UpMetric is the name of the gauge that says whether a process plugin's process is running and
// answering health checks (1) or down, restarting (0), labelled with the plugin's name.
const UpMetric = "kapi_plugin_process_up"

// upCollector reports UpMetric for the loaded plugins of one registry. A hot reload runs the old
// and the new Plugin of a name side by side until the old one's calls end: the series is theirs
// together (1 while either has a live process), and goes when the last of them is closed, so that
// closing the old one does not take away the new one's.
type upCollector struct {
	desc    *prometheus.Desc
	mu      sync.Mutex
	plugins map[*Plugin]bool
}

// upCollectorFor registers an upCollector on reg, reusing one registered by an earlier Load.
func upCollectorFor(reg prometheus.Registerer) (*upCollector, error) {
	c := &upCollector{
		desc: prometheus.NewDesc(UpMetric,
			"Whether a process plugin's process is running and healthy (1) or down and being restarted (0).",
			[]string{"plugin"}, nil),
		plugins: map[*Plugin]bool{},
	}
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*upCollector); ok {
				return existing, nil
			}
		}
		return nil, err
	}
	return c, nil
}

func (c *upCollector) add(p *Plugin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plugins[p] = true
}

func (c *upCollector) remove(p *Plugin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.plugins, p)
}

func (c *upCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *upCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	up := map[string]float64{}
	for p := range c.plugins {
		v := 0.0
		if p.up.Load() {
			v = 1
		}
		up[p.manifest.Name] = max(up[p.manifest.Name], v)
	}
	for name, v := range up {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, name)
	}
}
