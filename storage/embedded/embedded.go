// Package embedded runs etcd inside the kapi process (go.etcd.io/etcd/server/v3/embed): one
// member for the default single-binary set-up, or a small loopback cluster for tests of the
// scale-out story. Its one job is starting and stopping etcd servers; it imports nothing of kapi.
//
// Why kernel-chosen ports? Tests run in parallel on shared machines, and a fixed port collides.
// Client URLs are bound to 127.0.0.1:0 and the real address is read back from the listener. A
// cluster's peer URLs must be known to every member before any starts, so those ports are reserved
// (listen, note, close) and the whole start is retried when another process took one meanwhile.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// defaultReadyTimeout bounds the wait for a member to become ready when ctx has no deadline.
const defaultReadyTimeout = time.Minute

// Config configures one embedded etcd member.
type Config struct {
	// Dir holds the member's data; starting again with the same Dir reuses the data.
	Dir string
	// Logger receives etcd's logs; nil means a logger that only reports errors.
	Logger *zap.Logger
	// ClientTLS, when it names a certificate, makes the client URL https. Set ClientCertAuth and
	// TrustedCAFile in it to require client certificates.
	ClientTLS transport.TLSInfo
	// Name is the member name; "" means "default".
	Name string
	// WatchProgressNotifyInterval is how often etcd sends progress notifications to watchers
	// that asked for them; 0 keeps etcd's default (10 minutes).
	WatchProgressNotifyInterval time.Duration
	// UnsafeNoFsync skips fsync: faster, and a crash of the machine loses acknowledged writes.
	// For tests only.
	UnsafeNoFsync bool
}

// Etcd is a running embedded etcd member.
type Etcd struct {
	server    *embed.Etcd
	endpoints []string
	logger    *zap.Logger
	closing   *atomic.Bool // set by Close; silences the errors etcd logs while its listeners shut
	closeOnce sync.Once
}

// Start starts a single-member etcd with its data in cfg.Dir, listening on loopback ports the
// kernel chooses, and returns once it serves requests.
func Start(ctx context.Context, cfg Config) (*Etcd, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded etcd: Config.Dir is required")
	}
	closing := new(atomic.Bool)
	ecfg, err := newEmbedConfig(cfg, closing)
	if err != nil {
		return nil, err
	}
	peer, err := url.Parse("http://127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ecfg.ListenPeerUrls = []url.URL{*peer}
	ecfg.AdvertisePeerUrls = []url.URL{*peer}
	ecfg.InitialCluster = ecfg.InitialClusterFromName(ecfg.Name)
	e, err := startMember(ecfg, quietLogger(cfg.Logger), closing)
	if err != nil {
		return nil, err
	}
	if err := e.waitReady(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// newEmbedConfig builds the embed configuration that every member shares: data directory,
// logging, and a client URL on a kernel-chosen loopback port.
func newEmbedConfig(cfg Config, closing *atomic.Bool) (*embed.Config, error) {
	ecfg := embed.NewConfig()
	ecfg.Dir = cfg.Dir
	if cfg.Name != "" {
		ecfg.Name = cfg.Name
	}
	ecfg.Logger = "zap"
	lg := quietLogger(cfg.Logger).WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &closingCore{Core: c, closing: closing}
	}))
	ecfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	ecfg.UnsafeNoFsync = cfg.UnsafeNoFsync
	if cfg.WatchProgressNotifyInterval > 0 {
		ecfg.WatchProgressNotifyInterval = cfg.WatchProgressNotifyInterval
	}
	scheme := "http"
	if !cfg.ClientTLS.Empty() {
		scheme = "https"
		ecfg.ClientTLSInfo = cfg.ClientTLS
	}
	client, err := url.Parse(scheme + "://127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ecfg.ListenClientUrls = []url.URL{*client}
	ecfg.AdvertiseClientUrls = []url.URL{*client}
	return ecfg, nil
}

// quietLogger returns lg, or a logger that only reports errors.
func quietLogger(lg *zap.Logger) *zap.Logger {
	if lg != nil {
		return lg
	}
	zcfg := zap.NewProductionConfig()
	zcfg.Level = zap.NewAtomicLevelAt(zapcore.ErrorLevel)
	zcfg.Sampling = nil
	l, err := zcfg.Build()
	if err != nil {
		return zap.NewNop()
	}
	return l
}

// startMember starts the embed server and records the client endpoints it really listens on.
func startMember(ecfg *embed.Config, lg *zap.Logger, closing *atomic.Bool) (*Etcd, error) {
	srv, err := embed.StartEtcd(ecfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", ecfg.Dir, err)
	}
	scheme := ecfg.ListenClientUrls[0].Scheme
	e := &Etcd{server: srv, logger: lg, closing: closing}
	for _, l := range srv.Clients {
		e.endpoints = append(e.endpoints, scheme+"://"+l.Addr().String())
	}
	return e, nil
}

// waitReady waits until the member has joined its cluster and serves requests.
func (e *Etcd) waitReady(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	select {
	case <-e.server.Server.ReadyNotify():
		return nil
	case err := <-e.server.Err():
		return fmt.Errorf("embedded etcd %s failed before it was ready: %w", e.server.Config().Name, err)
	case <-ctx.Done():
		return fmt.Errorf("waiting for embedded etcd %s to be ready: %w", e.server.Config().Name, ctx.Err())
	}
}

// Endpoints are the member's client URLs.
func (e *Etcd) Endpoints() []string {
	return append([]string(nil), e.endpoints...)
}

// NewClient returns a client of this member (plain http only; for TLS members build a client
// with the TLS files, e.g. storage/etcdconfig.NewClient). The caller closes it.
func (e *Etcd) NewClient() (*clientv3.Client, error) {
	return newClient(e.endpoints, e.logger)
}

// NewClusterClient returns a client that knows every member of the cluster.
func NewClusterClient(members []*Etcd) (*clientv3.Client, error) {
	var endpoints []string
	var lg *zap.Logger
	for _, m := range members {
		endpoints = append(endpoints, m.endpoints...)
		lg = m.logger
	}
	return newClient(endpoints, lg)
}

func newClient(endpoints []string, lg *zap.Logger) (*clientv3.Client, error) {
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Logger:      quietLogger(lg),
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to embedded etcd %v: %w", endpoints, err)
	}
	return c, nil
}

// Err reports a failure of the running member (a listener that stopped serving, say).
func (e *Etcd) Err() <-chan error {
	return e.server.Err()
}

// Close stops the member gracefully and waits until it has stopped. It is safe to call more
// than once.
func (e *Etcd) Close() error {
	e.closeOnce.Do(func() {
		e.closing.Store(true)
		e.server.Close()
		<-e.server.Server.StopNotify()
	})
	return nil
}

// closingCore drops etcd's log entries once the member is being closed: etcd reports each
// listener it shuts ("use of closed network connection", "http: Server closed") as an error,
// which on a graceful stop is noise.
type closingCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c *closingCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.closing.Load() {
		return ce
	}
	return c.Core.Check(ent, ce)
}

func (c *closingCore) With(fields []zapcore.Field) zapcore.Core {
	return &closingCore{Core: c.Core.With(fields), closing: c.closing}
}
