package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/process"
	"github.com/kapi-dev/kapi/host/wasm"
	builtins "github.com/kapi-dev/kapi/plugins"
	// Every built-in, registered by name.
	_ "github.com/kapi-dev/kapi/plugins/all"
)

// ManifestFile is the name of a plugin folder's manifest.
const ManifestFile = "manifest.yaml"

// DefaultPollInterval is how often Watch looks at the plugin directory.
const DefaultPollInterval = 2 * time.Second

// Options configure Load.
type Options struct {
	// Dir is the plugin directory; wasm and process entries are its folders.
	Dir string
	// CacheDir holds compiled Wasm modules across restarts (<data-dir>/wasm-cache); empty keeps
	// them in memory.
	CacheDir string
	// Reader serves plugins' object reads (the server's watch cache); nil reads nothing.
	Reader pluginapi.ObjectReader
	// Registerer receives the plugin metrics and kapi_plugin_reload_failures_total; nil: nowhere.
	Registerer prometheus.Registerer
	// Logger is the server log; nil is slog's default.
	Logger *slog.Logger
	// PollInterval is how often Watch polls the directory (DefaultPollInterval when zero).
	PollInterval time.Duration
}

// Member is one loaded plugin as the chain sees it: the interfaces it serves are non-nil. A
// built-in admission plugin may be both mutating and validating.
type Member struct {
	Name          string
	Authenticator abi.Authenticator
	Authorizer    abi.Authorizer
	Mutating      abi.MutatingAdmission
	Validating    abi.ValidatingAdmission
}

// Set is the loaded plugins of the current configuration. A hot reload swaps what a wasm or
// process member runs behind it; a configuration reload (Start's file) swaps the whole chains.
type Set struct {
	opts           Options
	flags          Flags
	logger         *slog.Logger
	metrics        *pluginapi.Metrics
	reloadFailures *prometheus.CounterVec
	configReloads  *prometheus.CounterVec

	wasmOnce sync.Once
	wasmRT   *wasm.Runtime
	wasmErr  error

	// gen is the current configuration's chains; calls through Authenticator, Authorizer and
	// Admission hold it, so a retired one closes its plugins only after its calls end.
	gen      current[*generation]
	retiring sync.WaitGroup
	// pollMu makes Poll (and Close) one at a time: the watch state below is theirs.
	pollMu sync.Mutex
	config configWatch

	mu        sync.Mutex
	reloadErr map[string]error // plugin name -> last failed reload
	configErr error            // the last failed configuration reload
	closeOnce sync.Once
}

// Load loads every entry of cfg, in order. On an error it closes what it loaded. The set's
// configuration stays cfg; Watch reloads its plugin folders (Start also reloads a file).
func Load(ctx context.Context, cfg *Configuration, opts Options) (*Set, error) {
	return loadSet(ctx, cfg, Flags{}, opts)
}

func loadSet(ctx context.Context, cfg *Configuration, flags Flags, opts Options) (*Set, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	metrics, err := pluginapi.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("plugin metrics: %w", err)
	}
	failures, err := registerCounter(reg, prometheus.CounterOpts{
		Name: "kapi_plugin_reload_failures_total",
		Help: "Hot reloads of a plugin that failed, leaving the old version serving.",
	}, "plugin")
	if err != nil {
		return nil, err
	}
	configReloads, err := registerCounter(reg, prometheus.CounterOpts{
		Name: "kapi_plugin_config_reloads_total",
		Help: "Reloads of the plugin configuration file by status (success, or failure leaving the old configuration serving).",
	}, "status")
	if err != nil {
		return nil, err
	}
	s := &Set{opts: opts, flags: flags, logger: opts.Logger, metrics: metrics, reloadFailures: failures,
		configReloads: configReloads, reloadErr: map[string]error{}}
	g, err := s.build(ctx, cfg, nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.gen.store(g)
	return s, nil
}

// registerCounter registers a counter vector, or returns the one already registered under its
// name (a second Set on the same registry).
func registerCounter(reg prometheus.Registerer, opts prometheus.CounterOpts, label string) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(opts, []string{label})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, fmt.Errorf("plugin metrics: %w", err)
		}
		return are.ExistingCollector.(*prometheus.CounterVec), nil
	}
	return c, nil
}

// loadUnit loads one entry; want is the kind its section needs ("" for admission: either).
func (s *Set) loadUnit(ctx context.Context, want abi.Kind, e Entry) (*unit, error) {
	if e.Source == SourceBuiltin {
		return s.loadBuiltin(ctx, want, e)
	}
	man, p, err := s.loadFolder(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := kindFits(want, man.Kind); err != nil {
		_ = p.Close()
		return nil, err
	}
	r := &reloadable{entry: e, kind: man.Kind, slot: newSlot(e.Name, p)}
	r.stamp, _ = fingerprint(s.folder(e.Name), man)
	return &unit{member: r.member(), reload: r}, nil
}

func kindFits(want, got abi.Kind) error {
	switch {
	case want == "" && (got == abi.KindMutatingAdmission || got == abi.KindValidatingAdmission):
		return nil
	case want != "" && want == got:
		return nil
	case want == "":
		return fmt.Errorf("the manifest's kind is %s, not an admission kind", got)
	}
	return fmt.Errorf("the manifest's kind is %s, not %s", got, want)
}

// builtinReader is implemented by a built-in that reads objects through the host: the resources
// it declares are its capabilities (get and list), as a manifest's would be.
type builtinReader interface {
	ReadsResources() []abi.GroupVersionResource
}

func (s *Set) loadBuiltin(ctx context.Context, want abi.Kind, e Entry) (*unit, error) {
	newPlugin, ok := builtins.Lookup(e.Name)
	if !ok {
		return nil, fmt.Errorf("unknown built-in plugin %q", e.Name)
	}
	p := newPlugin()
	policy := e.FailurePolicy
	if policy == "" {
		policy = pluginapi.Fail
	}
	manifest := func(kind abi.Kind) *pluginapi.Manifest {
		m := &pluginapi.Manifest{Name: e.Name, Kind: kind, ABIVersion: abi.Version, Mode: pluginapi.ModeNative, FailurePolicy: policy}
		if r, ok := p.(builtinReader); ok {
			for _, gvr := range r.ReadsResources() {
				m.Capabilities.Resources = append(m.Capabilities.Resources, pluginapi.ResourceCapability{
					Group: gvr.Group, Version: gvr.Version, Resource: gvr.Resource, Verbs: []string{"get", "list"}})
			}
		}
		m.SetDefaults()
		m.Mode = pluginapi.ModeNative
		return m
	}
	var kinds []abi.Kind
	_, isAuthn := p.(abi.Authenticator)
	_, isAuthz := p.(abi.Authorizer)
	_, isMut := p.(abi.MutatingAdmission)
	_, isVal := p.(abi.ValidatingAdmission)
	switch {
	case want == abi.KindAuthenticator && isAuthn, want == abi.KindAuthorizer && isAuthz:
		kinds = []abi.Kind{want}
	case want == "" && (isMut || isVal):
		if isMut {
			kinds = append(kinds, abi.KindMutatingAdmission)
		}
		if isVal {
			kinds = append(kinds, abi.KindValidatingAdmission)
		}
	case want == "":
		return nil, fmt.Errorf("plugin %q is not an admission plugin", e.Name)
	default:
		return nil, fmt.Errorf("plugin %q is not an %s", e.Name, map[abi.Kind]string{abi.KindAuthenticator: "authenticator", abi.KindAuthorizer: "authorizer"}[want])
	}
	host := pluginapi.NewHostServices(manifest(kinds[0]), s.logger, s.opts.Reader, nil)
	if err := p.Provision(ctx, e.Config, host); err != nil {
		return nil, fmt.Errorf("provisioning %q: %w", e.Name, err)
	}
	m := Member{Name: e.Name}
	for _, k := range kinds {
		g, err := pluginapi.WithFailurePolicy(manifest(k), pluginapi.ModeNative, p, s.metrics, s.logger)
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		switch k {
		case abi.KindAuthenticator:
			m.Authenticator = g.(abi.Authenticator)
		case abi.KindAuthorizer:
			m.Authorizer = g.(abi.Authorizer)
		case abi.KindMutatingAdmission:
			m.Mutating = g.(abi.MutatingAdmission)
		case abi.KindValidatingAdmission:
			m.Validating = g.(abi.ValidatingAdmission)
		}
	}
	return &unit{member: m, builtin: p}, nil
}

func (s *Set) folder(name string) string { return filepath.Join(s.opts.Dir, name) }

// ReadManifest reads and checks the manifest of the plugin folder dir.
func ReadManifest(dir string) (*pluginapi.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	return pluginapi.DecodeManifest(data)
}

// loadFolder loads the wasm or process plugin of the folder e names, provisioned with the entry's
// config (or the manifest's) and wrapped in its failure policy.
func (s *Set) loadFolder(ctx context.Context, e Entry) (*pluginapi.Manifest, abi.Plugin, error) {
	if s.opts.Dir == "" {
		return nil, nil, fmt.Errorf("a %s plugin needs --plugin-dir", e.Source)
	}
	dir := s.folder(e.Name)
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	if string(man.Mode) != string(e.Source) {
		return nil, nil, fmt.Errorf("source is %s but the manifest's mode is %s", e.Source, man.Mode)
	}
	if len(e.Config) > 0 {
		man.Config = e.Config
	}
	if e.FailurePolicy != "" {
		man.FailurePolicy = e.FailurePolicy
	}
	host := pluginapi.NewHostServices(man, s.logger, s.opts.Reader, nil)
	entry := filepath.Join(dir, man.Entry)
	var raw abi.Plugin
	switch man.Mode {
	case pluginapi.ModeWasm:
		rt, err := s.wasmRuntime(ctx)
		if err != nil {
			return nil, nil, err
		}
		module, err := os.ReadFile(entry)
		if err != nil {
			return nil, nil, err
		}
		p, err := rt.Load(ctx, man, module, host)
		if err != nil {
			return nil, nil, err
		}
		raw = p
	case pluginapi.ModeProcess:
		p, err := process.Load(ctx, man, entry, host, process.Options{Logger: s.logger, Registerer: s.opts.Registerer})
		if err != nil {
			return nil, nil, err
		}
		raw = p
	}
	g, err := pluginapi.WithFailurePolicy(man, man.Mode, raw, s.metrics, s.logger)
	if err != nil {
		_ = raw.Close()
		return nil, nil, err
	}
	return man, g, nil
}

func (s *Set) wasmRuntime(ctx context.Context) (*wasm.Runtime, error) {
	s.wasmOnce.Do(func() {
		if s.opts.CacheDir != "" {
			if err := os.MkdirAll(s.opts.CacheDir, 0o700); err != nil {
				s.wasmErr = fmt.Errorf("wasm cache: %w", err)
				return
			}
		}
		s.wasmRT, s.wasmErr = wasm.NewRuntime(ctx, wasm.RuntimeConfig{CacheDir: s.opts.CacheDir, Registerer: s.opts.Registerer, Logger: s.logger})
	})
	return s.wasmRT, s.wasmErr
}

// Close closes every plugin once the calls in flight on it end.
func (s *Set) Close() {
	s.closeOnce.Do(func() {
		s.pollMu.Lock()
		defer s.pollMu.Unlock()
		s.retiring.Wait()
		if g := s.gen.p.Load(); g != nil {
			g.drain()
			for _, u := range g.value.units {
				s.closeUnit(u)
			}
		}
		if s.wasmRT != nil {
			_ = s.wasmRT.Close(context.Background())
		}
	})
}
