package wasm_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/host/pluginapi"
	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// TestDeadlineStopsSpinningGuests runs a guest that spins forever through both ways of stopping
// it: the instrumented interrupt check, and wazero's context check for a module the instrumenter
// cannot read. Either way the call fails as a timeout and the next call gets a fresh instance.
func TestDeadlineStopsSpinningGuests(t *testing.T) {
	cases := []struct {
		file         string
		wantFallback bool
	}{
		{"testdata/guests/wat/spin.wat", false},
		{"testdata/guests/wat/spin-simd.wat", true},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			module := pluginkit.AssembleWAT(t, tc.file)
			logs := &pluginkit.LogBuffer{}
			r := newRuntime(t, wasm.RuntimeConfig{Logger: logs.Logger()})
			p := load(t, r, manifest(t, "{name: spin, kind: ValidatingAdmission, abiVersion: '1.0', entry: s.wasm, limits: {timeout: 100ms, instances: 1}}"), module, nil)
			// Collections keep stopping the world meanwhile: a guest that cannot be preempted
			// would hold them off, and with them the timer that is to stop it.
			stopGC := make(chan struct{})
			gcDone := make(chan struct{})
			go func() {
				defer close(gcDone)
				for {
					select {
					case <-stopGC:
						return
					default:
						runtime.GC()
					}
				}
			}()
			defer func() { close(stopGC); <-gcDone }()
			for i := range 2 {
				_, err := p.Validate(context.Background(), podReview("u", "x"))
				if pluginapi.ReasonOf(err) != pluginapi.ReasonTimeout || !strings.Contains(err.Error(), `plugin "spin": timeout`) {
					t.Fatalf("call %d: %v, want a timeout naming the plugin", i, err)
				}
			}
			fellBack := strings.Contains(logs.String(), "stopped at deadlines by wazero's context check")
			if fellBack != tc.wantFallback {
				t.Errorf("fell back to wazero's context check: %v, want %v (log: %s)", fellBack, tc.wantFallback, logs.String())
			}
		})
	}
}
