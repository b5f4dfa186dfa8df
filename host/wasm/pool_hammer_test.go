package wasm_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/kapi-dev/kapi/host/wasm"
	"github.com/kapi-dev/kapi/sdk/pluginkit"
)

// TestPoolHammer releases many goroutines at once on a pool of two instances; every call must get
// its own answer (run with -race to check the pool's hand-offs).
func TestPoolHammer(t *testing.T) {
	module := pluginkit.BuildGoGuest(t, "testdata/guests/good")
	r := newRuntime(t, wasm.RuntimeConfig{Logger: slog.New(slog.DiscardHandler)})
	p := load(t, r, manifest(t, "{name: hammer, kind: ValidatingAdmission, abiVersion: '1.0', entry: g.wasm, limits: {instances: 2, timeout: 30s}}"), module, nil)
	const goroutines, calls = 24, 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range calls {
				uid := fmt.Sprintf("g%d-%d", g, i)
				marker, want := "fine", true
				if (g+i)%3 == 0 {
					marker, want = "deny-me", false
				}
				resp, err := p.Validate(context.Background(), podReview(uid, marker))
				if err != nil || resp.Allowed != want || resp.UID != uid {
					errs <- fmt.Errorf("%s: %+v, %v", uid, resp, err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
