package pluginapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/abi"
)

var configmaps = abi.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func TestHostServicesObjectCapabilities(t *testing.T) {
	reader := NewFixtureReader()
	reader.Put(configmaps, "ns", "a", []byte(`{"metadata":{"name":"a","labels":{"team":"x"}}}`))
	reader.Put(configmaps, "ns", "b", []byte(`{"metadata":{"name":"b","labels":{"team":"y"}}}`))
	secrets := abi.GroupVersionResource{Version: "v1", Resource: "secrets"}
	m := &Manifest{Name: "p", Capabilities: Capabilities{Resources: []ResourceCapability{
		{Version: "v1", Resource: "configmaps", Verbs: []string{"get", "list"}},
		{Version: "v1", Resource: "pods", Verbs: []string{"get"}},
	}}}
	m.SetDefaults()
	h := NewHostServices(m, slog.New(slog.DiscardHandler), reader, nil)
	ctx := context.Background()

	if got, err := h.GetObject(ctx, configmaps, "ns", "a"); err != nil || !strings.Contains(string(got), `"name":"a"`) {
		t.Errorf("get declared resource: %s, %v", got, err)
	}
	if _, err := h.GetObject(ctx, configmaps, "ns", "zzz"); !errors.Is(err, abi.ErrNotFound) {
		t.Errorf("get missing object: %v, want ErrNotFound", err)
	}
	if _, err := h.GetObject(ctx, secrets, "ns", "a"); !errors.Is(err, abi.ErrNotPermitted) {
		t.Errorf("get undeclared resource: %v, want ErrNotPermitted", err)
	}
	if _, err := h.ListObjects(ctx, abi.GroupVersionResource{Version: "v1", Resource: "pods"}, "", ""); !errors.Is(err, abi.ErrNotPermitted) {
		t.Errorf("list with only get declared: %v, want ErrNotPermitted", err)
	}
	list, err := h.ListObjects(ctx, configmaps, "ns", "team=y")
	if err != nil || !strings.Contains(string(list), `"name":"b"`) || strings.Contains(string(list), `"name":"a"`) {
		t.Errorf("list with selector: %s, %v", list, err)
	}
}

func TestHostServicesHTTPCapabilities(t *testing.T) {
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", r.Header.Get("X-In"))
		_, _ = w.Write(append([]byte("echo:"), body...))
	}))
	defer allowed.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached an undeclared host: %s", r.URL)
	}))
	defer other.Close()

	u, _ := url.Parse(allowed.URL)
	m := &Manifest{Name: "p", Capabilities: Capabilities{Hosts: []string{u.Host}}}
	m.SetDefaults()
	h := NewHostServices(m, nil, nil, allowed.Client())
	ctx := context.Background()

	resp, err := h.HTTP(ctx, abi.HTTPRequest{Method: "POST", URL: allowed.URL + "/x", Body: []byte("hi"), Headers: map[string][]string{"X-In": {"v"}}})
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(resp.Body, []byte("echo:hi")) || resp.Headers["X-Echo"][0] != "v" {
		t.Errorf("declared host: %+v, %v", resp, err)
	}
	cases := []struct{ name, url string }{
		{"undeclared host", other.URL + "/x"},
		{"redirect to undeclared host", allowed.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/y")},
	}
	for _, tc := range cases {
		if _, err := h.HTTP(ctx, abi.HTTPRequest{URL: tc.url}); !errors.Is(err, abi.ErrNotPermitted) {
			t.Errorf("%s: %v, want ErrNotPermitted", tc.name, err)
		}
	}
	for _, bad := range []string{"file:///etc/passwd", "::", "http://"} {
		var he *abi.HostError
		if _, err := h.HTTP(ctx, abi.HTTPRequest{URL: bad}); !errors.As(err, &he) || he.Code != abi.HostErrBadRequest {
			t.Errorf("URL %q: %v, want bad request", bad, err)
		}
	}
}

func TestHostAllowedPorts(t *testing.T) {
	m := &Manifest{Capabilities: Capabilities{Hosts: []string{"any.example", "fixed.example:8443", "web.example:443"}}}
	h := &hostServices{manifest: m}
	cases := map[string]bool{
		"https://any.example/x":        true,
		"http://any.example:9/x":       true,
		"https://fixed.example:8443/":  true,
		"https://fixed.example/":       false,
		"https://web.example/":         true,
		"http://web.example/":          false,
		"https://ANY.example/":         true,
		"https://evil.example/":        false,
		"https://any.example.evil.io/": false,
	}
	for raw, want := range cases {
		u, _ := url.Parse(raw)
		if got := h.hostAllowed(u); got != want {
			t.Errorf("hostAllowed(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestHostServicesLogTagsPlugin(t *testing.T) {
	var buf bytes.Buffer
	m := &Manifest{Name: "tagged"}
	h := NewHostServices(m, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), nil, nil)
	h.Log(abi.LogWarn, "hello")
	if s := buf.String(); !strings.Contains(s, "plugin=tagged") || !strings.Contains(s, "level=WARN") || !strings.Contains(s, "hello") {
		t.Errorf("log line %q", s)
	}
}
