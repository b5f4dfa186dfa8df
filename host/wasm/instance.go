package wasm

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
)

// minInitTimeout bounds instantiation, _initialize and kapi_provision: a Go guest's runtime start
// can take longer than a call's deadline on a busy machine, yet a guest looping in its
// initialisation must still be stopped.
const minInitTimeout = 10 * time.Second

// instance is one instantiated guest. It serves one call at a time (the pool sees to that).
type instance struct {
	mod   api.Module
	mem   api.Memory
	alloc api.Function
	call  api.Function
	close api.Function // nil when the guest has no kapi_close

	// interrupt is the kapi_interrupt global of an instrumented module (see interrupt.go), nil
	// when the runtime relies on WithCloseOnContextDone instead.
	interrupt api.MutableGlobal
	// stopped is set when a deadline passed during a call: the instance must not be reused.
	stopped atomic.Bool

	// deadline is when the call in progress must end; host functions pass it on to the services
	// they call.
	deadline time.Time
	// mu orders arm, disarm and the watchdog's check, so that a stop lands only on the call it
	// was for. armed says a call (or the instance's initialisation) is in progress, until its
	// deadline in Unix nanoseconds, for a caller whose context is ctx.
	mu    sync.Mutex
	armed bool
	until int64
	ctx   context.Context

	// pending is a host function's result waiting for kapi.take_result (SPEC.md 3.5).
	pending []byte
	stack   [2]uint64
}

// newInstance instantiates the module with nothing mounted, runs _initialize, checks the ABI
// version and provisions the instance with the plugin's configuration.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	ctx, cancel := context.WithTimeout(ctx, max(p.manifest.Timeout(), minInitTimeout))
	defer cancel()
	in := &instance{}
	deadline, _ := ctx.Deadline()
	in.arm(ctx, deadline)
	defer in.disarm()
	p.watch.add(in)
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module
		WithStartFunctions().
		WithArgs(p.manifest.Name).
		WithStdout(&pluginapi.LineWriter{Logger: p.logger.With("stream", "stdout"), Level: slog.LevelInfo}).
		WithStderr(&pluginapi.LineWriter{Logger: p.logger.With("stream", "stderr"), Level: slog.LevelWarn}).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(in.sleep).
		WithRandSource(rand.Reader)
	mod, err := p.rt.InstantiateModule(ctx, p.compiled, cfg)
	if err != nil {
		p.watch.remove(in)
		return nil, fmt.Errorf("instantiating: %w", err)
	}
	in.mod = mod
	p.instances.Store(mod, in)
	in.mem = mod.Memory()
	in.alloc = mod.ExportedFunction(abi.ExportAlloc)
	in.call = mod.ExportedFunction(p.callExport)
	in.close = mod.ExportedFunction(abi.ExportClose)
	fail := func(format string, args ...any) (*instance, error) {
		p.watch.remove(in)
		p.instances.Delete(mod)
		_ = mod.Close(context.Background())
		return nil, fmt.Errorf(format, args...)
	}
	if p.instrumented {
		g, ok := mod.ExportedGlobal(interruptExport).(api.MutableGlobal)
		if !ok {
			return fail("instrumented module lacks its %s global", interruptExport)
		}
		in.interrupt = g
	}
	if f := mod.ExportedFunction(abi.ExportInitialize); f != nil {
		if _, err := f.Call(ctx); err != nil {
			return fail("_initialize: %w", err)
		}
	}
	res, err := mod.ExportedFunction(abi.ExportABIVersion).Call(ctx)
	if err != nil {
		return fail("%s: %w", abi.ExportABIVersion, err)
	}
	if err := abi.CheckVersion(abi.UnpackVersion(uint32(res[0]))); err != nil {
		return fail("%w", err)
	}
	if f := mod.ExportedFunction(abi.ExportProvision); f != nil {
		out, err := in.invoke(ctx, f, p.config, true)
		if err != nil {
			return fail("%s: %w", abi.ExportProvision, err)
		}
		if out != nil {
			var ans abi.ErrorAnswer
			if err := json.Unmarshal(out, &ans); err != nil {
				return fail("%s answered %.200q: %w", abi.ExportProvision, out, err)
			}
			if ans.Error != "" {
				return fail("provisioning: %s", ans.Error)
			}
		}
	} else if string(p.config) != "{}" {
		return fail("the manifest has a config but the module does not export %s", abi.ExportProvision)
	}
	p.metrics.Instances.WithLabelValues(p.manifest.Name).Inc()
	return in, nil
}

// fire stops the instance: the guest traps at its next loop head and leaves any sleep. It is
// called with in.mu held, so only once per call sets the global (wazero's Set is not atomic).
func (in *instance) fire() {
	if in.stopped.CompareAndSwap(false, true) && in.interrupt != nil {
		in.interrupt.Set(1)
	}
}

// arm has the watchdog stop the instance at the deadline, or when ctx ends if that comes first.
// disarm undoes it.
func (in *instance) arm(ctx context.Context, deadline time.Time) {
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	in.deadline = deadline
	in.mu.Lock()
	in.armed, in.until, in.ctx = true, deadline.UnixNano(), ctx
	in.mu.Unlock()
}

// disarm ends what arm set up. A stop that has landed stays (in.stopped), so that the instance
// is judged and closed after it.
func (in *instance) disarm() {
	in.mu.Lock()
	in.armed, in.ctx = false, nil
	in.mu.Unlock()
}

// check is the watchdog's look at the instance at time now: it stops a call past its deadline or
// whose caller's context has ended.
func (in *instance) check(now time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.armed && (now.UnixNano() >= in.until || in.ctx.Err() != nil) {
		in.fire()
	}
}

// sleep is the guest's WASI sleep: it ends early when the instance is stopped, so a guest
// sleeping past its deadline wakes up and reaches a loop head that traps.
func (in *instance) sleep(ns int64) {
	const slice = 5 * time.Millisecond
	end := time.Now().Add(time.Duration(ns))
	for !in.stopped.Load() {
		left := time.Until(end)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, slice))
	}
}

// invoke writes req into guest memory and calls fn (a call export, or kapi_provision when
// provisioning, where a 0 result means success and gives nil), returning a copy of the answer.
// Its errors are *pluginapi.CallError with the reason filled in; the plugin name is added by the
// caller. Any error leaves the instance unfit for reuse.
func (in *instance) invoke(ctx context.Context, fn api.Function, req []byte, provisioning bool) ([]byte, error) {
	s := in.stack[:]
	s[0] = uint64(len(req))
	if err := in.alloc.CallWithStack(ctx, s); err != nil {
		return nil, in.callFailure(ctx, abi.ExportAlloc, err)
	}
	ptr := uint32(s[0])
	if ptr == 0 {
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonTrap, Err: fmt.Errorf("%s(%d) returned 0: out of memory", abi.ExportAlloc, len(req))}
	}
	if !in.mem.Write(ptr, req) {
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonMalformed,
			Err: fmt.Errorf("%s returned %#x, out of bounds for %d bytes in %d bytes of memory", abi.ExportAlloc, ptr, len(req), in.mem.Size())}
	}
	s[0], s[1] = uint64(ptr), uint64(len(req))
	if err := fn.CallWithStack(ctx, s); err != nil {
		return nil, in.callFailure(ctx, fn.Definition().ExportNames()[0], err)
	}
	if s[0] == 0 && provisioning {
		return nil, nil
	}
	ap, al := abi.UnpackPtrLen(s[0])
	if al == 0 {
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonMalformed, Err: fmt.Errorf("empty answer (%#x)", s[0])}
	}
	view, ok := in.mem.Read(ap, al)
	if !ok {
		return nil, &pluginapi.CallError{Reason: pluginapi.ReasonMalformed,
			Err: fmt.Errorf("answer at %#x+%d is out of bounds of %d bytes of memory", ap, al, in.mem.Size())}
	}
	return append([]byte(nil), view...), nil
}

// callFailure classifies an error from calling into the guest.
func (in *instance) callFailure(ctx context.Context, export string, err error) error {
	var exit *sys.ExitError
	switch {
	case in.stopped.Load() || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return &pluginapi.CallError{Reason: pluginapi.ReasonTimeout, Err: fmt.Errorf("%s: stopped at the deadline: %w", export, err)}
	case errors.As(err, &exit):
		return &pluginapi.CallError{Reason: pluginapi.ReasonTrap, Err: fmt.Errorf("%s: guest exited with code %d", export, exit.ExitCode())}
	}
	// wazero's trap errors carry a multi-line guest stack trace; the first line says what happened.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return &pluginapi.CallError{Reason: pluginapi.ReasonTrap, Err: fmt.Errorf("%s: %s", export, msg)}
}
