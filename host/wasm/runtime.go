package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// RuntimeConfig configures a Runtime.
type RuntimeConfig struct {
	// CacheDir holds compiled modules across restarts; empty keeps them in memory only.
	CacheDir string
	// Registerer receives the plugin metrics; nil registers them nowhere.
	Registerer prometheus.Registerer
	// Logger receives guests' stdout and stderr, tagged with the plugin's name; nil is slog's default.
	Logger *slog.Logger
}

// Runtime loads Wasm plugins. It is safe for concurrent use.
type Runtime struct {
	cache   wazero.CompilationCache
	metrics *pluginapi.Metrics
	logger  *slog.Logger
	watch   *watchdog
}

// NewRuntime prepares the compilation cache and registers the metrics.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	r := &Runtime{logger: cfg.Logger, watch: newWatchdog()}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm compilation cache in %s: %w", cfg.CacheDir, err)
		}
		r.cache = c
	} else {
		r.cache = wazero.NewCompilationCache()
	}
	m, err := pluginapi.NewMetrics(cfg.Registerer)
	if err != nil {
		_ = r.cache.Close(ctx)
		return nil, fmt.Errorf("wasm runtime metrics: %w", err)
	}
	r.metrics = m
	return r, nil
}

// Metrics are the plugin metrics this runtime reports to, for the failure-policy wrapper.
func (r *Runtime) Metrics() *pluginapi.Metrics { return r.metrics }

// Close stops the watchdog and releases the compilation cache. Plugins loaded from r must be
// closed first.
func (r *Runtime) Close(ctx context.Context) error {
	r.watch.close()
	return r.cache.Close(ctx)
}

// Load compiles a plugin's module, checks it against the manifest and the ABI, and makes its pool
// of instances, each initialised and provisioned with the manifest's config. host is the plugin's
// abi.Host (see pluginapi.NewHostServices). The result implements abi.Plugin and the interface of
// the manifest's kind; it is not wrapped in the failure policy (see pluginapi.WithFailurePolicy).
func (r *Runtime) Load(ctx context.Context, m *pluginapi.Manifest, wasm []byte, host abi.Host) (*Plugin, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	p, err := r.load(ctx, m, wasm, host)
	if err != nil {
		return nil, fmt.Errorf("loading wasm plugin %q: %w", m.Name, err)
	}
	return p, nil
}

func (r *Runtime) load(ctx context.Context, m *pluginapi.Manifest, wasm []byte, host abi.Host) (*Plugin, error) {
	// Prefer the cheap interrupt check (see interrupt.go and doc.go); a module the instrumenter
	// cannot read is stopped by wazero's own, slower, mechanism.
	instrumented, err := instrumentInterrupt(wasm)
	if err == nil {
		wasm = instrumented
	} else {
		r.logger.Info("wasm plugin stopped at deadlines by wazero's context check", "plugin", m.Name, "reason", err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(r.cache).
		WithMemoryLimitPages(uint32(m.Limits.MemoryMiB)*16). // 64 KiB pages
		WithCloseOnContextDone(err != nil))
	if host == nil {
		host = pluginapi.NewHostServices(m, r.logger, nil, nil)
	}
	p := &Plugin{
		manifest: m,
		rt:       rt,
		host:     host,
		config:   m.ConfigJSON(),
		metrics:  r.metrics,
		busy:     r.metrics.InstancesBusy.WithLabelValues(m.Name),
		logger:   r.logger.With("plugin", m.Name),
		pool:     newPool(m.Limits.Instances),
		watch:    r.watch,
		done:     make(chan struct{}),

		instrumented: err == nil,
	}
	ok := false
	defer func() {
		if !ok {
			_ = rt.Close(ctx)
		}
	}()
	if p.Caller, err = pluginapi.NewCaller(m, p.roundTrip); err != nil {
		return nil, err
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, fmt.Errorf("instantiating WASI: %w", err)
	}
	if err := p.instantiateHostModule(ctx); err != nil {
		return nil, fmt.Errorf("instantiating host module: %w", err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compiling: %w", err)
	}
	if err := checkModule(compiled, m.Kind); err != nil {
		return nil, err
	}
	p.compiled = compiled
	p.callExport = abi.CallExport(m.Kind)

	// Fill the pool now, so that a broken guest fails the load, not the first request.
	for range m.Limits.Instances {
		in, err := p.newInstance(ctx)
		if err != nil {
			p.drain()
			return nil, err
		}
		p.pool.put(in)
	}
	ok = true
	return p, nil
}

// checkModule verifies the exports SPEC.md 3.1 requires and the imports it allows.
func checkModule(c wazero.CompiledModule, kind abi.Kind) error {
	exports := c.ExportedFunctions()
	if _, ok := c.ExportedMemories()[abi.ExportMemory]; !ok {
		return errors.New("module does not export its memory as \"memory\"")
	}
	type sig struct {
		params, results []api.ValueType
	}
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := map[string]sig{
		abi.ExportABIVersion: {nil, []api.ValueType{i32}},
		abi.ExportAlloc:      {[]api.ValueType{i32}, []api.ValueType{i32}},
		abi.ExportFree:       {[]api.ValueType{i32, i32}, nil},
		abi.CallExport(kind): {[]api.ValueType{i32, i32}, []api.ValueType{i64}},
	}
	optional := map[string]sig{
		abi.ExportInitialize: {nil, nil},
		abi.ExportProvision:  {[]api.ValueType{i32, i32}, []api.ValueType{i64}},
		abi.ExportClose:      {nil, nil},
	}
	check := func(name string, s sig, required bool) error {
		f, ok := exports[name]
		if !ok {
			if required {
				return fmt.Errorf("module does not export %s, which a %s must", name, kind)
			}
			return nil
		}
		if !slices.Equal(f.ParamTypes(), s.params) || !slices.Equal(f.ResultTypes(), s.results) {
			return fmt.Errorf("export %s has signature %v -> %v, want %v -> %v", name,
				typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(s.params), typeNames(s.results))
		}
		return nil
	}
	for name, s := range want {
		if err := check(name, s, true); err != nil {
			return err
		}
	}
	for name, s := range optional {
		if err := check(name, s, false); err != nil {
			return err
		}
	}
	for _, imp := range c.ImportedFunctions() {
		mod, name, _ := imp.Import()
		if mod != abi.HostModule && mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("module imports %s.%s: only %q and %q imports are served", mod, name, abi.HostModule, wasi_snapshot_preview1.ModuleName)
		}
	}
	return nil
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}
