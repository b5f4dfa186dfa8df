package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	sdkprocess "github.com/kapi-dev/kapi/sdk/process"
)

// Options configure Load. The zero value is usable.
type Options struct {
	// Logger receives the plugin's stdout, stderr and go-plugin's events, tagged with the plugin's
	// name; nil is slog's default.
	Logger *slog.Logger
	// Registerer receives the plugin metrics (pluginapi.Metrics, mode "process") and the
	// kapi_plugin_process_up gauge; nil registers them nowhere.
	Registerer prometheus.Registerer
	// MinBackoff and MaxBackoff bound the wait before restarting a dead process: MinBackoff after
	// a process that served calls died, doubling while restarts fail or restarted processes die
	// before serving a call. Defaults 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration
	// HealthInterval is how often a live process is health-checked (and a dead one noticed
	// without a call). Default 5s.
	HealthInterval time.Duration
	// StartTimeout bounds a process's start: the handshake and Provision. Default 10s.
	StartTimeout time.Duration
}

// Option defaults.
const (
	DefaultMinBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultHealthInterval = 5 * time.Second
	DefaultStartTimeout   = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// Plugin is a loaded process plugin: one long-lived process, supervised. It implements
// abi.Plugin and the four kind interfaces; only the method of its manifest's kind works, the
// others fail naming the kind. Calls may be concurrent; they share the process's one connection.
type Plugin struct {
	// Caller decodes the answers of the calls roundTrip carries, and implements the kind
	// interfaces.
	*pluginapi.Caller

	manifest   *pluginapi.Manifest
	executable string
	opts       Options
	logger     *slog.Logger
	metrics    *pluginapi.Metrics
	// up says the process is live (UpMetric, reported by ups).
	up       atomic.Bool
	ups      *upCollector
	busy     prometheus.Gauge // this plugin's kapi_plugin_instances_busy: slots taken
	callPath string
	// slots holds one token per call in flight: limits.instances calls reach the process at
	// once, the others wait within their deadline.
	slots chan struct{}

	// host and config are what Provision gives every process, the first and each restarted one.
	hostMu sync.RWMutex
	host   abi.Host
	config []byte

	// mu guards the supervision state (supervise.go).
	mu sync.Mutex
	// proc is the live process, nil while one is being restarted.
	proc *proc
	// ready is closed when a restart attempt ends, put a live process in proc or failed.
	ready chan struct{}
	// startErr is the last restart's failure, while proc is nil.
	startErr error
	// backoff is the wait before the next restart, nextStart when the current one will begin.
	backoff   time.Duration
	nextStart time.Time
	closed    bool

	spawner   *spawner
	stop      chan struct{}
	loops     sync.WaitGroup // the health loop and restarts
	closeOnce sync.Once
}

// Load starts a process plugin's executable and provisions it with the manifest's config. host is
// the plugin's abi.Host (see pluginapi.NewHostServices), served to the process over go-plugin's
// broker; nil gives host services with no object reader. The result implements abi.Plugin and the
// interface of the manifest's kind; it is not wrapped in the failure policy (see
// pluginapi.WithFailurePolicy, with p.Metrics() and mode pluginapi.ModeProcess). The caller must
// Close it.
func Load(ctx context.Context, m *pluginapi.Manifest, executable string, host abi.Host, opts Options) (*Plugin, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	p, err := load(ctx, m, executable, host, opts.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("loading process plugin %q: %w", m.Name, err)
	}
	return p, nil
}

func load(ctx context.Context, m *pluginapi.Manifest, executable string, host abi.Host, opts Options) (*Plugin, error) {
	if m.Mode != pluginapi.ModeProcess {
		return nil, fmt.Errorf("manifest mode is %q, not %q", m.Mode, pluginapi.ModeProcess)
	}
	abs, err := filepath.Abs(executable)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("executable: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("executable %s is not an executable file (mode %s)", abs, fi.Mode())
	}
	metrics, err := pluginapi.NewMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ups, err := upCollectorFor(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	logger := opts.Logger.With("plugin", m.Name)
	if host == nil {
		host = pluginapi.NewHostServices(m, opts.Logger, nil, nil)
	}
	p := &Plugin{
		manifest:   m,
		executable: abs,
		opts:       opts,
		logger:     logger,
		metrics:    metrics,
		ups:        ups,
		busy:       metrics.InstancesBusy.WithLabelValues(m.Name),
		callPath:   sdkprocess.FullMethod(sdkprocess.PluginService, sdkprocess.CallMethod(m.Kind)),
		slots:      make(chan struct{}, m.Limits.Instances),
		host:       host,
		config:     m.ConfigJSON(),
		backoff:    opts.MinBackoff,
		spawner:    newSpawner(),
		stop:       make(chan struct{}),
	}
	if p.Caller, err = pluginapi.NewCaller(m, p.roundTrip); err != nil {
		p.spawner.stop()
		return nil, err
	}
	pr, err := p.start(ctx)
	if err != nil {
		p.spawner.stop()
		return nil, err
	}
	p.proc = pr
	p.up.Store(true)
	ups.add(p)
	p.logger.Info("plugin process started", "pid", pr.pid, "executable", abs)
	p.loops.Add(1)
	go p.healthLoop()
	return p, nil
}

// Name is the plugin's name from its manifest.
func (p *Plugin) Name() string { return p.manifest.Name }

// Metrics are the plugin metrics this plugin reports to, for the failure-policy wrapper.
func (p *Plugin) Metrics() *pluginapi.Metrics { return p.metrics }

// PID is the process id of the live process, 0 while it is being restarted.
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.pid
}

func (p *Plugin) currentHost() abi.Host {
	p.hostMu.RLock()
	defer p.hostMu.RUnlock()
	return p.host
}

// Provision replaces the plugin's configuration (and its host services, when host is not nil)
// and provisions the live process with it; a restarted process gets it too. Load has already
// provisioned the process with its manifest's config.
func (p *Plugin) Provision(ctx context.Context, config []byte, host abi.Host) error {
	p.hostMu.Lock()
	p.config = config
	if len(config) == 0 {
		p.config = []byte("{}")
	}
	if host != nil {
		p.host = host
	}
	p.hostMu.Unlock()
	pr, err := p.acquire(ctx)
	if err == nil {
		err = p.provision(ctx, pr)
	}
	if err != nil {
		return fmt.Errorf("provisioning plugin %q: %w", p.manifest.Name, err)
	}
	return nil
}

var errClosed = errors.New("plugin is closed")

// roundTrip runs one call (a pluginapi.RoundTrip) on the live process under the manifest's
// deadline, once one of its limits.instances slots is free, and classifies a failure: a deadline
// is a timeout; a connection that broke is a dead process (restarted, see supervise.go); an
// Internal status is the plugin's recovered panic, a trap.
func (p *Plugin) roundTrip(ctx context.Context, kind abi.Kind, req []byte) ([]byte, error) {
	if kind != p.manifest.Kind {
		return nil, &pluginapi.CallError{Plugin: p.manifest.Name, Reason: pluginapi.ReasonError,
			Err: fmt.Errorf("a %s plugin does not serve %s", p.manifest.Kind,
				sdkprocess.FullMethod(sdkprocess.PluginService, sdkprocess.CallMethod(kind)))}
	}
	ctx, cancel := context.WithTimeout(ctx, p.manifest.Timeout())
	defer cancel()
	select {
	case p.slots <- struct{}{}:
		p.busy.Inc()
		defer func() { p.busy.Dec(); <-p.slots }()
	case <-ctx.Done():
		return nil, p.noSlot(ctx)
	}
	pr, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	out, err := pr.invoke(ctx, p.callPath, req)
	if err != nil {
		return nil, p.callFailed(ctx, pr, err)
	}
	p.served()
	return out, nil
}

// noSlot is the failure of a call whose deadline (or caller) gave up while every slot was busy.
func (p *Plugin) noSlot(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &pluginapi.CallError{Plugin: p.manifest.Name, Reason: pluginapi.ReasonTimeout,
			Err: fmt.Errorf("no free instance before the call's deadline (limits.instances: %d calls in flight): %w",
				p.manifest.Limits.Instances, context.DeadlineExceeded)}
	}
	return &pluginapi.CallError{Plugin: p.manifest.Name, Reason: pluginapi.ReasonError,
		Err: fmt.Errorf("call abandoned waiting for a free instance: %w", ctx.Err())}
}

func (p *Plugin) callFailed(ctx context.Context, pr *proc, err error) error {
	fail := func(reason pluginapi.FailureReason, err error) error {
		return &pluginapi.CallError{Plugin: p.manifest.Name, Reason: reason, Err: err}
	}
	st, _ := status.FromError(err)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || st.Code() == codes.DeadlineExceeded:
		return fail(pluginapi.ReasonTimeout, fmt.Errorf("no answer within %s: %w", p.manifest.Timeout(), context.DeadlineExceeded))
	case ctx.Err() != nil:
		return fail(pluginapi.ReasonError, fmt.Errorf("call abandoned: %w", ctx.Err()))
	case st.Code() == codes.Unimplemented || st.Code() == codes.InvalidArgument:
		// The process answered: it does not serve this kind, or could not decode the request.
		return fail(pluginapi.ReasonError, errors.New(st.Message()))
	case st.Code() == codes.Internal && strings.HasPrefix(st.Message(), sdkprocess.PanicMessage):
		// The process answered: sdk/process recovered a panic in this call.
		return fail(pluginapi.ReasonTrap, errors.New(st.Message()))
	}
	// Anything else (Unavailable, a reset stream, a truncated answer ...) means the connection or
	// the process broke during the call; whether or not go-plugin has seen the exit yet, the
	// process is replaced rather than trusted with another call.
	p.markDead(pr, "the call broke off: "+st.Message())
	return fail(pluginapi.ReasonTrap, fmt.Errorf("plugin process (pid %d) died during the call (restarting it): %s: %s", pr.pid, st.Code(), st.Message()))
}
