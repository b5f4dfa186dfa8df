package etcd3

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/storage"
	"github.com/kapi-dev/kapi/storage/embedded"
)

func TestMetrics(t *testing.T) {
	e := startEtcd(t, embedded.Config{})
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("registering the metrics twice on one registry succeeded")
	}
	s := New(e.client, "/registry", configMapCodec, WithMetrics(m), WithTypeLabel("configmaps"))
	ctx := context.Background()
	if _, err := s.Create(ctx, "/configmaps/ns1/a", configMap("ns1", "a", nil, nil)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.Get(ctx, "/configmaps/ns1/a", storage.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "etcd_request_duration_seconds" {
			continue
		}
		for _, metric := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] != "configmaps" {
				t.Errorf("type label %q, want configmaps", labels["type"])
			}
			counts[labels["operation"]] = metric.GetHistogram().GetSampleCount()
		}
	}
	if counts["create"] != 1 || counts["get"] != 2 {
		t.Fatalf("recorded %v, want create 1 and get 2", counts)
	}
}
