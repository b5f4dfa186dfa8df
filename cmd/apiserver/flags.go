package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/host/server"
)

// options are the command line, before validation.
type options struct {
	bindAddress                 string
	securePort                  int
	tlsCertFile, tlsKeyFile     string
	clientCAFile                string
	tokenAuthFile               string
	anonymousAuth               bool
	authorizationModes          []string
	admissionPlugins            []string
	etcdServers                 []string
	etcdCAFile, etcdCertFile    string
	etcdKeyFile, etcdPrefix     string
	etcdOverrides               []string
	etcdCompactionInterval      time.Duration
	maxRequestsInFlight         int
	maxMutatingRequestsInFlight int
	requestTimeout              time.Duration
	serviceClusterIPRange       string
	dataDir                     string
	pluginDir, pluginConfig     string
	profiling                   bool
}

// parseFlags parses the command line; help is true when --help was asked for.
func parseFlags(args []string, stderr io.Writer) (opts options, help bool, err error) {
	fs := pflag.NewFlagSet("apiserver", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.bindAddress, "bind-address", "127.0.0.1", "The IP address on which to listen for the --secure-port port.")
	fs.IntVar(&opts.securePort, "secure-port", 6443, "The port on which to serve HTTPS with authentication and authorization (0: a free port).")
	fs.StringVar(&opts.tlsCertFile, "tls-cert-file", "", "File containing the default x509 certificate for HTTPS. Without it, dev mode makes a CA, a serving certificate and an admin kubeconfig in --data-dir.")
	fs.StringVar(&opts.tlsKeyFile, "tls-private-key-file", "", "File containing the default x509 private key matching --tls-cert-file.")
	fs.StringVar(&opts.clientCAFile, "client-ca-file", "", "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate. In dev mode the dev CA is used when unset.")
	fs.StringVar(&opts.tokenAuthFile, "token-auth-file", "", "If set, the file that will be used to secure the secure port of the API server via token authentication (CSV: token,user,uid,\"group1,group2\").")
	fs.BoolVar(&opts.anonymousAuth, "anonymous-auth", true, "Enables anonymous requests to the secure port of the API server.")
	fs.StringSliceVar(&opts.authorizationModes, "authorization-mode", []string{"AlwaysAllow"}, "Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of: AlwaysAllow,AlwaysDeny.")
	fs.StringSliceVar(&opts.admissionPlugins, "enable-admission-plugins", nil, "Admission plugins to run, in order, comma-delimited.")
	fs.StringSliceVar(&opts.etcdServers, "etcd-servers", nil, "List of etcd servers to connect with (scheme://ip:port), comma separated. Without it, an embedded etcd runs in --data-dir.")
	fs.StringVar(&opts.etcdCAFile, "etcd-cafile", "", "SSL Certificate Authority file used to secure etcd communication.")
	fs.StringVar(&opts.etcdCertFile, "etcd-certfile", "", "SSL certification file used to secure etcd communication.")
	fs.StringVar(&opts.etcdKeyFile, "etcd-keyfile", "", "SSL key file used to secure etcd communication.")
	fs.StringVar(&opts.etcdPrefix, "etcd-prefix", "/registry", "The prefix to prepend to all resource paths in etcd.")
	fs.StringSliceVar(&opts.etcdOverrides, "etcd-servers-overrides", nil, "Per-resource etcd servers overrides, comma separated. The individual override format: group/resource#servers, where servers are URLs, semicolon separated.")
	fs.DurationVar(&opts.etcdCompactionInterval, "etcd-compaction-interval", 5*time.Minute, "The interval of compaction requests. If 0, the compaction request from apiserver is disabled.")
	fs.IntVar(&opts.maxRequestsInFlight, "max-requests-inflight", 400, "The maximum number of non-mutating requests in flight at a given time. Zero for no limit.")
	fs.IntVar(&opts.maxMutatingRequestsInFlight, "max-mutating-requests-inflight", 200, "The maximum number of mutating requests in flight at a given time. Zero for no limit.")
	fs.DurationVar(&opts.requestTimeout, "request-timeout", time.Minute, "The duration a handler must keep a request open before timing it out. Not for watches.")
	fs.StringVar(&opts.serviceClusterIPRange, "service-cluster-ip-range", "10.96.0.0/12", "A CIDR notation IP range from which to assign service cluster IPs.")
	fs.BoolVar(&opts.profiling, "profiling", true, "Enable profiling via web interface host:port/debug/pprof/")
	fs.StringVar(&opts.pluginDir, "plugin-dir", "", "Directory of Wasm and process plugins, one folder each with its manifest.yaml; changed plugins are hot-reloaded.")
	fs.StringVar(&opts.pluginConfig, "plugin-config", "", "PluginConfiguration file (apiVersion kapi.dev/v1alpha1) listing the authenticators, authorizers and admission plugins in order; each list it states replaces the one the flags give. The file is hot-reloaded (the flags are not); a bad one leaves the running configuration serving.")
	fs.StringVar(&opts.dataDir, "data-dir", ".kapi-data", "Directory for kapi's own state: embedded etcd data, dev certificates, admin.kubeconfig.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return opts, true, nil
		}
		return opts, false, err
	}
	if fs.NArg() > 0 {
		return opts, false, fmt.Errorf("unexpected argument %q (flags only; subcommands: version)", fs.Arg(0))
	}
	return opts, false, nil
}

// config validates the options and turns them into the server's configuration.
func (o options) config() (server.Config, error) {
	var cfg server.Config
	if net.ParseIP(o.bindAddress) == nil {
		return cfg, fmt.Errorf("--bind-address: %q is not an IP address", o.bindAddress)
	}
	if o.securePort < 0 || o.securePort > 65535 {
		return cfg, fmt.Errorf("--secure-port: %d must be between 0 and 65535", o.securePort)
	}
	if (o.tlsCertFile == "") != (o.tlsKeyFile == "") {
		return cfg, errors.New("--tls-cert-file and --tls-private-key-file must be given together")
	}
	if o.maxRequestsInFlight < 0 {
		return cfg, fmt.Errorf("--max-requests-inflight: %d must not be negative", o.maxRequestsInFlight)
	}
	if o.maxMutatingRequestsInFlight < 0 {
		return cfg, fmt.Errorf("--max-mutating-requests-inflight: %d must not be negative", o.maxMutatingRequestsInFlight)
	}
	if o.requestTimeout <= 0 {
		return cfg, fmt.Errorf("--request-timeout: %v must be positive", o.requestTimeout)
	}
	if o.etcdCompactionInterval < 0 {
		return cfg, fmt.Errorf("--etcd-compaction-interval: %v must not be negative", o.etcdCompactionInterval)
	}
	if len(o.authorizationModes) == 0 {
		return cfg, errors.New("--authorization-mode: at least one mode is required")
	}
	_, serviceRange, err := net.ParseCIDR(o.serviceClusterIPRange)
	if err != nil {
		return cfg, fmt.Errorf("--service-cluster-ip-range: %w", err)
	}
	if o.dataDir == "" {
		return cfg, errors.New("--data-dir must not be empty")
	}
	cfg = server.Config{
		BindAddress: o.bindAddress, SecurePort: o.securePort,
		TLSCertFile: o.tlsCertFile, TLSPrivateKeyFile: o.tlsKeyFile,
		ClientCAFile: o.clientCAFile, TokenAuthFile: o.tokenAuthFile, AnonymousAuth: o.anonymousAuth,
		AuthorizationModes: o.authorizationModes, EnableAdmissionPlugins: o.admissionPlugins,
		EtcdServers: o.etcdServers, EtcdCAFile: o.etcdCAFile, EtcdCertFile: o.etcdCertFile, EtcdKeyFile: o.etcdKeyFile,
		EtcdPrefix: o.etcdPrefix, EtcdServersOverrides: strings.Join(o.etcdOverrides, ","),
		EtcdCompactionInterval: o.etcdCompactionInterval,
		MaxRequestsInFlight:    o.maxRequestsInFlight, MaxMutatingRequestsInFlight: o.maxMutatingRequestsInFlight,
		RequestTimeout: o.requestTimeout, ServiceClusterIPRange: serviceRange,
		DataDir:      o.dataDir,
		PluginDir:    o.pluginDir,
		PluginConfig: o.pluginConfig,
		Profiling:    o.profiling,
	}
	// The overrides' syntax is checked here, so a bad value stops start-up before anything runs.
	if _, err := cfg.EtcdConfig(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
