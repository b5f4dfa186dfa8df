package process_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/process"
)

// A hot reload runs the old and the new Plugin of a name side by side: closing the old one
// leaves the name's up series to the new one; it goes with the last.
func TestUpSeriesOutlivesAReplacedPlugin(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := manifest(t, "reloaded", abi.KindAuthorizer)
	old := load(t, m, nil, process.Options{Registerer: reg})
	next := load(t, m, nil, process.Options{Registerer: reg})
	if got := gauge(t, reg, process.UpMetric, "reloaded"); got != 1 {
		t.Fatalf("%s = %v with both running, want 1", process.UpMetric, got)
	}
	old.Close()
	if got := gauge(t, reg, process.UpMetric, "reloaded"); got != 1 {
		t.Errorf("%s = %v after the old version closed, want the new one's 1", process.UpMetric, got)
	}
	next.Close()
	if got := gauge(t, reg, process.UpMetric, "reloaded"); got != -1 {
		t.Errorf("%s = %v after both closed, want it gone", process.UpMetric, got)
	}
}
