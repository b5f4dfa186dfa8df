package plugins

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// traffic keeps calls coming from several goroutines while a test swaps plugins under them.
type traffic struct {
	stop     atomic.Bool
	wg       sync.WaitGroup
	calls    atomic.Int64
	failures atomic.Int64
	firstErr atomic.Value
}

// startTraffic runs call over and over from four goroutines until stopAndCheck.
func startTraffic(call func() error) *traffic {
	tr := &traffic{}
	for range 4 {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for !tr.stop.Load() {
				if err := call(); err != nil {
					tr.failures.Add(1)
					tr.firstErr.CompareAndSwap(nil, err)
				}
				tr.calls.Add(1)
			}
		}()
	}
	return tr
}

// waitCalls returns once n more calls have been made.
func (tr *traffic) waitCalls(n int64) {
	for start := tr.calls.Load(); tr.calls.Load() < start+n; {
		time.Sleep(time.Millisecond)
	}
}

// stopAndCheck stops the callers and fails the test if any call failed during what was named.
func (tr *traffic) stopAndCheck(t *testing.T, during string) {
	t.Helper()
	tr.stop.Store(true)
	tr.wg.Wait()
	if n := tr.failures.Load(); n > 0 {
		t.Fatalf("%d of %d calls failed across %s; first: %v", n, tr.calls.Load(), during, tr.firstErr.Load())
	}
}
