package wasm_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

func manifest(t testing.TB, yaml string) *pluginapi.Manifest {
	t.Helper()
	m, err := pluginapi.DecodeManifest([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newRuntime(t testing.TB, cfg wasm.RuntimeConfig) *wasm.Runtime {
	t.Helper()
	r, err := wasm.NewRuntime(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func load(t testing.TB, r *wasm.Runtime, m *pluginapi.Manifest, module []byte, host abi.Host) *wasm.Plugin {
	t.Helper()
	p, err := r.Load(context.Background(), m, module, host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

var configmaps = abi.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func podReview(uid, marker string) *abi.AdmissionReview {
	return abi.NewAdmissionReview(&abi.AdmissionRequest{
		UID: uid, Kind: abi.GroupVersionKind{Version: "v1", Kind: "Pod"}, Resource: abi.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: "default", Name: "web", Operation: "CREATE",
		Object: json.RawMessage(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","annotations":{"marker":"` + marker + `"}},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}`),
	})
}

const goodManifest = `
name: good
kind: ValidatingAdmission
abiVersion: "1.0"
entry: good.wasm
capabilities:
  resources: [{version: v1, resource: configmaps, verbs: [get]}]
limits: {instances: 2, timeout: 2s}
config: {prefix: "p-"}
`

func TestGoodGuestEveryKindAndHostService(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	logs := &pluginkit.LogBuffer{}
	logger := logs.Logger()
	r := newRuntime(t, wasm.RuntimeConfig{Logger: logger})
	ctx := context.Background()

	reader := pluginapi.NewFixtureReader()
	reader.Put(configmaps, "ns", "policy", []byte(`{"data":{"k":"v"}}`))
	reader.Put(configmaps, "ns", "a1", []byte(`{"metadata":{"name":"a1","labels":{"team":"a"}}}`))
	reader.Put(configmaps, "ns", "b1", []byte(`{"metadata":{"name":"b1","labels":{"team":"b"}}}`))
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("pong to "), body...))
	}))
	defer server.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the guest reached a host its manifest does not declare")
	}))
	defer other.Close()
	serverURL, _ := url.Parse(server.URL)
	m := manifest(t, strings.Replace(goodManifest, "verbs: [get]}]", "verbs: [get, list]}]\n  hosts: [\""+serverURL.Host+"\"]", 1))
	p := load(t, r, m, module, pluginapi.NewHostServices(m, logger, reader, server.Client()))

	cases := []struct {
		marker      string
		wantAllowed bool
		wantText    string
	}{
		{"none", true, ""},
		{"deny-me", false, "denied by good"},
		{"read-configmap", true, `{"data":{"k":"v"}}`},
		{"read-secret", false, "host error: get v1/secrets: not permitted by the plugin's manifest"},
		{"list-configmaps", true, `"items":[{"metadata":{"name":"a1","labels":{"team":"a"}}}]`},
		{"call-http " + server.URL + "/x", true, "200 pong to ping"},
		{"call-http " + other.URL + "/x", false, "host error: http to " + strings.TrimPrefix(other.URL, "http://") + ": not permitted"},
	}
	for _, tc := range cases {
		resp, err := p.Validate(ctx, podReview("u-"+tc.marker, tc.marker))
		tc.marker = strings.Fields(tc.marker)[0]
		if err != nil {
			t.Fatalf("%s: %v", tc.marker, err)
		}
		text := strings.Join(resp.Warnings, ",")
		if resp.Result != nil {
			text += resp.Result.Message
		}
		if resp.Allowed != tc.wantAllowed || !strings.Contains(text, tc.wantText) || !strings.HasPrefix(resp.UID, "u-"+tc.marker) {
			t.Errorf("%s: got %+v (%s), want allowed=%v containing %q", tc.marker, resp, text, tc.wantAllowed, tc.wantText)
		}
	}

	// The guest's clock is the host's (kapi.now).
	before := time.Now().Truncate(time.Second)
	resp, err := p.Validate(ctx, podReview("u-time", "what-time"))
	after := time.Now()
	if err != nil || len(resp.Warnings) != 1 {
		t.Fatalf("what-time: %+v, %v", resp, err)
	}
	if guestNow, err := time.Parse(time.RFC3339, resp.Warnings[0]); err != nil || guestNow.Before(before) || guestNow.After(after) {
		t.Errorf("guest time %s (%v), want between %s and %s", resp.Warnings[0], err, before, after)
	}

	// A plugin error crosses as an error envelope and is reported as the plugin's own error.
	_, err = p.Validate(ctx, podReview("u-err", "plugin-error"))
	if err == nil || !strings.Contains(err.Error(), `plugin "good": error: asked to fail`) {
		t.Errorf("plugin error: %v", err)
	}
	// The call export of another kind is refused.
	if _, err := p.Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "alice"})); err == nil {
		t.Error("a ValidatingAdmission plugin served Authorize")
	}
	// The guest's log and stderr reach the server log, tagged with the plugin's name.
	for _, want := range []string{"level=INFO msg=provisioned plugin=good", `level=WARN msg="hello from stderr" plugin=good stream=stderr`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestGoodGuestOtherKinds(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	r := newRuntime(t, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	base := strings.Replace(goodManifest, "capabilities:\n  resources: [{version: v1, resource: configmaps, verbs: [get]}]\n", "", 1)

	authn := load(t, r, manifest(t, strings.Replace(base, "ValidatingAdmission", "Authenticator", 1)), module, nil)
	st, err := authn.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "good"}))
	if err != nil || !st.Authenticated || st.User.Username != "p-alice" {
		t.Errorf("authenticate: %+v, %v (config prefix must reach the guest)", st, err)
	}
	st, err = authn.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "bad"}))
	if err != nil || st.Authenticated {
		t.Errorf("unknown token: %+v, %v", st, err)
	}
	// Provision replaces the configuration of every instance.
	if err := authn.Provision(ctx, []byte(`{"prefix":"q-"}`), nil); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if st, err := authn.Authenticate(ctx, abi.NewTokenReview(abi.TokenReviewSpec{Token: "good"})); err != nil || st.User.Username != "q-alice" {
			t.Errorf("after Provision: %+v, %v", st, err)
		}
	}
	if err := authn.Provision(ctx, []byte(`{"nope":1}`), nil); err == nil || !strings.Contains(err.Error(), `provisioning plugin "good"`) {
		t.Errorf("Provision with a bad config: %v", err)
	}

	authz := load(t, r, manifest(t, strings.Replace(base, "ValidatingAdmission", "Authorizer", 1)), module, nil)
	sst, err := authz.Authorize(ctx, abi.NewSubjectAccessReview(abi.SubjectAccessReviewSpec{User: "bob"}))
	if err != nil || !sst.Denied || sst.Allowed || sst.Reason != "only alice" {
		t.Errorf("authorize bob: %+v, %v", sst, err)
	}

	mut := load(t, r, manifest(t, strings.Replace(base, "ValidatingAdmission", "MutatingAdmission", 1)), module, nil)
	resp, err := mut.Admit(ctx, podReview("u1", "x"))
	if err != nil || !resp.Allowed || resp.PatchType == nil || *resp.PatchType != abi.PatchTypeJSONPatch ||
		string(resp.Patch) != `[{"op":"add","path":"/metadata/labels","value":{"guest":"good"}}]` {
		t.Errorf("admit: %+v, %v", resp, err)
	}
}

func TestBadConfigFailsLoad(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	r := newRuntime(t, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	m := manifest(t, strings.Replace(goodManifest, `config: {prefix: "p-"}`, `config: {colour: blue}`, 1))
	_, err := r.Load(context.Background(), m, module, nil)
	if err == nil || !strings.Contains(err.Error(), `loading wasm plugin "good"`) || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Fatalf("load with a bad config: %v", err)
	}
}

func TestCompilationCacheOnDisk(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	dir := t.TempDir()
	snapshot := func() map[string]int64 {
		files := map[string]int64{}
		_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				files[path] = info.ModTime().UnixNano()
			}
			return nil
		})
		return files
	}
	m := manifest(t, goodManifest)
	for i := range 2 {
		r, err := wasm.NewRuntime(context.Background(), wasm.RuntimeConfig{CacheDir: dir, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot()
		p, err := r.Load(context.Background(), m, module, nil)
		if err != nil {
			t.Fatal(err)
		}
		after := snapshot()
		_ = p.Close()
		_ = r.Close(context.Background())
		switch i {
		case 0:
			if len(after) == 0 {
				t.Fatal("the first load left the cache directory empty")
			}
		case 1:
			// A restart (a new Runtime on the same directory) finds the module compiled: nothing
			// is written, every cached file is as the first load left it.
			if len(before) == 0 || len(after) != len(before) {
				t.Fatalf("second load changed the cache: %d files before, %d after", len(before), len(after))
			}
			for f, mt := range before {
				if after[f] != mt {
					t.Errorf("second load rewrote %s", f)
				}
			}
		}
	}
}

func TestInstanceGauges(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/panic")
	reg := prometheus.NewRegistry()
	r := newRuntime(t, wasm.RuntimeConfig{Registerer: reg, Logger: slog.New(slog.DiscardHandler)})
	p := load(t, r, manifest(t, "{name: gauged, kind: ValidatingAdmission, abiVersion: '1.0', entry: g.wasm, limits: {instances: 3}}"), module, nil)
	gauge := func() float64 {
		var m dto.Metric
		g, err := r.Metrics().Instances.GetMetricWithLabelValues("gauged")
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	if n := gauge(); n != 3 {
		t.Fatalf("after load: %v instances, want 3", n)
	}
	if _, err := p.Validate(context.Background(), podReview("u", "boom")); err == nil {
		t.Fatal("the panicking call succeeded")
	}
	if n := gauge(); n != 2 {
		t.Fatalf("after a trap: %v instances, want 2 (the failed one discarded)", n)
	}
	for range 3 {
		if _, err := p.Validate(context.Background(), podReview("u", "fine")); err != nil {
			t.Fatal(err)
		}
	}
	if n := gauge(); n != 3 {
		t.Fatalf("after good calls: %v instances, want 3 (the slot refilled)", n)
	}
	_ = p.Close()
	if n := gauge(); n != 0 {
		t.Fatalf("after Close: %v instances, want 0", n)
	}
}
