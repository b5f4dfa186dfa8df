// Package etcdconfig turns kube-apiserver's etcd flags (--etcd-servers, --etcd-cafile,
// --etcd-certfile, --etcd-keyfile, --etcd-prefix, --etcd-servers-overrides,
// --etcd-compaction-interval) into etcd clients: which servers a resource lives on, and a client
// for them. It imports etcd's client and apimachinery's schema, and nothing of kapi.
package etcdconfig

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Client settings, as kube-apiserver's etcd3 client.
const (
	dialTimeout      = 20 * time.Second
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
)

// Config is the etcd part of the server's configuration.
type Config struct {
	// Servers are the etcd client URLs (--etcd-servers).
	Servers []string
	// CAFile, CertFile and KeyFile secure the connection (--etcd-cafile, --etcd-certfile,
	// --etcd-keyfile); empty means plain http.
	CAFile, CertFile, KeyFile string
	// Prefix is the key prefix of every object (--etcd-prefix, "/registry" by default in kube).
	Prefix string
	// Overrides route resources to other servers (--etcd-servers-overrides).
	Overrides []Override
	// CompactionInterval is how often to compact etcd's history (--etcd-compaction-interval);
	// 0 disables compaction.
	CompactionInterval time.Duration
}

// Override routes one resource to its own etcd servers.
type Override struct {
	GroupResource schema.GroupResource
	Servers       []string
}

// String writes the override back in the flag's syntax.
func (o Override) String() string {
	return o.GroupResource.Group + "/" + o.GroupResource.Resource + "#" + strings.Join(o.Servers, ";")
}

// ServersFor returns the servers that hold gr: its override if there is one (the last one wins,
// as in kube-apiserver), otherwise Servers.
func (c Config) ServersFor(gr schema.GroupResource) []string {
	for i := len(c.Overrides) - 1; i >= 0; i-- {
		if c.Overrides[i].GroupResource == gr {
			return c.Overrides[i].Servers
		}
	}
	return c.Servers
}

// Validate checks the configuration once, at start-up, naming the flag that is wrong.
func (c Config) Validate() error {
	if len(c.Servers) == 0 {
		return fmt.Errorf("--etcd-servers must be specified")
	}
	for _, s := range c.Servers {
		if err := validateServer(s); err != nil {
			return fmt.Errorf("--etcd-servers: %w", err)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("--etcd-certfile and --etcd-keyfile must be given together")
	}
	if c.CompactionInterval < 0 {
		return fmt.Errorf("--etcd-compaction-interval must not be negative, got %s", c.CompactionInterval)
	}
	return nil
}

// validateServer accepts an http or https URL with a host, as etcd's client needs.
func validateServer(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("server %q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("server %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return fmt.Errorf("server %q has no host", s)
	}
	return nil
}

// NewClient connects to servers, over TLS when any of the files is given: caFile verifies the
// servers, certFile and keyFile authenticate us. It does not wait for a connection; requests do.
func NewClient(servers []string, caFile, certFile, keyFile string) (*clientv3.Client, error) {
	cfg := clientv3.Config{
		Endpoints:            servers,
		DialTimeout:          dialTimeout,
		DialKeepAliveTime:    keepaliveTime,
		DialKeepAliveTimeout: keepaliveTimeout,
		Logger:               quietLogger(),
	}
	if caFile != "" || certFile != "" || keyFile != "" {
		info := transport.TLSInfo{CertFile: certFile, KeyFile: keyFile, TrustedCAFile: caFile}
		tlsConfig, err := info.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd client TLS (ca %q, cert %q, key %q): %w", caFile, certFile, keyFile, err)
		}
		cfg.TLS = tlsConfig
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd client for %v: %w", servers, err)
	}
	return c, nil
}

// quietLogger reports only the client's errors.
func quietLogger() *zap.Logger {
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(zapcore.ErrorLevel)
	l, err := zcfg.Build()
	if err != nil {
		return zap.NewNop()
	}
	return l
}
