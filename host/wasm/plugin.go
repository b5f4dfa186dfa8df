package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// Plugin is a loaded Wasm plugin: a compiled module and a pool of instances. It implements
// abi.Plugin and the four kind interfaces; only the method of its manifest's kind works, the
// others fail naming the missing export. Calls may be concurrent.
type Plugin struct {
	// Caller decodes the answers of the calls roundTrip carries, and implements the kind
	// interfaces.
	*pluginapi.Caller

	manifest   *pluginapi.Manifest
	rt         wazero.Runtime
	compiled   wazero.CompiledModule
	callExport string
	// instrumented says the module carries the kapi_interrupt check (interrupt.go).
	instrumented bool
	metrics      *pluginapi.Metrics
	busy         prometheus.Gauge // this plugin's kapi_plugin_instances_busy
	logger       *slog.Logger

	// host and config are read by instances' host functions and provisioning; they change only
	// in Provision, which runs while no call does.
	host   abi.Host
	config []byte

	// pool holds the instances (pool.go); the runtime's watchdog stops them at deadlines.
	pool  *pool
	watch *watchdog
	done  chan struct{}
	// instances finds the instance a host function is called from by its module
	// (api.Module -> *instance).
	instances sync.Map
	closeOnce sync.Once
}

// Name is the plugin's name from its manifest.
func (p *Plugin) Name() string { return p.manifest.Name }

// Provision replaces the plugin's configuration (and its host services, when host is not nil):
// every instance is discarded and remade with it. Load has already provisioned the plugin with its
// manifest's config, so calling Provision is needed only to change it. No call may run meanwhile.
func (p *Plugin) Provision(ctx context.Context, config []byte, host abi.Host) error {
	n := p.pool.size()
	slots := make([]*instance, 0, n)
	for range n {
		select {
		case <-p.pool.free:
			slots = append(slots, p.pool.pop())
		case <-ctx.Done():
			for _, in := range slots {
				p.pool.put(in)
			}
			return fmt.Errorf("provisioning plugin %q: %w", p.manifest.Name, ctx.Err())
		}
	}
	for _, in := range slots {
		p.discard(in)
	}
	p.config = config
	if len(config) == 0 {
		p.config = []byte("{}")
	}
	if host != nil {
		p.host = host
	}
	var firstErr error
	for range n {
		in, err := p.newInstance(ctx)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("provisioning plugin %q: %w", p.manifest.Name, err)
		}
		p.pool.put(in) // nil on failure: remade on use
	}
	return firstErr
}

// Close waits for calls in flight, then closes every instance and the plugin's runtime.
func (p *Plugin) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.done)
		ctx := context.Background()
		for range p.pool.size() {
			<-p.pool.free
			in := p.pool.pop()
			if in != nil && in.close != nil {
				_, _ = in.close.Call(ctx)
			}
			p.discard(in)
		}
		err = p.rt.Close(ctx)
	})
	return err
}

// drain closes the instances made so far by a load that failed.
func (p *Plugin) drain() {
	for {
		select {
		case <-p.pool.free:
			p.discard(p.pool.pop())
		default:
			return
		}
	}
}

func (p *Plugin) discard(in *instance) {
	if in == nil {
		return
	}
	p.watch.remove(in)
	p.instances.Delete(in.mod)
	_ = in.mod.Close(context.Background())
	p.metrics.Instances.WithLabelValues(p.manifest.Name).Dec()
}

var errClosed = errors.New("plugin is closed")

// roundTrip runs one call (a pluginapi.RoundTrip): take an instance (making it if its slot is
// empty), invoke the kind's export, and give the instance back, or discard it if the call failed
// in a way that may have broken it.
func (p *Plugin) roundTrip(ctx context.Context, kind abi.Kind, req []byte) ([]byte, error) {
	if kind != p.manifest.Kind {
		return nil, p.callError(&pluginapi.CallError{Reason: pluginapi.ReasonError,
			Err: fmt.Errorf("a %s plugin does not serve %s", p.manifest.Kind, abi.CallExport(kind))})
	}
	deadline := time.Now().Add(p.manifest.Timeout())
	in, err := p.take(ctx, deadline)
	if err != nil {
		return nil, p.callError(err)
	}
	p.busy.Inc()
	defer p.busy.Dec()
	if in == nil {
		if in, err = p.replace(ctx, deadline); err != nil {
			p.pool.put(nil)
			return nil, p.callError(err)
		}
	}
	in.arm(ctx, deadline)
	if !p.instrumented {
		// wazero's own check stops the guest when the context ends.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, in.deadline)
		defer cancel()
	}
	out, err := in.invoke(ctx, in.call, req, false)
	in.disarm()
	if err == nil && in.stopped.Load() {
		// The deadline passed just as the call returned: the interrupt may be set, so the
		// instance cannot serve another call, but this answer is whole.
		p.discard(in)
		p.pool.put(nil)
		return out, nil
	}
	if err != nil {
		p.discard(in)
		p.pool.put(nil)
		p.logger.Warn("wasm instance discarded after a failed call", "error", err)
		return nil, p.callError(err)
	}
	p.pool.put(in)
	return out, nil
}

// replace makes the instance of an empty slot, within the call's deadline.
func (p *Plugin) replace(ctx context.Context, deadline time.Time) (*instance, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	in, err := p.newInstance(ctx)
	if err != nil {
		reason := pluginapi.ReasonTrap
		if ctx.Err() != nil {
			reason = pluginapi.ReasonTimeout
		}
		return nil, &pluginapi.CallError{Reason: reason, Err: fmt.Errorf("replacing a failed instance: %w", err)}
	}
	return in, nil
}

// instanceOf returns the instance a host function was called from.
func (p *Plugin) instanceOf(mod api.Module) *instance {
	in, _ := p.instances.Load(mod)
	i, _ := in.(*instance)
	return i
}

// take takes an instance from the pool (nil for a slot to refill), waiting for one until the
// deadline when all are busy.
func (p *Plugin) take(ctx context.Context, deadline time.Time) (*instance, error) {
	select {
	case <-p.done:
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonError, Err: errClosed}
	default:
	}
	select {
	case <-p.pool.free:
		return p.pool.pop(), nil
	default:
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	select {
	case <-p.pool.free:
		return p.pool.pop(), nil
	case <-p.done:
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonError, Err: errClosed}
	case <-ctx.Done():
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonTimeout,
			Err: fmt.Errorf("no free instance before the deadline: %w", ctx.Err())}
	}
}

// callError names the plugin in a runtime's CallError.
func (p *Plugin) callError(err error) error {
	var ce *pluginapi.CallError
	if errors.As(err, &ce) && ce.Plugin == "" {
		ce.Plugin = p.manifest.Name
	}
	return err
}
