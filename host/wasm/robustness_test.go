package wasm_test

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/abi"
	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// goodCaller keeps calling a plugin with requests it must allow, until stopped, so a test can
// show that a misbehaving call leaves the others alone.
type goodCaller struct {
	calls, failures atomic.Int64
	firstErr        atomic.Value
	stop            chan struct{}
	wg              sync.WaitGroup
}

func startGoodCalls(v abi.ValidatingAdmission, goroutines int) *goodCaller {
	g := &goodCaller{stop: make(chan struct{})}
	for i := range goroutines {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-g.stop:
					return
				default:
				}
				resp, err := v.Validate(context.Background(), podReview("good", "fine"))
				g.calls.Add(1)
				if err != nil || !resp.Allowed {
					g.failures.Add(1)
					g.firstErr.CompareAndSwap(nil, err)
				}
				_ = i
			}
		}()
	}
	return g
}

// finish stops the callers and fails the test if any good call failed or none ran.
func (g *goodCaller) finish(t *testing.T) {
	t.Helper()
	// Let at least one more good call complete after the bad one, counted rather than timed.
	for start := g.calls.Load(); g.calls.Load() == start; {
		runtime.Gosched()
	}
	close(g.stop)
	g.wg.Wait()
	if f := g.failures.Load(); f != 0 {
		t.Errorf("%d of %d good calls failed, first: %v", f, g.calls.Load(), g.firstErr.Load())
	}
}

// settleGoroutines waits (by polling, not by a deadline that decides the test) for the number
// of goroutines to come back to at most want, and fails if it does not within many tries.
func settleGoroutines(t *testing.T, want int) {
	t.Helper()
	n := runtime.NumGoroutine()
	for i := 0; i < 500 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > want {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutine leak: %d goroutines, want at most %d\n%s", n, want, buf[:runtime.Stack(buf, true)])
	}
}

func TestMisbehavingGuestsFailOnlyTheirCall(t *testing.T) {
	cases := []struct {
		name   string
		module func(t *testing.T) []byte
		limits string
		// goGuest guests misbehave only on "boom", so good calls can run on the same plugin.
		goGuest    bool
		wantReason pluginapi.FailureReason
		wantText   string
	}{
		{"infinite loop", func(t *testing.T) []byte { return pluginkit.BuildGoGuest(t, "testdata/guests/loop") },
			"{timeout: 300ms, instances: 2}", true, pluginapi.ReasonTimeout, "stopped at the deadline"},
		{"allocation past the memory limit", func(t *testing.T) []byte { return pluginkit.BuildGoGuest(t, "testdata/guests/alloc") },
			"{memoryMiB: 48, timeout: 5s, instances: 2}", true, pluginapi.ReasonTrap, "unreachable"}, // Go aborts on running out of memory
		{"go panic", func(t *testing.T) []byte { return pluginkit.BuildGoGuest(t, "testdata/guests/panic") },
			"{timeout: 5s, instances: 2}", true, pluginapi.ReasonTrap, "unreachable"}, // a panic in a Go export aborts
		{"unreachable trap", func(t *testing.T) []byte { return pluginkit.AssembleWAT(t, "testdata/guests/wat/unreachable.wat") },
			"{instances: 2}", false, pluginapi.ReasonTrap, "unreachable"},
		{"garbage answer", func(t *testing.T) []byte { return pluginkit.AssembleWAT(t, "testdata/guests/wat/garbage.wat") },
			"{instances: 2}", false, pluginapi.ReasonMalformed, "answer is not the expected JSON"},
		{"answer pointer out of bounds", func(t *testing.T) []byte { return pluginkit.AssembleWAT(t, "testdata/guests/wat/oob.wat") },
			"{instances: 2}", false, pluginapi.ReasonMalformed, "out of bounds"},
	}
	good := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	for _, c := range cases {
		c.module(t) // build outside the goroutine count
	}
	baseline := runtime.NumGoroutine()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			module := tc.module(t)
			logger := slog.New(slog.DiscardHandler)
			r, err := wasm.NewRuntime(context.Background(), wasm.RuntimeConfig{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close(context.Background())
			gm := manifest(t, "{name: good, kind: ValidatingAdmission, abiVersion: '1.0', entry: g.wasm}")
			goodPlugin, err := r.Load(context.Background(), gm, good, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer goodPlugin.Close()
			for _, policy := range []pluginapi.FailurePolicy{pluginapi.Fail, pluginapi.Ignore} {
				m := manifest(t, "{name: bad, kind: ValidatingAdmission, abiVersion: '1.0', entry: b.wasm, failurePolicy: "+
					string(policy)+", limits: "+tc.limits+"}")
				raw, err := r.Load(context.Background(), m, module, nil)
				if err != nil {
					t.Fatal(err)
				}
				bad, err := pluginapi.WithFailurePolicy(m, pluginapi.ModeWasm, raw, r.Metrics(), logger)
				if err != nil {
					t.Fatal(err)
				}
				callers := []*goodCaller{startGoodCalls(goodPlugin, 2)}
				if tc.goGuest {
					callers = append(callers, startGoodCalls(raw, 1))
				}

				// The raw plugin reports the failure with its reason; the policy decides the answer.
				_, rawErr := raw.Validate(context.Background(), podReview("bad-1", "boom"))
				resp, err := bad.(abi.ValidatingAdmission).Validate(context.Background(), podReview("bad-2", "boom"))
				for _, g := range callers {
					g.finish(t)
				}
				if rawErr == nil || pluginapi.ReasonOf(rawErr) != tc.wantReason || !strings.Contains(rawErr.Error(), tc.wantText) ||
					!strings.Contains(rawErr.Error(), `plugin "bad"`) {
					t.Errorf("raw call error %v, want reason %s naming the plugin and containing %q", rawErr, tc.wantReason, tc.wantText)
				}
				switch policy {
				case pluginapi.Fail:
					if err == nil || !strings.Contains(err.Error(), `failed calling plugin "bad": `+string(tc.wantReason)) || resp.Allowed {
						t.Errorf("Fail: %+v, %v", resp, err)
					}
				case pluginapi.Ignore:
					if err != nil || !resp.Allowed || resp.UID != "bad-2" {
						t.Errorf("Ignore: %+v, %v", resp, err)
					}
				}
				// The failed instances were replaced: the plugin still answers good requests.
				if tc.goGuest {
					for i := range 3 {
						if resp, err := raw.Validate(context.Background(), podReview("after", "fine")); err != nil || !resp.Allowed {
							t.Errorf("good call %d after the failure: %+v, %v", i, resp, err)
						}
					}
				}
				if err := raw.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}
		})
	}
	settleGoroutines(t, baseline)
}

func TestUnknownABIMajorRefusedAtLoad(t *testing.T) {
	module := pluginkit.AssembleWAT(t, "testdata/guests/wat/abiv2.wat")
	r := newRuntime(t, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	m := manifest(t, "{name: future, kind: ValidatingAdmission, abiVersion: '1.0', entry: f.wasm}")
	_, err := r.Load(context.Background(), m, module, nil)
	want := `loading wasm plugin "future": plugin speaks ABI 2.0, host speaks ABI ` + abi.Version + `: major versions differ`
	if err == nil || err.Error() != want {
		t.Fatalf("load: %v\nwant: %s", err, want)
	}
}

func TestLoadChecksExports(t *testing.T) {
	module := pluginkit.AssembleWAT(t, "testdata/guests/wat/unreachable.wat")
	r := newRuntime(t, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	m := manifest(t, "{name: wrongkind, kind: Authorizer, abiVersion: '1.0', entry: f.wasm}")
	_, err := r.Load(context.Background(), m, module, nil)
	if err == nil || !strings.Contains(err.Error(), `loading wasm plugin "wrongkind": module does not export kapi_authorize`) {
		t.Fatalf("load: %v", err)
	}
	_, err = r.Load(context.Background(), m, []byte("\x00asm garbage"), nil)
	if err == nil || !strings.Contains(err.Error(), `loading wasm plugin "wrongkind": compiling`) {
		t.Fatalf("load of garbage bytes: %v", err)
	}
}
