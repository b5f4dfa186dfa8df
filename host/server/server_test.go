package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kapi-dev/kapi/host/request"
)

// stubAPI is a backend whose REST handler streams "watch" requests until their context ends and
// answers everything else with the RequestInfo it saw.
func stubAPI(watchStarted chan<- struct{}) func(context.Context, *Server) (*backend, error) {
	return func(context.Context, *Server) (*backend, error) {
		return &backend{
			rest: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				info, _ := request.InfoFrom(r.Context())
				if info.Verb == "watch" {
					w.WriteHeader(200)
					w.(http.Flusher).Flush()
					watchStarted <- struct{}{}
					<-r.Context().Done()
					return
				}
				if info.Resource == "boom" {
					panic("boom")
				}
				_ = json.NewEncoder(w).Encode(info)
			}),
			postStart: func(context.Context) error { return nil },
			stop:      func() {},
		}, nil
	}
}

type testServer struct {
	srv    *Server
	certs  *DevCerts
	cancel context.CancelFunc
	done   chan error
}

func startTestServer(t *testing.T, mutate func(*Config), watchStarted chan struct{}) *testServer {
	t.Helper()
	dir := t.TempDir()
	certs, err := EnsureDevCerts(filepath.Join(dir, "pki"), []string{"127.0.0.1", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		BindAddress: "127.0.0.1", SecurePort: 0,
		TLSCertFile: certs.ServingCertFile, TLSPrivateKeyFile: certs.ServingKey,
		ClientCAFile: certs.CAFile, AnonymousAuth: true, AuthorizationModes: []string{"AlwaysAllow"},
		MaxRequestsInFlight: 400, MaxMutatingRequestsInFlight: 200, RequestTimeout: time.Minute,
		DataDir: dir, ShutdownTimeout: time.Hour,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if watchStarted != nil {
		srv.newBackend = stubAPI(watchStarted)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, certs: certs, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ts.done
	})
	return ts
}

// client returns an HTTP/2 client trusting the dev CA, with the admin certificate when admin.
func (ts *testServer) client(t *testing.T, admin bool) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(ts.certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool}
	if admin {
		cert, err := tls.LoadX509KeyPair(ts.certs.AdminCertFile, ts.certs.AdminKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServerServesOverTLS(t *testing.T) {
	ts := startTestServer(t, nil, make(chan struct{}, 1))
	base := "https://" + ts.srv.Addr()
	admin := ts.client(t, true)

	resp, body := get(t, admin, base+"/version")
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Fatalf("/version: %d over HTTP/%d", resp.StatusCode, resp.ProtoMajor)
	}
	var v version.Info
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Major != "1" || !strings.HasPrefix(v.GitVersion, "v1.32.") || v.Platform == "" {
		t.Fatalf("/version: %v %+v", err, v)
	}
	if resp.Header.Get("Audit-ID") == "" || resp.Header.Get("Cache-Control") != "no-cache, private" {
		t.Fatalf("bookkeeping headers missing: %v", resp.Header)
	}

	cases := []struct {
		path string
		code int
		has  string
	}{
		{"/healthz", 200, "ok"},
		{"/livez?verbose", 200, "[+]ping ok\n[+]log ok\nlivez check passed\n"},
		{"/readyz?verbose", 200, "[+]poststarthook/start-kapi-controllers ok\n[+]shutdown ok\nreadyz check passed"},
		{"/readyz/ping", 200, "ok"},
		{"/readyz/nope", 404, "404 page not found"},
		{"/metrics", 200, "apiserver_request_total{"},
		{"/nothing/here", 404, "404 page not found"},
		{"/api/v1/namespaces/a/configmaps/b", 200, `"Resource":"configmaps"`},
	}
	for _, tc := range cases {
		var resp *http.Response
		var body string
		// readyz waits for the post-start hook, which races the first request.
		for i := 0; i < 100; i++ {
			resp, body = get(t, admin, base+tc.path)
			if tc.path != "/readyz?verbose" || resp.StatusCode == 200 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.has) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.path, resp.StatusCode, body, tc.code, tc.has)
		}
	}

	// A panic in the API is a 500 Status, and the server keeps serving.
	resp, body = get(t, admin, base+"/api/v1/boom")
	var st metav1.Status
	if resp.StatusCode != 500 || json.Unmarshal([]byte(body), &st) != nil || st.Kind != "Status" {
		t.Fatalf("panic: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, admin, base+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("not serving after a panic: %d", resp.StatusCode)
	}
}

func TestServerAuthentication(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("sekret,alice,1,\"dev\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startTestServer(t, func(c *Config) {
		c.AnonymousAuth = false
		c.TokenAuthFile = tokens
		c.AuthorizationModes = []string{"AlwaysDeny"}
	}, make(chan struct{}, 1))
	base := "https://" + ts.srv.Addr()

	// The admin certificate is in system:masters: allowed before AlwaysDeny is asked.
	if resp, body := get(t, ts.client(t, true), base+"/api/v1/pods"); resp.StatusCode != 200 {
		t.Fatalf("admin: %d %s", resp.StatusCode, body)
	}
	anon := ts.client(t, false)
	if resp, _ := get(t, anon, base+"/api/v1/pods"); resp.StatusCode != 401 {
		t.Fatalf("anonymous with --anonymous-auth=false: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/namespaces/ns/pods", nil)
	req.Header.Set("Authorization", "Bearer sekret")
	resp, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st metav1.Status
	_ = json.Unmarshal(body, &st)
	want := `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "ns": Everything is forbidden.`
	if resp.StatusCode != 403 || st.Message != want {
		t.Fatalf("token user: %d %q", resp.StatusCode, st.Message)
	}
}

func TestServerRejectsUnknownClientCA(t *testing.T) {
	ts := startTestServer(t, nil, make(chan struct{}, 1))
	other, err := EnsureDevCerts(t.TempDir(), []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	c := ts.client(t, false)
	cert, err := tls.LoadX509KeyPair(other.AdminCertFile, other.AdminKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{cert}
	if _, err := c.Get("https://" + ts.srv.Addr() + "/healthz"); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
}

func TestServerShutdownEndsWatches(t *testing.T) {
	watchStarted := make(chan struct{}, 1)
	ts := startTestServer(t, nil, watchStarted)
	c := ts.client(t, true)
	resp, err := c.Get("https://" + ts.srv.Addr() + "/api/v1/configmaps?watch=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-watchStarted
	ts.cancel()
	// The watch stream ends (instead of holding shutdown for its hour-long bound) ...
	if _, err := io.ReadAll(resp.Body); err != nil && !errors.Is(err, io.EOF) {
		t.Logf("watch stream ended with %v", err)
	}
	// ... and Run returns cleanly.
	if err := <-ts.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	ts.done <- nil // for the cleanup
	if ts.srv.shutdown.Check().Run(nil) == nil {
		t.Fatal("readyz's shutdown check still passes after shutdown")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	certs, err := EnsureDevCerts(t.TempDir(), []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	good := Config{BindAddress: "127.0.0.1", TLSCertFile: certs.ServingCertFile, TLSPrivateKeyFile: certs.ServingKey, AuthorizationModes: []string{"AlwaysAllow"}}
	cases := []struct {
		name   string
		mutate func(*Config)
		has    string
	}{
		{"no cert", func(c *Config) { c.TLSCertFile = "" }, "--tls-cert-file"},
		{"missing cert", func(c *Config) { c.TLSCertFile = "/nonexistent" }, "--tls-cert-file"},
		{"bad client CA", func(c *Config) { c.ClientCAFile = certs.ServingKey }, "--client-ca-file"},
		{"unknown mode", func(c *Config) { c.AuthorizationModes = []string{"RBAC"} }, `--authorization-mode: unknown plugin "RBAC"`},
		{"authenticator as mode", func(c *Config) { c.AuthorizationModes = []string{"x509"} }, "not an authorizer"},
		{"no mode", func(c *Config) { c.AuthorizationModes = nil }, "--authorization-mode"},
		{"missing token file", func(c *Config) { c.TokenAuthFile = "/nonexistent" }, "--token-auth-file"},
		{"unknown admission", func(c *Config) { c.EnableAdmissionPlugins = []string{"NamespaceLifecycle2"} }, "--enable-admission-plugins"},
		{"bad port", func(c *Config) { c.SecurePort = 70000 }, "--secure-port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mutate(&cfg)
			s, err := New(cfg)
			if err == nil {
				s.listener.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.has) {
				t.Fatalf("error %q does not name %q", err, tc.has)
			}
		})
	}
}

func TestEnsureDevCertsReuses(t *testing.T) {
	dir := t.TempDir()
	first, err := EnsureDevCerts(dir, []string{"127.0.0.1", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	ca, serving, admin := read(first.CAFile), read(first.ServingCertFile), read(first.AdminCertFile)
	if _, err := EnsureDevCerts(dir, []string{"localhost", "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if read(first.CAFile) != ca || read(first.ServingCertFile) != serving || read(first.AdminCertFile) != admin {
		t.Fatal("certificates were remade on restart")
	}
	// A new bind address needs a new serving certificate from the same CA.
	if _, err := EnsureDevCerts(dir, []string{"127.0.0.1", "localhost", "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if read(first.CAFile) != ca || read(first.ServingCertFile) == serving || read(first.AdminCertFile) != admin {
		t.Fatal("a new host did not remake (only) the serving certificate")
	}
	cert, err := readCert(first.AdminCertFile)
	if err != nil || cert.Subject.CommonName != AdminUser || len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != AdminGroup {
		t.Fatalf("admin cert subject: %v %v", err, cert.Subject)
	}
}

func TestFirstServiceIP(t *testing.T) {
	cases := []struct{ cidr, want string }{
		{"10.96.0.0/12", "10.96.0.1"},
		{"10.0.0.0/24", "10.0.0.1"},
		{"fd00::/108", "fd00::1"},
		{"10.0.0.7/32", "<nil>"},
	}
	for _, tc := range cases {
		_, n, err := net.ParseCIDR(tc.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if got := FirstServiceIP(n).String(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.cidr, got, tc.want)
		}
	}
}
