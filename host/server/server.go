// Package server is kapi's HTTPS server: it assembles the handler chain (buildChain, the one place
// the filters' order is written), the router, the health and metrics endpoints, TLS with client
// certificates, the API (storage, registry, REST, discovery, OpenAPI, controllers), and a graceful
// shutdown.
//
// server is the top of host: it may import every host package, registry and storage; nothing but
// cmd imports it.
//
// # Rationale
//
// Why is the chain a list of stages rather than nested calls? Nested WithX(WithY(...)) calls read
// inside out; a list reads in the order requests meet the stages, with the reason for each place
// beside it (buildChain).
//
// Why does New listen, and Run serve? The address (port 0 in tests and e2e) is known as soon as
// New returns, so the admin kubeconfig can name it before storage starts.
//
// Why are watches ended by the server, not by http.Server.Shutdown? Shutdown waits for active
// connections to go idle, which a watch never does; closing their contexts first lets Shutdown
// wait for ordinary requests only.
//
// Why serve HTTP/2 through golang.org/x/net/http2 rather than net/http's bundled copy? Only
// x/net lets the server choose the HTTP/2 write scheduler, and the default one walks every open
// stream of a connection for each frame it writes: with 1,000 watches on one client connection
// that walk was a fifth of the server's CPU in a watch fan-out (http2.go). The settings stay on
// http.Server (HTTP2, timeouts), which x/net reads, and Shutdown still sends GOAWAY. From Go 1.27
// x/net hands connections back to net/http and ignores the scheduler; re-measure then.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/kapi-dev/kapi/host/health"
	"github.com/kapi-dev/kapi/host/metrics"
	"github.com/kapi-dev/kapi/host/plugins"
	"github.com/kapi-dev/kapi/registry"
)

// Config is everything the flags give the server.
type Config struct {
	// BindAddress and SecurePort are where to listen; port 0 lets the kernel choose (Addr tells).
	BindAddress string
	SecurePort  int

	// TLSCertFile and TLSPrivateKeyFile are the serving certificate and key (required).
	TLSCertFile, TLSPrivateKeyFile string
	// ClientCAFile verifies client certificates; client-certificate authentication is on when set.
	ClientCAFile string
	// TokenAuthFile is kube's static token CSV; token authentication is on when set.
	TokenAuthFile string
	// AnonymousAuth lets requests without credentials in as system:anonymous.
	AnonymousAuth bool
	// AuthorizationModes are the authorizers, asked in order (AlwaysAllow, AlwaysDeny).
	AuthorizationModes []string
	// EnableAdmissionPlugins are the admission plugins, run in order.
	EnableAdmissionPlugins []string

	// Etcd: without EtcdServers, embedded etcd runs in DataDir.
	EtcdServers                           []string
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	EtcdPrefix                            string
	// EtcdServersOverrides is kube's --etcd-servers-overrides value, unparsed.
	EtcdServersOverrides   string
	EtcdCompactionInterval time.Duration

	// MaxRequestsInFlight and MaxMutatingRequestsInFlight bound concurrent requests (0: no bound).
	MaxRequestsInFlight         int
	MaxMutatingRequestsInFlight int
	// RequestTimeout bounds requests that are not long-running.
	RequestTimeout time.Duration
	// ServiceClusterIPRange is where Service cluster IPs come from (the kubernetes service takes
	// the first).
	ServiceClusterIPRange *net.IPNet

	// RootCAFile is the cluster CA published to every namespace as kube-root-ca.crt (dev mode:
	// the dev CA); none is published when empty.
	RootCAFile string

	// Profiling serves /debug/pprof, as kube-apiserver's --profiling (authorized like any
	// non-resource path).
	Profiling bool

	// PluginDir holds Wasm and process plugins, a folder each (--plugin-dir).
	PluginDir string
	// PluginConfig is the PluginConfiguration file (--plugin-config); see host/plugins for how it
	// combines with AuthorizationModes and EnableAdmissionPlugins.
	PluginConfig string

	// DataDir holds kapi's own state (embedded etcd, the Wasm compilation cache).
	DataDir string
	// ShutdownTimeout bounds how long shutdown waits for in-flight requests (60s when zero).
	ShutdownTimeout time.Duration
}

// Server is a configured server, listening once New returns.
type Server struct {
	cfg       Config
	listener  net.Listener
	tlsConfig *tls.Config
	metrics   *metrics.Metrics
	shutdown  *health.Flag
	bootstrap *health.Flag
	// pluginSet is every loaded plugin; Run hot-reloads it.
	pluginSet *plugins.Set

	// registry is the set of served resources; filled when Run starts storage.
	registry *registry.Registry

	// The plugin set's authenticator, authorizer and admission: each follows the plugin
	// configuration as it reloads.
	authenticator plugins.Authenticator
	authorizer    plugins.Authorizer
	admission     plugins.Admission

	stopLongRunning chan struct{}
	closeOnce       sync.Once

	// newBackend builds the API; tests replace it with stubs.
	newBackend func(ctx context.Context, s *Server) (*backend, error)
}

// New validates the configuration, loads the certificates, provisions the authentication and
// authorization plugins, and listens on the secure port. Storage starts in Run.
func New(cfg Config) (*Server, error) {
	if cfg.TLSCertFile == "" || cfg.TLSPrivateKeyFile == "" {
		return nil, errors.New("--tls-cert-file and --tls-private-key-file are required")
	}
	if cfg.SecurePort < 0 || cfg.SecurePort > 65535 {
		return nil, fmt.Errorf("--secure-port: %d is not a port", cfg.SecurePort)
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 60 * time.Second
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSPrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert-file/--tls-private-key-file: %w", err)
	}
	tlsConfig := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if cfg.ClientCAFile != "" {
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--client-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca-file: no PEM certificates in %s", cfg.ClientCAFile)
		}
		tlsConfig.ClientCAs = pool
		// A client may come with a certificate or with a token; a certificate that is given
		// must verify.
		tlsConfig.ClientAuth = tls.VerifyClientCertIfGiven
	}

	s := &Server{
		cfg:             cfg,
		tlsConfig:       tlsConfig,
		metrics:         metrics.New(),
		shutdown:        health.NewShutdown(),
		bootstrap:       health.NewHook("start-kapi-controllers"),
		stopLongRunning: make(chan struct{}),
		newBackend:      startBackend,
		registry:        registry.New(),
	}
	if err := loadPlugins(context.Background(), s); err != nil {
		return nil, err
	}

	addr := net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.SecurePort))
	s.listener, err = net.Listen("tcp", addr)
	if err != nil {
		s.closePlugins()
		return nil, fmt.Errorf("listening on %s (--bind-address, --secure-port): %w", addr, err)
	}
	return s, nil
}

// Addr is the address the server listens on, host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Metrics is the server's metrics registry, for other parts to register their collectors.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Run starts storage and the API, serves until ctx is cancelled, then shuts down gracefully:
// readyz starts failing, the listener closes, watches end, in-flight requests finish (within
// ShutdownTimeout), controllers stop and storage closes. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	defer s.closePlugins()
	be, err := s.newBackend(ctx, s)
	if err != nil {
		s.listener.Close()
		return err
	}
	defer be.stop()
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); s.pluginSet.Watch(watchCtx) }()
	defer func() { stopWatch(); <-watchDone }()

	rt := routes{
		healthz:   health.NewEndpoint("healthz", append([]health.Check{health.Ping, health.Log}, be.checks...)...),
		livez:     health.NewEndpoint("livez", append([]health.Check{health.Ping, health.Log}, be.checks...)...),
		readyz:    health.NewEndpoint("readyz", append(append([]health.Check{health.Ping, health.Log}, be.checks...), s.pluginSet.ReadyzCheck(), s.bootstrap.Check(), s.shutdown.Check())...),
		metrics:   s.metrics.Handler(),
		discovery: be.discovery,
		openapi:   be.openapi,
		rest:      be.rest,
		profiling: s.cfg.Profiling,
	}
	handler := buildChain(newRouter(rt), chainConfig{
		authenticator:               s.authenticator,
		authorizer:                  s.authorizer,
		maxRequestsInFlight:         s.cfg.MaxRequestsInFlight,
		maxMutatingRequestsInFlight: s.cfg.MaxMutatingRequestsInFlight,
		requestTimeout:              s.cfg.RequestTimeout,
		metrics:                     s.metrics,
		stopLongRunning:             s.stopLongRunning,
		now:                         time.Now,
	})
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         s.tlsConfig,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          log.New(tlsNoiseFilter{}, "", 0),
		// kube-apiserver's default (--http2-max-streams-per-connection): informers and watchers
		// of one client share a connection, and Go's default of 250 streams would queue them.
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 1000},
	}
	if err := http2.ConfigureServer(srv, &http2.Server{NewWriteScheduler: newWriteScheduler}); err != nil {
		s.listener.Close()
		return fmt.Errorf("configuring HTTP/2: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ServeTLS(s.listener, "", "") }()
	slog.Info("Serving securely on " + s.Addr())

	postStartDone := make(chan error, 1)
	go func() { postStartDone <- be.postStart(ctx) }()

	select {
	case err := <-serveErr:
		s.stopWatches()
		return fmt.Errorf("serving: %w", err)
	case err := <-postStartDone:
		if err != nil {
			s.stopWatches()
			_ = srv.Close()
			return fmt.Errorf("starting: %w", err)
		}
		s.bootstrap.Done()
	case <-ctx.Done():
	}
	<-ctx.Done()

	slog.Info("shutting down")
	// readyz fails from now on, so load balancers stop sending requests here.
	s.shutdown.Set()
	// Watches would hold Shutdown until its bound: end them first.
	s.stopWatches()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

func (s *Server) stopWatches() {
	s.closeOnce.Do(func() { close(s.stopLongRunning) })
}

func (s *Server) closePlugins() {
	if s.pluginSet != nil {
		s.pluginSet.Close()
	}
}

// tlsNoiseFilter sends http.Server's own log lines to slog, dropping TLS handshake failures:
// probes and clients that distrust the dev CA would otherwise fill the log.
type tlsNoiseFilter struct{}

func (tlsNoiseFilter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if !strings.Contains(line, "TLS handshake error") {
		slog.Warn(line)
	}
	return len(p), nil
}
