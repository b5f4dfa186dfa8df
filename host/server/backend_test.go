package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kapi-dev/kapi/abi"
)

// TestRealBackend runs the server with its real API (embedded etcd, the built-in resources, REST,
// discovery, bootstrap) and reads what a client wrote through the plugins' object reader.
func TestRealBackend(t *testing.T) {
	ts := startTestServer(t, nil, nil)
	base := "https://" + ts.srv.Addr()
	c := ts.client(t, true)
	for i := 0; ; i++ {
		resp, body := get(t, c, base+"/readyz")
		if resp.StatusCode == 200 && body == "ok" {
			break
		}
		if i > 600 {
			t.Fatalf("never ready: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Bootstrap made the default namespace; create a configmap in it.
	cm := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","labels":{"app":"web"}},"data":{"color":"blue"}}`
	resp, err := c.Post(base+"/api/v1/namespaces/default/configmaps", "application/json", strings.NewReader(cm))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, c, base+"/api/v1/namespaces/default/configmaps/settings"); resp.StatusCode != 200 || !strings.Contains(body, `"color":"blue"`) {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, c, base+"/apis/apps/v1"); resp.StatusCode != 200 || !strings.Contains(body, `"deployments"`) {
		t.Fatalf("discovery: %d %s", resp.StatusCode, body)
	}

	rr := registryReader{reg: ts.srv.registry}
	ctx := context.Background()
	configmaps := abi.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	var got corev1.ConfigMap
	for i := 0; ; i++ {
		data, err := rr.Get(ctx, configmaps, "default", "settings")
		if err == nil {
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			break
		}
		// The watch cache may lag the write by a moment.
		if !errors.Is(err, abi.ErrNotFound) || i > 100 {
			t.Fatalf("reader get: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.Kind != "ConfigMap" || got.APIVersion != "v1" || got.Data["color"] != "blue" {
		t.Fatalf("reader get: %+v", got)
	}
	list, err := rr.List(ctx, configmaps, "default", "app=web")
	if err != nil || !bytes.Contains(list, []byte(`"kind":"ConfigMapList"`)) || !bytes.Contains(list, []byte(`"settings"`)) || bytes.Contains(list, []byte("kube-root-ca.crt")) {
		t.Fatalf("reader list: %v %s", err, list)
	}
	if _, err := rr.Get(ctx, configmaps, "default", "nope"); !errors.Is(err, abi.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	if _, err := rr.Get(ctx, abi.GroupVersionResource{Group: "x.io", Version: "v1", Resource: "things"}, "", "a"); !errors.Is(err, abi.ErrNotFound) {
		t.Fatalf("unknown resource: %v", err)
	}
	var he *abi.HostError
	if _, err := rr.List(ctx, configmaps, "default", "app in (("); !errors.As(err, &he) || he.Code != abi.HostErrBadRequest {
		t.Fatalf("bad selector: %v", err)
	}
}
