package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/host/request"
)

func TestObserveRequestLabels(t *testing.T) {
	cases := []struct {
		name string
		info *request.Info
		code int
		want []string // verb, group, version, resource, subresource, scope, component, code
	}{
		{"namespaced list", &request.Info{IsResourceRequest: true, Verb: "list", APIVersion: "v1", Namespace: "ns", Resource: "configmaps"}, 200,
			[]string{"LIST", "", "v1", "configmaps", "", "namespace", "apiserver", "200"}},
		{"create", &request.Info{IsResourceRequest: true, Verb: "create", APIGroup: "apps", APIVersion: "v1", Namespace: "ns", Resource: "deployments"}, 201,
			[]string{"POST", "apps", "v1", "deployments", "", "resource", "apiserver", "201"}},
		{"cluster watch", &request.Info{IsResourceRequest: true, Verb: "watch", APIVersion: "v1", Resource: "namespaces"}, 200,
			[]string{"WATCH", "", "v1", "namespaces", "", "cluster", "apiserver", "200"}},
		{"status update", &request.Info{IsResourceRequest: true, Verb: "update", APIVersion: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "status"}, 409,
			[]string{"PUT", "", "v1", "pods", "status", "resource", "apiserver", "409"}},
		{"non-resource", &request.Info{Verb: "get", Path: "/healthz"}, 200,
			[]string{"GET", "", "", "", "", "", "apiserver", "200"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New()
			m.ObserveRequest(tc.info, tc.code, time.Millisecond)
			w := tc.want
			line := `apiserver_request_total{code="` + w[7] + `",component="` + w[6] + `",group="` + w[1] + `",resource="` + w[3] +
				`",scope="` + w[5] + `",subresource="` + w[4] + `",verb="` + w[0] + `",version="` + w[2] + `"} 1`
			if body := scrape(t, m); !strings.Contains(body, line) {
				t.Fatalf("/metrics lacks %s", line)
			}
		})
	}
}

func TestHandlerExposesOwnRegistry(t *testing.T) {
	m := New()
	info := &request.Info{IsResourceRequest: true, Verb: "watch", APIVersion: "v1", Resource: "pods"}
	done := m.TrackLongRunning(info)
	m.SetInflight("mutating", 3)
	m.ObserveRequest(info, 200, time.Second)
	body := scrape(t, m)
	for _, want := range []string{
		`apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="WATCH",version="v1"} 1`,
		`apiserver_current_inflight_requests{request_kind="mutating"} 3`,
		`apiserver_request_duration_seconds_count{component="apiserver"`,
		"go_goroutines",
		"process_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	done()
	if body := scrape(t, m); !strings.Contains(body, `apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="WATCH",version="v1"} 0`) {
		t.Errorf("long-running gauge not back to 0 after done")
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
